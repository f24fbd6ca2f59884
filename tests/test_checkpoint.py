"""Run folders round-trip exactly, and every damaged or hostile checkpoint fails with a clear CheckpointError."""
from __future__ import annotations

import io
import json
import pickle
import zipfile

import pytest
import torch

from aecore.runs.checkpoint import CheckpointError, load_run, load_run_bytes, run_zip, save_run
from aecore.infer import encode_all, reconstruct, sample
from aecore.models import MODELS
from helpers import trained_run

VARIANTS = sorted(MODELS)


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Tiny models: one thread is faster, and steady on a busy machine (see test_train.py)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A trained VAE's run folder, reused by the error tests (each damages its own copy)."""
    run, data = trained_run("vae", epochs=1)
    return run, data, save_run(run, tmp_path_factory.mktemp("vae_run"))


def copy_run(folder, tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    for f in folder.iterdir():
        (out / f.name).write_bytes(f.read_bytes())
    return out


def edit_config(folder, change):
    cfg = json.loads((folder / "config.json").read_text())
    change(cfg)
    (folder / "config.json").write_text(json.dumps(cfg))


@pytest.mark.parametrize("variant", VARIANTS)
def test_save_load_reproduces_outputs_exactly(variant, tmp_path):
    run, data = trained_run(variant, epochs=1)
    loaded = load_run(save_run(run, tmp_path / "run"))
    x, y = data.x_test, data.y_test
    assert torch.equal(reconstruct(loaded.model, x, y), reconstruct(run.model, x, y))
    assert torch.equal(encode_all(loaded.model, x, y), encode_all(run.model, x, y))
    if MODELS[variant].generative:
        label = 1 if run.model_config.conditional else None
        assert torch.equal(sample(loaded.model, 8, seed=3, label=label), sample(run.model, 8, seed=3, label=label))
    assert loaded.model_config == run.model_config and loaded.variant == run.variant
    assert (loaded.step, loaded.epoch, loaded.batch) == (run.step, run.epoch, run.batch)
    assert loaded.history == run.history and loaded.test_history == run.test_history
    assert loaded.data_info == run.data_info


def test_zip_round_trip(saved):
    run, data, _ = saved
    loaded = load_run_bytes(run_zip(run), "my run.zip")
    assert torch.equal(reconstruct(loaded.model, data.x_test), reconstruct(run.model, data.x_test))
    assert loaded.id == run.id


def test_zip_of_a_folder_loads(saved, tmp_path):
    """Zipping the folder itself (files one level down) is what people do with a file manager."""
    run, data, folder = saved
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for f in folder.iterdir():
            zf.write(f, f"vae_run/{f.name}")
    loaded = load_run_bytes(buf.getvalue(), "vae_run.zip")
    assert torch.equal(reconstruct(loaded.model, data.x_test), reconstruct(run.model, data.x_test))


def test_a_loaded_run_resumes_where_it_stopped(tmp_path):
    """Weights, counters and schedule come back; Adam's moments are not saved, so the continuation is
    close to, not identical with, an uninterrupted run."""
    from aecore.config import TrainConfig
    from aecore.models import variant_config
    from aecore.train import fit, new_run
    from helpers import make_images
    data = make_images()
    run = new_run(data, variant_config("vanilla"), TrainConfig(epochs=2, batch_size=32))
    list(fit(run, data, max_steps=3))
    loaded = load_run(save_run(run, tmp_path / "run"))
    steps = list(fit(loaded, data))
    assert [s.n for s in steps] == list(range(4, 13)) and loaded.done
    assert [t["epoch"] for t in loaded.test_history] == [1, 2]


# --- errors -------------------------------------------------------------------------------------------
def test_missing_folder(tmp_path):
    with pytest.raises(CheckpointError, match="not a folder"):
        load_run(tmp_path / "nope")


@pytest.mark.parametrize("name", ["model.safetensors", "config.json"])
def test_missing_file(saved, tmp_path, name):
    folder = copy_run(saved[2], tmp_path)
    (folder / name).unlink()
    with pytest.raises(CheckpointError, match=f"{name} is missing"):
        load_run(folder)


def test_missing_history_is_fine(saved, tmp_path):
    folder = copy_run(saved[2], tmp_path)
    (folder / "history.json").unlink()
    assert load_run(folder).history == []


@pytest.mark.parametrize("keep", [0.5, 0.99])
def test_truncated_safetensors(saved, tmp_path, keep):
    folder = copy_run(saved[2], tmp_path)
    blob = (folder / "model.safetensors").read_bytes()
    (folder / "model.safetensors").write_bytes(blob[:int(len(blob) * keep)])
    with pytest.raises(CheckpointError, match="damaged or truncated"):
        load_run(folder)


def test_garbage_safetensors(saved, tmp_path):
    folder = copy_run(saved[2], tmp_path)
    (folder / "model.safetensors").write_bytes(b"\x00" * 64)
    with pytest.raises(CheckpointError, match="model.safetensors"):
        load_run(folder)


def test_config_that_mismatches_the_weights(saved, tmp_path):
    folder = copy_run(saved[2], tmp_path)
    edit_config(folder, lambda c: c["model"].update(latent_dim=c["model"]["latent_dim"] + 3))
    with pytest.raises(CheckpointError, match="does not match config.json.*shape"):
        load_run(folder)


def test_config_with_other_layers_than_the_weights(saved, tmp_path):
    folder = copy_run(saved[2], tmp_path)
    edit_config(folder, lambda c: c["model"].update(hidden=[400, 100]))
    with pytest.raises(CheckpointError, match="does not match config.json.*missing"):
        load_run(folder)


def test_weights_with_nan_are_refused(saved, tmp_path):
    from safetensors.torch import load, save
    folder = copy_run(saved[2], tmp_path)
    weights = load((folder / "model.safetensors").read_bytes())
    weights["head.bias"][0] = float("nan")
    (folder / "model.safetensors").write_bytes(save(weights))
    with pytest.raises(CheckpointError, match="NaN"):
        load_run(folder)


@pytest.mark.parametrize("change, message", [
    (lambda c: c.update(format="something-else"), "not a Latent Lab run config"),
    (lambda c: c.pop("format"), "not a Latent Lab run config"),
    (lambda c: c.update(format_version=99), "format version 99"),
    (lambda c: c["model"].update(wings=2), "unknown ModelConfig fields: wings"),
    (lambda c: c["model"].update(latent_dim=0), "latent_dim must be at least 1"),
    (lambda c: c.pop("input_shape"), "input_shape"),
    (lambda c: c.update(data=[1, 2]), "does not describe a model"),
])
def test_bad_config(saved, tmp_path, change, message):
    folder = copy_run(saved[2], tmp_path)
    edit_config(folder, change)
    with pytest.raises(CheckpointError, match=message):
        load_run(folder)


@pytest.mark.parametrize("text", ["{not json", "", "[1, 2]", "\xff\xfe"])
def test_invalid_json(saved, tmp_path, text):
    folder = copy_run(saved[2], tmp_path)
    (folder / "config.json").write_bytes(text.encode("latin-1"))
    with pytest.raises(CheckpointError, match="config.json"):
        load_run(folder)


def test_damaged_history(saved, tmp_path):
    folder = copy_run(saved[2], tmp_path)
    (folder / "history.json").write_text('{"steps": [{"n": 1}]}')
    with pytest.raises(CheckpointError, match="history.json is damaged"):
        load_run(folder)


def test_not_a_zip():
    with pytest.raises(CheckpointError, match="not a zip archive"):
        load_run_bytes(b"hello", "run.zip")


def test_zip_without_a_run():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("readme.txt", "hi")
    with pytest.raises(CheckpointError, match="config.json is missing"):
        load_run_bytes(buf.getvalue(), "run.zip")


# --- pickles are never unpickled ----------------------------------------------------------------------
class Trap:
    """Unpickling this creates a marker file: proof that something ran code from the upload."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_the_trap_springs_when_unpickled(tmp_path):
    """So the tests below, which assert it did not, can fail."""
    marker = tmp_path / "pwned"
    pickle.loads(pickle.dumps(Trap(marker))).close()
    assert marker.exists()


@pytest.fixture
def no_unpickling(monkeypatch):
    """Fail loudly if anything tries to unpickle during the test."""
    def refuse(*args, **kwargs):
        raise AssertionError("something tried to unpickle")
    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "Unpickler", refuse)
    monkeypatch.setattr(torch, "load", refuse)


@pytest.mark.parametrize("filename", ["model.pt", "model.pth", "weights.ckpt", "run.pkl"])
def test_pickled_upload_is_refused_without_unpickling(tmp_path, filename, no_unpickling):
    marker = tmp_path / "pwned"
    blob = pickle.dumps(Trap(marker))
    with pytest.raises(CheckpointError, match="pickled checkpoints are not accepted"):
        load_run_bytes(blob, filename)
    assert not marker.exists()


def test_torch_save_archive_disguised_as_zip_is_refused_without_unpickling(tmp_path, monkeypatch):
    """torch.save writes a zip whose data.pkl runs code when loaded; renamed to .zip it must still not be."""
    marker = tmp_path / "pwned"
    buf = io.BytesIO()
    torch.save({"state": Trap(marker)}, buf)
    assert not marker.exists()
    with monkeypatch.context() as m:
        m.setattr(pickle, "loads", lambda *a, **k: pytest.fail("unpickled"))
        m.setattr(pickle, "Unpickler", lambda *a, **k: pytest.fail("unpickled"))
        m.setattr(torch, "load", lambda *a, **k: pytest.fail("unpickled"))
        with pytest.raises(CheckpointError, match="config.json is missing"):
            load_run_bytes(buf.getvalue(), "checkpoint.zip")
    assert not marker.exists()


def test_pickle_named_as_weights_in_a_folder_is_refused(saved, tmp_path, no_unpickling):
    """A pickle saved under the safetensors name is read as safetensors (and fails), never unpickled."""
    folder = copy_run(saved[2], tmp_path)
    marker = tmp_path / "pwned"
    (folder / "model.safetensors").write_bytes(pickle.dumps(Trap(marker), protocol=2))
    with pytest.raises(CheckpointError, match="damaged or truncated"):
        load_run(folder)
    assert not marker.exists()
