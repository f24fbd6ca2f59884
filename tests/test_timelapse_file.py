"""Issue 20, item 3: the time-lapse is part of the run: saved in the run folder and zip (timelapse.npz, no pickle),
in the workspace store, recorded by `python -m aecore train`, and written as a GIF by `python -m aecore timelapse`."""
from __future__ import annotations

import io
import json

import numpy as np
import pytest

from aecore.runs.checkpoint import CheckpointError, load_run, load_run_bytes, run_zip, save_run
from aecore.runs.store import WorkspaceStore, new_token
from aecore.views.timelapse import Frame, Timelapse
from aecore.views.timelapse_file import TimelapseFileError, read_timelapse, timelapse_bytes
from helpers import run_cli, trained_run


def a_timelapse(frames: int = 3, n: int = 5) -> Timelapse:
    rng = np.random.default_rng(0)
    return Timelapse(np.arange(n, dtype=np.int64), np.arange(n, dtype=np.int64) % 2, "pca", 20,
                     [Frame(10 * i + 1, i / 2, rng.normal(size=(n, 2)).astype(np.float32)) for i in range(frames)])


def same(a: Timelapse, b: Timelapse) -> bool:
    return (np.array_equal(a.index, b.index) and np.array_equal(a.labels, b.labels) and a.method == b.method
            and a.n_test == b.n_test and [(f.step, f.epoch) for f in a.frames] == [(f.step, f.epoch) for f in b.frames]
            and all(np.array_equal(f.coords, g.coords) for f, g in zip(a.frames, b.frames)))


def test_round_trip_without_pickle():
    tl = a_timelapse()
    blob = timelapse_bytes(tl)
    assert same(read_timelapse(blob), tl)
    with np.load(io.BytesIO(blob), allow_pickle=False) as npz:   # plain arrays only
        assert all(npz[k].dtype != object for k in npz.files)
    unlabelled = Timelapse(tl.index, None, "direct", 20, tl.frames)
    assert read_timelapse(timelapse_bytes(unlabelled)).labels is None


@pytest.mark.parametrize("change, message", [
    (lambda a: a.pop("coords"), "lacks coords"),
    (lambda a: a.update(coords=a["coords"][:, :2]), "shapes do not match"),
    (lambda a: a.update(method=np.array("umap")), "not a time-lapse"),
    (lambda a: a.update(index=a["index"] + 100), "out of range"),
    (lambda a: a.update(labels=a["labels"][:2]), "labels for"),
    (lambda a: a.update(steps=np.array([object()], dtype=object)), "cannot be read"),   # pickled: refused
])
def test_bad_files_are_refused_with_a_reason(change, message):
    with np.load(io.BytesIO(timelapse_bytes(a_timelapse())), allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    change(arrays)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    with pytest.raises(TimelapseFileError, match=message):
        read_timelapse(buffer.getvalue())
    with pytest.raises(TimelapseFileError, match="cannot be read"):
        read_timelapse(b"not a zip")


def test_run_folder_zip_and_store_keep_the_timelapse(tmp_path):
    run, _ = trained_run("vanilla", latent_dim=2, epochs=1)
    run.timelapse = a_timelapse()
    folder = save_run(run, tmp_path / "run")
    assert (folder / "timelapse.npz").is_file() and (folder / "history.json").is_file()
    assert same(load_run(folder).timelapse, run.timelapse)
    assert same(load_run_bytes(run_zip(run)).timelapse, run.timelapse)
    store, token = WorkspaceStore(tmp_path / "store"), new_token()
    store.save(token, run, {"latent_dim": 2})
    assert same(store.load(token).run.timelapse, run.timelapse)     # F5 / a server restart brings it back
    (folder / "timelapse.npz").write_bytes(b"damaged")
    with pytest.raises(CheckpointError, match="remove timelapse.npz"):
        load_run(folder)


def test_cli_train_records_it_and_timelapse_writes_the_gif(tmp_path):
    out = run_cli("train", "--dataset", "digits", "--variant", "vanilla", "--latent-dim", "2", "--epochs", "1",
                  "--out", str(tmp_path / "run"))
    assert out.returncode == 0 and (tmp_path / "run" / "timelapse.npz").is_file()
    frames = load_run(tmp_path / "run").timelapse.frames
    assert len(frames) >= 2 and frames[-1].step == load_run(tmp_path / "run").step
    out = run_cli("timelapse", str(tmp_path / "run"), "--gif", str(tmp_path / "space.gif"), "--size", "120")
    info = json.loads(out.stdout)
    assert out.returncode == 0 and info["frames"] == len(frames) and info["steps"][-1] == frames[-1].step
    gif = (tmp_path / "space.gif").read_bytes()
    assert gif[:6] == b"GIF89a" and int.from_bytes(gif[6:8], "little") == 120


def test_cli_timelapse_without_one_says_so(tmp_path):
    run, _ = trained_run("vanilla", latent_dim=2, epochs=1)
    save_run(run, tmp_path / "old")
    out = run_cli("timelapse", str(tmp_path / "old"), "--gif", str(tmp_path / "x.gif"))
    assert out.returncode == 2 and "has no time-lapse" in out.stderr and not (tmp_path / "x.gif").exists()
