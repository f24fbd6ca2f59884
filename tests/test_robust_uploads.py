"""Every bad file, through the pages: the sidebar's data upload and the Models page's checkpoint upload.

Each refused file must show its message, raise nothing, and leave the session's current model untouched (the
same object, with the same weights). The data corpus is tests/corpus/, the checkpoints tests/corpus/checkpoints/.

The sidebar handler is the app's own `face.sidebar.upload_ui`, run alone: AppTest (1.67) reruns only the page of
an `st.navigation` app, never the frame around it, so the sidebar cannot be driven through app.py itself after
the first run.
"""
from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import torch
from helpers import trained_run
from page_helpers import seed_workspace, sidebar, upload_data, upload_handler_script, ws
from streamlit.testing.v1 import AppTest

from aecore.data import DataLimits
from aecore.data.limits import MB
from aecore.runs.checkpoint import run_zip

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "corpus"
CHECKPOINTS = CORPUS / "checkpoints"
DATA_EXPECTED = json.loads((CORPUS / "EXPECTED.json").read_text())
CKPT_EXPECTED = json.loads((CHECKPOINTS / "EXPECTED.json").read_text())
MODELS_PAGE = str(ROOT / "pages" / "models.py")
LIMIT_VARS = ("AECORE_MAX_UPLOAD_MB", "AECORE_MAX_SAMPLES", "AECORE_MAX_FEATURES")


@pytest.fixture(autouse=True)
def default_limits(monkeypatch):
    """The corpus messages assume the default limits, whatever the shell running the tests set."""
    for var in LIMIT_VARS:
        monkeypatch.delenv(var, raising=False)


@pytest.fixture(scope="module")
def model():
    run, data = trained_run("vae", epochs=1)
    return run, data


def weights(run) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in run.model.state_dict().items()}


def assert_untouched(at: AppTest, run, before: dict[str, torch.Tensor]) -> None:
    """The session still has this very Run, with exactly the weights it had."""
    assert ws(at).run is run
    after = run.model.state_dict()
    assert after.keys() == before.keys() and all(torch.equal(after[k], before[k]) for k in before)


# --- the sidebar's data upload ------------------------------------------------------------------------------
def accepted(at: AppTest, key: str, name: str) -> tuple[str, bool]:
    """The name to upload a file under: its own when the uploader accepts its extension, else the name with
    the uploader's first type appended (the browser refuses the original before any bytes are sent)."""
    types = list(at.file_uploader(key=key).proto.type)
    if not types or name.lower().endswith(tuple(types)):
        return name, True
    return name + types[0], False


@pytest.mark.parametrize("key, name", [("upload_file", "model.pt"), ("upload_file", "random.bin")])
def test_streamlit_itself_refuses_extensions_the_uploader_does_not_list(key, name):
    """What a browser refuses before uploading; a client that sends it anyway gets Streamlit's own error."""
    at = sidebar()
    assert accepted(at, key, name)[1] is False
    upload_data(at, name, (CORPUS / name).read_bytes())
    assert "Invalid file extension" in at.exception[0].message


def test_the_handler_is_the_apps_own():
    import inspect

    import face.sidebar
    assert "from face.sidebar import read_upload, upload_ui" in upload_handler_script()
    assert "load_file(" in inspect.getsource(face.sidebar.read_upload)
    assert "file_uploader(" in inspect.getsource(face.sidebar.upload_ui)
    assert "upload_ui()" in inspect.getsource(face.sidebar.model_settings_ui)   # the one the sidebar draws
    assert "read_upload()" in inspect.getsource(face.sidebar.settings_state)    # the one app.py reads first


@pytest.mark.parametrize("name", sorted(DATA_EXPECTED))
def test_a_bad_data_file_in_the_sidebar_shows_why_and_keeps_the_model(model, name):
    run, _ = model
    before = weights(run)
    at = sidebar(run)
    banner = at.caption[0].value
    upload_name, as_is = accepted(at, "upload_file", name)
    upload_data(at, upload_name, (CORPUS / name).read_bytes())
    assert not at.exception
    errors = [e.value for e in at.sidebar.error]
    assert len(errors) == 1, errors
    assert DATA_EXPECTED[name] in errors[0] if as_is else upload_name in errors[0], errors
    assert ws(at).upload.data is None
    assert at.caption[0].value == banner   # the banner still names the same model
    assert_untouched(at, run, before)


@pytest.mark.parametrize("name", ["good.csv", "good.npz"])
def test_a_good_data_file_is_accepted_and_also_keeps_the_model(model, name):
    run, _ = model
    before = weights(run)
    at = upload_data(sidebar(run), name, (CORPUS / name).read_bytes())
    assert not at.exception and not at.sidebar.error
    assert "train /" in at.sidebar.success[0].value
    assert ws(at).upload.data.name == name
    assert_untouched(at, run, before)


def test_a_good_upload_after_a_bad_one_is_used():
    at = upload_data(sidebar(), "ragged.csv", (CORPUS / "ragged.csv").read_bytes())
    assert at.sidebar.error
    upload_data(at, "good.csv", (CORPUS / "good.csv").read_bytes())
    assert not at.exception and not at.sidebar.error
    assert ws(at).upload.data is not None


# --- limits: each configurable, each message naming its variable --------------------------------------------
@pytest.mark.parametrize("var, value, says", [
    ("AECORE_MAX_UPLOAD_MB", "0.001", "AECORE_MAX_UPLOAD_MB"),     # 1 KB: good.csv is 2 KB
    ("AECORE_MAX_SAMPLES", "20", "AECORE_MAX_SAMPLES"),            # good.csv has 50 rows
    ("AECORE_MAX_FEATURES", "3", "AECORE_MAX_FEATURES"),           # and 6 feature columns
    ("AECORE_MAX_UPLOAD_MB", "lots", "AECORE_MAX_UPLOAD_MB"),      # a typo in the server's settings
])
def test_the_sidebar_honours_the_limits_from_the_environment(monkeypatch, model, var, value, says):
    run, _ = model
    before = weights(run)
    monkeypatch.setenv(var, value)
    at = upload_data(sidebar(run), "good.csv", (CORPUS / "good.csv").read_bytes())
    assert not at.exception
    error = at.sidebar.error[0].value
    assert says in error
    if value != "lots":
        assert "raise it" in error or "raise the limit" in error
    assert_untouched(at, run, before)


def test_a_raised_limit_lets_a_large_file_through(monkeypatch):
    monkeypatch.setenv("AECORE_MAX_FEATURES", "30000")
    at = upload_data(sidebar(), "wide.csv", b"\n".join([b",".join([b"1"] * 25_000)] * 12) + b"\n")
    assert not at.exception and not at.sidebar.error
    assert ws(at).upload.data.shape == (25_000,)


def effective_streamlit_config(*options: str) -> list:
    """Streamlit's options as `streamlit run app.py` in the repository would see them (a fresh process)."""
    code = ("import json, sys; from streamlit import config; config.get_config_options(force_reparse=True); "
            "print(json.dumps([config.get_option(o) for o in sys.argv[1:]]))")
    out = subprocess.run([sys.executable, "-c", code, *options], cwd=ROOT, capture_output=True, text=True,
                         timeout=120, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_streamlits_upload_limit_matches_aecores():
    """Both in MiB (Streamlit multiplies maxUploadSize by 1024 * 1024). Equal, so that neither refuses a file
    the other would take: raise them together (AECORE_MAX_UPLOAD_MB and server.maxUploadSize)."""
    (max_upload_mb,) = effective_streamlit_config("server.maxUploadSize")
    assert max_upload_mb * MB == DataLimits().max_bytes


# --- the Models page's checkpoint upload --------------------------------------------------------------------
def models_page(run, data) -> AppTest:
    at = AppTest.from_file(MODELS_PAGE, default_timeout=30)
    seed_workspace(at, run, data)
    return at.run()


def upload_checkpoint(at: AppTest, name: str, blob: bytes) -> AppTest:
    at.file_uploader(key="model_upload").set_value((name, blob, "application/zip"))
    return at.run()


@pytest.mark.parametrize("name", sorted(CKPT_EXPECTED))
def test_a_bad_checkpoint_on_the_models_page_shows_why_and_keeps_the_model(model, name):
    run, data = model
    before = weights(run)
    at = models_page(run, data)
    banner = at.caption[0].value
    upload_name, as_is = accepted(at, "model_upload", name)
    upload_checkpoint(at, upload_name, (CHECKPOINTS / name).read_bytes())
    assert not at.exception
    assert len(at.error) == 1, [e.value for e in at.error]
    assert (CKPT_EXPECTED[name] if as_is else "Could not load") in at.error[0].value
    assert at.caption[0].value == banner
    assert_untouched(at, run, before)


@pytest.mark.parametrize("name", sorted(n for n in CKPT_EXPECTED if n.endswith(".zip")))
def test_a_bad_run_folder_on_the_models_page_shows_why_and_keeps_the_model(model, tmp_path, name):
    """The same files unpacked into a folder and loaded by path (the second tab)."""
    run, data = model
    folder = tmp_path / name.removesuffix(".zip")
    folder.mkdir()
    try:
        with zipfile.ZipFile(CHECKPOINTS / name) as zf:
            for info in zf.infolist():
                if info.file_size < 2**20:   # the bomb's member stays packed: its folder is just empty
                    (folder / Path(info.filename).name).write_bytes(zf.read(info))
    except (zipfile.BadZipFile, zipfile.error, OSError):
        (folder / "model.safetensors").write_bytes((CHECKPOINTS / name).read_bytes())   # not a zip: junk weights
    before = weights(run)
    at = models_page(run, data)
    at.text_input(key="model_path").input(str(folder)).run()
    at.button(key="model_load_folder").click().run()
    assert not at.exception
    assert len(at.error) == 1 and "Could not load" in at.error[0].value
    assert_untouched(at, run, before)


@pytest.mark.parametrize("name", sorted(DATA_EXPECTED))
def test_a_data_file_given_to_the_models_page_is_refused(model, name):
    """A student picks the wrong uploader: every data-corpus file is refused as a checkpoint too."""
    run, data = model
    before = weights(run)
    at = models_page(run, data)
    upload_checkpoint(at, accepted(at, "model_upload", name)[0], (CORPUS / name).read_bytes())
    assert not at.exception
    assert len(at.error) == 1 and "Could not load" in at.error[0].value
    assert_untouched(at, run, before)


def test_a_checkpoint_bomb_under_the_size_limit_is_not_unpacked(model):
    """config.json declaring 64 MiB from a few hundred bytes: refused by its ratio before anything is read."""
    run, data = model
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_BZIP2) as zf, zf.open("config.json", "w") as f:
        for _ in range(4):
            f.write(b" " * 2**24)
    at = upload_checkpoint(models_page(run, data), "bomb.zip", buf.getvalue())
    assert not at.exception and "limit for a zip member" in at.error[0].value
    assert ws(at).run is run


def test_a_good_checkpoint_after_bad_ones_replaces_the_model(model):
    run, data = model
    other, _ = trained_run("vanilla", latent_dim=3, epochs=1)
    at = models_page(run, data)
    for name in ("random_bytes.zip", "truncated_safetensors.zip"):
        upload_checkpoint(at, name, (CHECKPOINTS / name).read_bytes())
        assert ws(at).run is run
    upload_checkpoint(at, "other.zip", run_zip(other))
    assert not at.exception and not at.error
    assert torch.equal(ws(at).run.model.head.weight, other.model.head.weight)
    assert ws(at).run.id != other.id, "a loaded model gets a run id of its own"


# --- uploads of different sessions never share cached results ----------------------------------------------
def csv_bytes(seed: int, rows: int = 40) -> bytes:
    g = torch.Generator().manual_seed(seed)
    values = torch.randn(rows, 5, generator=g)
    return ("a,b,c,d,e\n" + "\n".join(",".join(f"{v:.4f}" for v in row) for row in values.tolist())).encode()


def test_two_uploads_with_the_same_name_and_size_get_different_cache_keys():
    """Pages key st.cache_data / st.cache_resource (shared by every session) by (name, source, sizes): two
    students' different files called data.csv must not share a cached encoding or PCA."""
    a = ws(upload_data(sidebar(), "data.csv", csv_bytes(1))).upload.data
    b = ws(upload_data(sidebar(), "data.csv", csv_bytes(2))).upload.data
    again = ws(upload_data(sidebar(), "data.csv", csv_bytes(1))).upload.data
    assert not torch.equal(a.x_test, b.x_test)
    key = lambda d: (d.name, d.source, len(d.x_train), len(d.x_test))  # noqa: E731  (the pages' data_key)
    assert key(a) != key(b)
    assert key(a) == key(again)   # the same file may share: its results are the same
