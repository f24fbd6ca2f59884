"""The workspace store: a student's model and settings survive a reload; bounded; hostile tokens refused."""
from __future__ import annotations

import os
import time

import pytest
import torch

from aecore.store import WorkspaceStore
from conftest import trained_run

TOKENS = [f"{i:032x}" for i in range(1, 6)]


def test_a_saved_model_and_settings_come_back_identical(tmp_path):
    run, _ = trained_run("vae", epochs=1)
    store = WorkspaceStore(tmp_path)
    store.save(TOKENS[0], run, {"variant": "vae", "epochs": 40})
    saved = store.load(TOKENS[0])
    assert saved.settings == {"variant": "vae", "epochs": 40}
    assert saved.run.id == run.id and saved.run.step == run.step
    for (name, a), b in zip(run.model.state_dict().items(), saved.run.model.state_dict().values()):
        assert torch.equal(a, b), name


def test_settings_alone_and_a_second_save_replace_the_entry(tmp_path):
    run, _ = trained_run("vanilla", epochs=1)
    store = WorkspaceStore(tmp_path)
    store.save(TOKENS[0], run, {"a": 1})
    store.save(TOKENS[0], None, {"a": 2})
    saved = store.load(TOKENS[0])
    assert saved.run is None and saved.settings == {"a": 2}
    assert [p.name for p in tmp_path.iterdir()] == [TOKENS[0]]   # no temporary folders left behind


def test_unknown_and_expired_tokens_give_nothing(tmp_path):
    store = WorkspaceStore(tmp_path, ttl_s=60)
    assert store.load(TOKENS[1]) is None
    store.save(TOKENS[1], None, {})
    old = time.time() - 120
    os.utime(tmp_path / TOKENS[1], (old, old))
    assert store.load(TOKENS[1]) is None


def test_the_store_stays_within_its_size_oldest_evicted_first(tmp_path):
    run, _ = trained_run("vanilla", epochs=1)
    probe = WorkspaceStore(tmp_path / "probe")
    probe.save(TOKENS[0], run, {})
    size = sum(p.stat().st_size for p in (tmp_path / "probe" / TOKENS[0]).iterdir())
    store = WorkspaceStore(tmp_path / "s", max_bytes=int(size * 3.5))
    for i, token in enumerate(TOKENS):
        store.save(token, run, {"i": i})
        stamp = time.time() - 100 + i   # saved in this order, one second apart
        os.utime(tmp_path / "s" / token, (stamp, stamp))
    store.evict()
    assert sorted(p.name for p in (tmp_path / "s").iterdir()) == TOKENS[2:]   # the three newest fit


@pytest.mark.parametrize("token", ["", "..", "../etc", "/etc/passwd", "ABCDEF" * 6, "0" * 31, "0" * 32 + "/x"])
def test_hostile_tokens_never_reach_the_file_system(tmp_path, token):
    store = WorkspaceStore(tmp_path)
    with pytest.raises(ValueError):
        store.save(token, None, {})
    with pytest.raises(ValueError):
        store.load(token)


# --- the runs root: the Models page loads run folders from one configured folder only ---------------------------
HOSTILE = ["/etc", "/etc/passwd", "..", "../..", "../../etc", "/", "~", "~root", "runs/../../etc", "vae/../../etc",
           "/proc/self", "link-out", "link-out/sub", "nope\0", "x" * 5000, "", "/tmp"]


@pytest.fixture(scope="module")
def runs_root(tmp_path_factory):
    from aecore.checkpoint import save_run
    tmp_path = tmp_path_factory.mktemp("root")
    run, _ = trained_run("vanilla", epochs=1)
    root = tmp_path / "runs"
    save_run(run, root / "vae-mnist")
    (tmp_path / "outside").mkdir()
    save_run(run, tmp_path / "outside" / "secret")
    (root / "link-out").symlink_to(tmp_path / "outside")
    return root


@pytest.mark.parametrize("text", HOSTILE)
def test_paths_outside_the_runs_root_are_refused_alike(runs_root, text):
    from aecore.checkpoint import CheckpointError, run_folder_under
    with pytest.raises(CheckpointError) as err:
        run_folder_under(runs_root, text)
    assert "not a run folder under the runs folder" in str(err.value)
    assert str(runs_root.parent) not in str(err.value)   # no server path in the answer


def test_a_folder_inside_the_runs_root_loads(runs_root):
    from aecore.checkpoint import list_run_folders, load_run, run_folder_under
    assert load_run(run_folder_under(runs_root, "vae-mnist")).variant
    assert list_run_folders(runs_root) == ["vae-mnist"]   # the link leading out is not offered
