"""AppTest of the Models page: download name, loading zips and folders, errors that leave the model alone."""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
import torch
from helpers import one_thread, trained_run
from page_helpers import seed_workspace, ws
from streamlit.testing.v1 import AppTest

from aecore.runs.checkpoint import load_run_bytes, run_zip, save_run

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "models.py")


@pytest.fixture(scope="module")
def vae():
    with one_thread():
        return trained_run("vae", epochs=2)


def open_page(run=None, data=None, **state) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=30)
    seed_workspace(at, run, data)
    for k, v in state.items():
        at.session_state[k] = v
    return at.run()


def upload(at: AppTest, name: str, blob: bytes) -> AppTest:
    at.file_uploader(key="model_upload").set_value((name, blob, "application/zip"))
    return at.run()


def test_without_a_model():
    at = open_page()
    assert not at.exception
    assert at.title[0].value == "Models"
    assert len(at.get("download_button")) == 0
    assert "No model yet" in at.info[0].value


def test_current_model_is_described_and_downloadable(vae):
    run, data = vae
    run.variant = "vae"
    at = open_page(run, data)
    assert not at.exception
    assert len(at.get("download_button")) == 1
    assert f"Saved as `vae-bars-z{run.model_config.latent_dim}.zip`" in at.caption[1].value
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Test loss"] == f"{run.test_loss:.2f}"
    assert metrics["Epochs"] == f"{run.epoch} of {run.total_epochs}"
    assert f"{run.step:,} steps" in " ".join(c.value for c in at.caption)
    assert len(at.dataframe[0].value) == len(run.test_history)


def test_uploading_a_zip_replaces_the_model(vae):
    run, data = vae
    with one_thread():
        other, _ = trained_run("vanilla", latent_dim=3, epochs=1)
    at = open_page(run, data)
    upload(at, "other.zip", run_zip(other))
    assert not at.exception
    new = ws(at).run
    assert new is not run and new.model_config.latent_dim == 3
    assert torch.equal(new.model.head.weight, other.model.head.weight)
    assert new.id not in (other.id, run.id), "a loaded model gets a run id of its own, not the file's"
    assert "Loaded other.zip" in at.success[0].value
    assert "bottleneck 3" in at.caption[0].value   # the banner already shows the new model


@pytest.mark.parametrize("name, blob, says", [
    ("notes.zip", b"this is not a zip", "not a zip archive"),
    ("empty.zip", None, "config.json is missing"),
])
def test_a_bad_upload_shows_why_and_keeps_the_model(vae, name, blob, says):
    run, data = vae
    if blob is None:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            zf.writestr("readme.txt", "nothing here")
        blob = buf.getvalue()
    at = open_page(run, data)
    upload(at, name, blob)
    assert not at.exception
    assert says in at.error[0].value
    assert ws(at).run is run


def test_the_uploader_offers_only_what_loads(vae):
    """Issue 12: it offered .pt, .pth and .ckpt, then refused them (pickles are never loaded)."""
    run, data = vae
    at = open_page(run, data)
    assert at.get("file_uploader")[0].proto.type == [".zip"]


def test_a_damaged_weights_file_is_refused(vae):
    run, data = vae
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(run_zip(run))) as src, zipfile.ZipFile(buf, "w") as dst:
        for info in src.infolist():
            blob = src.read(info)
            dst.writestr(info.filename, blob[:len(blob) // 2] if info.filename == "model.safetensors" else blob)
    at = open_page(run, data)
    upload(at, "cut.zip", buf.getvalue())
    assert "damaged or truncated" in at.error[0].value
    assert ws(at).run is run


def test_loading_a_run_folder(vae, tmp_path, monkeypatch):
    run, data = vae
    save_run(run, tmp_path / "my-run")
    monkeypatch.setenv("AECORE_RUNS_DIR", str(tmp_path))
    at = open_page(data=data)
    at.text_input(key="model_path").input("my-run").run()
    at.button(key="model_load_folder").click().run()
    assert not at.exception
    assert torch.equal(ws(at).run.model.head.weight, run.model.head.weight)
    assert ws(at).run.id != run.id, "a loaded model gets a run id of its own, not the folder's"
    assert "Loaded" in at.success[0].value


def test_a_missing_folder_shows_why(vae, tmp_path, monkeypatch):
    run, data = vae
    monkeypatch.setenv("AECORE_RUNS_DIR", str(tmp_path))
    at = open_page(run, data)
    at.text_input(key="model_path").input("nope").run()
    at.button(key="model_load_folder").click().run()
    assert "not a run folder under the runs folder" in at.error[0].value
    assert ws(at).run is run


# Issue 12: the folder box loaded any path on the server (`/etc` answered "config.json is missing").
HOSTILE = ["/etc", "/etc/passwd", "/", "..", "../..", "../../etc/shadow", "~", "/proc/self/environ", "link-out",
           "link-out/secret", "ok/../../outside/secret", "/tmp", "%2e%2e/etc"]


def test_hostile_paths_are_refused_alike_and_lose_nothing(vae, tmp_path, monkeypatch):
    run, data = vae
    root = tmp_path / "runs"
    save_run(run, root / "ok")
    save_run(run, tmp_path / "outside" / "secret")
    (root / "link-out").symlink_to(tmp_path / "outside")
    monkeypatch.setenv("AECORE_RUNS_DIR", str(root))
    at = open_page(run, data)
    answers = set()
    for text in HOSTILE:
        at.text_input(key="model_path").input(text).run()
        at.button(key="model_load_folder").click().run()
        assert not at.exception and ws(at).run is run, text
        answers.add(at.error[0].value.replace(repr(text), "PATH").replace(f"load {text}:", "load PATH:"))
    assert len(answers) == 1 and "not a run folder under the runs folder" in answers.pop()
    assert str(tmp_path) not in " ".join(e.value for e in at.error)


def test_the_page_says_where_models_train(vae, monkeypatch):
    """Issue 14: one line on the Models page names the backend (in-process here: no AECORE_RAY_ADDRESS)."""
    monkeypatch.delenv("AECORE_RAY_ADDRESS", raising=False)
    run, data = vae
    at = open_page(run, data)
    assert any("Training runs on this server" in c.value for c in at.caption)
