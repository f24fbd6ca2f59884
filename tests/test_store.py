"""The workspace store: a student's model and settings survive a reload; bounded; hostile tokens refused."""
from __future__ import annotations

import os
import time

import pytest
import torch

from aecore.runs.store import WorkspaceStore
from helpers import trained_run

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
    from aecore.runs.checkpoint import save_run
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
    from aecore.runs.checkpoint import CheckpointError
    from aecore.runs.run_folders import run_folder_under
    with pytest.raises(CheckpointError) as err:
        run_folder_under(runs_root, text)
    assert "not a run folder under the runs folder" in str(err.value)
    assert str(runs_root.parent) not in str(err.value)   # no server path in the answer


def test_a_folder_inside_the_runs_root_loads(runs_root):
    from aecore.runs.checkpoint import load_run
    from aecore.runs.run_folders import list_run_folders, run_folder_under
    assert load_run(run_folder_under(runs_root, "vae-mnist")).variant
    assert list_run_folders(runs_root) == ["vae-mnist"]   # the link leading out is not offered


# --- fairness between students (issue 18, gap 5) -----------------------------------------------------------------
def entry_size(store: WorkspaceStore, token: str) -> int:
    return sum(p.stat().st_size for p in (store.root / token).iterdir())


def test_a_new_student_cannot_push_out_others_beyond_their_own_quota(tmp_path):
    """Two students with small models, one with a big upload: over the budget the heaviest gives way, and a save over
    the quota keeps only the settings (it cannot take the others' space)."""
    small, _ = trained_run("vanilla", epochs=1)
    big, _ = trained_run("vanilla", epochs=1, hidden=(512, 256))
    probe = WorkspaceStore(tmp_path / "probe")
    probe.save(TOKENS[0], small, {})
    one = entry_size(probe, TOKENS[0])
    store = WorkspaceStore(tmp_path / "s", max_bytes=4 * one, quota_bytes=3 * one, evict_every_s=0)
    assert store.save(TOKENS[1], small, {}) is None and store.save(TOKENS[2], small, {}) is None
    note = store.save(TOKENS[3], big, {})   # a new token with a model over the quota
    assert note is not None and "AECORE_STORE_QUOTA_MB" in note
    assert store.load(TOKENS[3]).run is None   # only its settings are kept
    assert store.load(TOKENS[1]).run is not None and store.load(TOKENS[2]).run is not None   # nobody evicted
    # a student's upload within the quota that takes the store over its budget: their own upload goes first
    assert store.keep_upload(TOKENS[1], "mine.npy", b"x" * (2 * one)) is None
    assert store.load(TOKENS[1]).upload is None   # the heaviest student gave way, their upload first
    assert store.load(TOKENS[2]).run is not None and store.load(TOKENS[1]).run is not None


def test_over_the_budget_the_heaviest_student_loses_their_oldest_item_first(tmp_path):
    run, _ = trained_run("vanilla", epochs=1)
    probe = WorkspaceStore(tmp_path / "probe")
    probe.save(TOKENS[0], run, {})
    one = entry_size(probe, TOKENS[0])
    store = WorkspaceStore(tmp_path / "s", max_bytes=int(3.5 * one), quota_bytes=10 * one, evict_every_s=0)
    store.save(TOKENS[1], run, {})                          # the oldest save, but a light student
    assert store.keep_upload(TOKENS[2], "a.npy", b"u" * one) is None
    time.sleep(0.01)
    store.save(TOKENS[2], run, {})                          # heavy: a model and an upload
    stamp = time.time() - 50
    os.utime(tmp_path / "s" / TOKENS[1], (stamp, stamp))
    store.save(TOKENS[3], run, {})                          # 4 entries' worth: over 3.5
    assert store.load(TOKENS[1]).run is not None            # the oldest save survives: its student is light
    assert store.load(TOKENS[2]).upload is None and store.load(TOKENS[2]).run is not None
    assert store.load(TOKENS[3]).run is not None


def test_an_upload_comes_back_by_its_content_and_a_new_one_replaces_it(tmp_path):
    store = WorkspaceStore(tmp_path)
    assert store.keep_upload(TOKENS[0], "../../etc/my data.npy", b"first") is None
    assert store.load(TOKENS[0]) is None   # no workspace saved yet: nothing to restore
    store.save(TOKENS[0], None, {})
    assert store.load(TOKENS[0]).upload == ("my_data.npy", b"first")
    store.keep_upload(TOKENS[0], "b.csv", b"second")
    assert store.load(TOKENS[0]).upload == ("b.csv", b"second")
    assert len(list((tmp_path / "uploads").iterdir())) == 1
    note = WorkspaceStore(tmp_path, quota_bytes=3).keep_upload(TOKENS[1], "c.npy", b"too big")
    assert "AECORE_STORE_QUOTA_MB" in note


def test_two_writers_of_one_token_save_at_once_without_errors_or_leftovers(tmp_path):
    """Two tabs of one student (threads here, processes on two replicas): every save succeeds, the entry is
    always whole, and no temporary folder is left."""
    import threading
    run, _ = trained_run("vanilla", epochs=1)
    store = WorkspaceStore(tmp_path)
    errors, start = [], threading.Barrier(4)

    def writer(i):
        start.wait()
        for k in range(15):
            try:
                store.save(TOKENS[0], run, {"writer": i, "k": k}, {"training": True})
            except Exception as err:   # the bug: OSError: Directory not empty
                errors.append(repr(err))

    def reader():
        start.wait()
        for _ in range(30):
            saved = store.load(TOKENS[0])
            if saved is not None:
                assert saved.run is not None and saved.state == {"training": True}

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(3)] + [threading.Thread(target=reader)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert [p.name for p in tmp_path.iterdir()] == [TOKENS[0]]
    assert store.load(TOKENS[0]).settings["k"] == 14


def test_stale_temporary_folders_are_swept_and_fresh_ones_kept(tmp_path):
    from aecore.runs.store import STALE_S
    store = WorkspaceStore(tmp_path)
    store.save(TOKENS[0], None, {})
    stale, fresh = tmp_path / f".{TOKENS[1]}-crashed", tmp_path / f".{TOKENS[2]}-saving"
    for folder in (stale, fresh):
        folder.mkdir()
        (folder / "model.safetensors").write_bytes(b"0" * 100)
    old = time.time() - STALE_S - 60
    os.utime(stale, (old, old))
    store.evict()
    assert not stale.exists() and fresh.exists() and (tmp_path / TOKENS[0]).exists()


def test_the_budgets_come_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("AECORE_STORE_MB", "100")
    monkeypatch.setenv("AECORE_STORE_QUOTA_MB", "2.5")
    store = WorkspaceStore(tmp_path)
    assert (store.max_bytes, store.quota_bytes) == (100 * 2**20, int(2.5 * 2**20))
    monkeypatch.setenv("AECORE_STORE_QUOTA_MB", "lots")
    with pytest.raises(ValueError, match="AECORE_STORE_QUOTA_MB must be a number of MB above 0"):
        WorkspaceStore(tmp_path)
