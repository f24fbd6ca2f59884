"""Security: untrusted bytes never reach pickle or torch.load, user file names never become paths, and
Streamlit's XSRF protection stays on.
"""
from __future__ import annotations

import io
import json
import pickle
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from helpers import trained_run
from page_helpers import seed_workspace, sidebar, upload_data, ws
from streamlit.testing.v1 import AppTest

from aecore import cli
from aecore.data import DataError, DataLimits, load_dataset, load_file
from aecore.runs.checkpoint import CheckpointError, load_run, load_run_bytes, run_zip

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "corpus"
CHECKPOINTS = CORPUS / "checkpoints"
DATA_FILES = sorted(p for p in CORPUS.iterdir() if p.is_file() and p.name not in ("EXPECTED.json", "make_corpus.py"))
CHECKPOINT_FILES = sorted(p for p in CHECKPOINTS.iterdir() if p.name not in ("EXPECTED.json", "make_checkpoints.py"))
LIMITS = DataLimits()


class Unpickled(AssertionError):
    """Raised by the patched unpicklers: reaching one is the bug."""


@pytest.fixture
def no_unpickling(monkeypatch):
    """Every way into pickle or torch's unpickler raises: a loader that reaches one fails the test."""
    def refuse(*_, **__):
        raise Unpickled("an untrusted file reached an unpickler")

    class RefusingUnpickler:
        def __init__(self, *_, **__):
            refuse()

    for module in (pickle, sys.modules.get("_pickle")):
        if module is not None:
            for name in ("load", "loads"):
                monkeypatch.setattr(module, name, refuse)
            monkeypatch.setattr(module, "Unpickler", RefusingUnpickler)
    monkeypatch.setattr(torch, "load", refuse)
    monkeypatch.setattr(torch.serialization, "load", refuse)
    monkeypatch.setattr(np.lib.format, "read_array", _no_pickle_read_array(np.lib.format.read_array))


def _no_pickle_read_array(real):
    def read_array(fp, allow_pickle=False, *args, **kwargs):
        if allow_pickle:
            raise Unpickled("np.load(allow_pickle=True) on an untrusted file")
        return real(fp, allow_pickle, *args, **kwargs)
    return read_array


def test_the_unpicklers_really_are_blocked(no_unpickling):
    with pytest.raises(Unpickled):
        pickle.loads(pickle.dumps(1))
    with pytest.raises(Unpickled):
        torch.load(io.BytesIO(b""))
    with pytest.raises(Unpickled):
        np.load(CORPUS / "pickled.npy", allow_pickle=True)


@pytest.mark.parametrize("path", DATA_FILES + CHECKPOINT_FILES, ids=lambda p: p.name)
def test_no_file_reaches_an_unpickler_through_any_loader(no_unpickling, path, tmp_path):
    """Every corpus file (data and checkpoints, good and bad) through every loader an upload or the CLI uses."""
    blob = path.read_bytes()
    loaders = [
        lambda: load_file(blob, path.name, LIMITS),             # the sidebar upload
        lambda: load_dataset(str(path), limits=LIMITS),         # `train --dataset FILE`
        lambda: load_run_bytes(blob, path.name),                # the Models page upload, `eval FILE.zip`
        lambda: load_run_bytes(blob, path.name + ".zip"),       # ... whatever it is called
    ]
    folder = tmp_path / "run"
    folder.mkdir()
    for name in ("model.safetensors", "config.json", "history.json"):
        (folder / name).write_bytes(blob)
    loaders.append(lambda: load_run(folder))                     # the Models page folder box, `eval DIR`
    for load in loaders:
        try:
            load()
        except (DataError, CheckpointError):
            pass


def test_the_cli_never_unpickles(no_unpickling, capsys):
    for path in CHECKPOINT_FILES + [CORPUS / "model.pt", CORPUS / "pickled.npy"]:
        assert cli.main(["eval", str(path), "--device", "cpu"]) == 2
        assert "error:" in capsys.readouterr().err


def test_a_real_torch_checkpoint_is_refused_by_every_loader(no_unpickling, tmp_path):
    buf = io.BytesIO()
    torch.save({"encoder.weight": torch.zeros(2, 2)}, buf)   # built before the patch matters: save needs no unpickler
    for name in ("model.pt", "model.zip", "model.npz", "model.bin", "model"):
        with pytest.raises(DataError):
            load_file(buf.getvalue(), name, LIMITS)
        with pytest.raises(CheckpointError):
            load_run_bytes(buf.getvalue(), name)


# --- file names from users ----------------------------------------------------------------------------------
HOSTILE_NAMES = ["../../etc/passwd.csv", "/abs/x.npz", "a/../../b.zip", "..\\..\\win.csv", "C:\\Users\\x.csv",
                 "~/.bashrc.csv", "%2e%2e%2fetc.csv", "name\x00.csv", ".csv", "../", ""]


@pytest.fixture
def file_events():
    """Paths opened, created or listed while a test runs (Python's audit hooks see every one)."""
    seen: list[str] = []
    active = [True]

    def hook(event, args):
        if active[0] and (event in ("open", "os.mkdir", "os.rename", "os.remove", "os.listdir", "os.scandir",
                                    "shutil.copyfile", "os.symlink", "os.chdir") or event.startswith("tempfile")):
            seen.extend(str(a) for a in args[:2] if isinstance(a, (str, bytes, Path)))

    sys.addaudithook(hook)   # hooks cannot be removed; this one goes quiet after the test
    yield seen
    active[0] = False


def good_bytes_for(name: str) -> bytes:
    """Valid content in the format the name's extension asks for (so the name is all that is hostile)."""
    if name.endswith(".npz"):
        return (CORPUS / "good.npz").read_bytes()
    if name.endswith(".zip"):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            from PIL import Image
            for i in range(12):
                img = io.BytesIO()
                Image.new("L", (8, 8), 10 * i).save(img, format="PNG")
                zf.writestr(f"img{i:02d}.png", img.getvalue())
        return buf.getvalue()
    return (CORPUS / "good.csv").read_bytes()


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_an_upload_name_is_never_used_as_a_path(name, tmp_path, monkeypatch, file_events):
    monkeypatch.chdir(tmp_path)
    try:
        data = load_file(good_bytes_for(name), name, LIMITS)
    except DataError as err:
        assert "Traceback" not in str(err)
    else:
        assert "/" not in data.name and "\\" not in data.name and data.name not in ("..", ".")
    run, _ = trained_run("vanilla", epochs=1)
    try:
        load_run_bytes(run_zip(run), name)
    except CheckpointError:
        pass
    parts = [part for part in name.replace("\\", "/").split("/") if len(part) >= 3]   # "etc", "passwd.csv", ...
    touched = [p for p in file_events if any(f"/{part}" in p or p == part for part in parts)]
    assert touched == [], f"the name {name!r} reached the file system: {touched}"
    assert list(tmp_path.iterdir()) == []   # nothing written where the server runs


@pytest.mark.parametrize("name", ["../../etc/passwd.csv", "/abs/x.csv", "a/../../b.csv"])
def test_the_pages_show_only_the_base_name(name, tmp_path, monkeypatch):
    """The sidebar handler (the app's own, see test_robust_uploads) with a path-like name: loaded, named by
    its last part, and nothing written."""
    monkeypatch.chdir(tmp_path)
    at = upload_data(sidebar(), name, (CORPUS / "good.csv").read_bytes())
    assert not at.exception and not at.sidebar.error
    assert ws(at).upload.data.name == Path(name).name
    assert list(tmp_path.iterdir()) == []


def test_zip_members_are_never_extracted(tmp_path, monkeypatch, file_events):
    """traversal.zip holds '../../evil.png': refused, and no member name ever reaches the file system."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DataError, match="unsafe path"):
        load_file((CORPUS / "traversal.zip").read_bytes(), "traversal.zip", LIMITS)
    assert not [p for p in file_events if "evil" in p]
    run, _ = trained_run("vanilla", epochs=1)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf, zipfile.ZipFile(io.BytesIO(run_zip(run))) as src:
        for info in src.infolist():
            zf.writestr("../../../tmp/evil/" + info.filename, src.read(info))
    loaded = load_run_bytes(buf.getvalue(), "nested.zip")   # read in memory: the nesting is harmless
    assert loaded.id == run.id
    assert not [p for p in file_events if "evil" in p] and list(tmp_path.iterdir()) == []


# --- Streamlit's own protections ----------------------------------------------------------------------------
def effective(*options: str) -> list:
    code = ("import json, sys; from streamlit import config; config.get_config_options(force_reparse=True); "
            "from streamlit.web.server.server_util import is_xsrf_enabled; "
            "print(json.dumps([is_xsrf_enabled()] + [config.get_option(o) for o in sys.argv[1:]]))")
    env = {k: v for k, v in __import__("os").environ.items() if not k.startswith("STREAMLIT_")}
    out = subprocess.run([sys.executable, "-c", code, *options], cwd=ROOT, capture_output=True, text=True,
                         timeout=120, check=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_xsrf_protection_is_on_in_the_effective_config():
    xsrf_enabled, option, cors = effective("server.enableXsrfProtection", "server.enableCORS")
    assert xsrf_enabled is True and option is True
    assert cors is True   # with CORS off Streamlit would have to weaken XSRF for cross-origin requests


def test_nothing_in_the_repository_turns_xsrf_off():
    offenders = []
    for path in ROOT.rglob("*"):
        if path.is_file() and path.suffix in (".py", ".toml", ".sh", ".md", ".yml", ".yaml", ".cfg", ".ini") \
                and ".git" not in path.parts and path.name != Path(__file__).name:
            text = path.read_text(errors="ignore").lower()
            if "enablexsrfprotection=false" in text.replace(" ", "").replace('"', "") \
                    or "enable_xsrf_protection=false" in text.replace(" ", "").replace('"', ""):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_a_pickled_checkpoint_on_the_models_page_is_explained_not_loaded(no_unpickling):
    run, data = trained_run("vae", epochs=1)
    at = AppTest.from_file(str(ROOT / "pages" / "models.py"), default_timeout=30)
    seed_workspace(at, run)
    at.run()
    name = "model.pt" if ".pt" in at.file_uploader(key="model_upload").proto.type else "model.pt.zip"
    at.file_uploader(key="model_upload").set_value((name, (CHECKPOINTS / "pickled.pt").read_bytes(), "x"))
    at.run()
    assert not at.exception and ws(at).run is run
    assert "Could not load" in at.error[0].value
