"""Shared fixtures: tiny synthetic data and runs, where the real datasets live when present, data lookups kept off
this machine's folders and the network (a loopback mirror instead), the CLI in this process or in a fresh one, and
the app's sidebar upload handler."""
from __future__ import annotations

import ast
import functools
import http.server
import io
import os
import subprocess
import sys
import threading
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import torch

from aecore.config import TrainConfig
from aecore.data.dataset import Dataset
from aecore.models import variant_config
from aecore.train import fit, new_run

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATASETS = ROOT.parent / "shared" / "datasets"
# The app keeps students' workspaces in a store (face.persist, aecore.runs.store): the tests' go to a folder of their
# own, never the user's cache. Set before any app runs, since the store is built once per process.
os.environ.setdefault("AECORE_STORE_DIR", str(Path(__import__("tempfile").mkdtemp(prefix="latentlab-store-"))))
DEAD_URL = "http://127.0.0.1:9/"  # the discard port: refused at once, so a stray download can never leave the machine


def shared_dataset(name: str) -> Path:
    """Path of a real dataset folder beside the repo, or skip the test when it is absent."""
    path = SHARED_DATASETS / name
    if not path.exists():
        pytest.skip(f"real dataset {name} not present at {path}")
    return path


def isolate_data(monkeypatch, tmp_path) -> None:
    """No user data dir, no system folders (whatever packages this machine has), a fresh cache, and download URLs
    that can only fail fast."""
    monkeypatch.delenv("AECORE_DATA_DIR", raising=False)
    monkeypatch.setenv("AECORE_SYSTEM_DATA_DIRS", "")
    monkeypatch.delenv("AECORE_ECG5000_URL", raising=False)
    monkeypatch.setenv("AECORE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("AECORE_MNIST_URL", DEAD_URL)
    monkeypatch.setenv("AECORE_FASHION_MNIST_URL", DEAD_URL)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    if "face.datasets" in sys.modules:   # a page test after this one must not get a dataset an earlier test loaded
        sys.modules["face.datasets"].load_builtin.clear()


@contextmanager
def serve(folder: Path):
    """An http.server on 127.0.0.1 serving `folder`, in a thread: a dataset mirror that never leaves the machine."""
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()


def make_images(n: int = 240, seed: int = 0, size: int = 8) -> Dataset:
    """Three classes of blurry bars (horizontal, vertical, diagonal): learnable structure in a few steps."""
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 3, (n,), generator=g)
    x = torch.zeros(n, 1, size, size)
    pos = torch.randint(1, size - 1, (n,), generator=g)
    for i in range(n):
        if y[i] == 0:
            x[i, 0, pos[i], :] = 1.0
        elif y[i] == 1:
            x[i, 0, :, pos[i]] = 1.0
        else:
            x[i, 0].fill_diagonal_(1.0)
    x = (x + 0.05 * torch.rand(x.shape, generator=g)).clamp(0, 1)
    cut = n * 4 // 5
    return Dataset("bars", "Bars (synthetic)", x[:cut], y[:cut], x[cut:], y[cut:], "image",
                   ("horizontal", "vertical", "diagonal"), (0.0, 1.0), "generated")


def make_sequences(n: int = 120, steps: int = 24, seed: int = 0) -> Dataset:
    """Sine waves of two frequencies, label = which one."""
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 2, (n,), generator=g)
    t = torch.linspace(0, 6.28, steps)
    phase = torch.rand(n, 1, generator=g) * 6.28
    x = torch.sin((1 + y[:, None].float()) * t + phase).unsqueeze(-1)
    cut = n * 4 // 5
    return Dataset("waves", "Waves (synthetic)", x[:cut], y[:cut], x[cut:], y[cut:], "sequence",
                   ("slow", "fast"), (-1.0, 1.0), "generated")


def write_bars(path: Path, n: int = 200, size: int = 8, labels: bool = True, seed: int = 0) -> Path:
    """`make_images` as an .npz file (x: (N, size, size), y) that the CLI reads like any user's file."""
    data = make_images(n=n, seed=seed, size=size)
    x = torch.cat([data.x_train, data.x_test])[:, 0].numpy()         # (N, size, size) in [0, 1]
    arrays = {"x": x, "y": torch.cat([data.y_train, data.y_test]).numpy()} if labels else {"x": x}
    np.savez(path, **arrays)
    return path


@pytest.fixture
def tiny_images() -> Dataset:
    return make_images()


@pytest.fixture
def tiny_sequences() -> Dataset:
    return make_sequences()


def data_for(variant: str) -> Dataset:
    """The tiny dataset a variant trains on in tests: sequences for the LSTM, images otherwise."""
    return make_sequences() if variant == "lstm" else make_images()


def trained_run(variant: str = "vae", latent_dim: int = 2, epochs: int = 2, **model_overrides):
    """A run trained for a couple of epochs on tiny data (well under a second)."""
    data = data_for(variant)
    run = new_run(data, variant_config(variant, latent_dim=latent_dim, **model_overrides),
                  TrainConfig(epochs=epochs, batch_size=32, lr=3e-3))
    for _ in fit(run, data):
        pass
    return run, data


@contextmanager
def one_thread():
    """Tiny models train in the main thread with one torch thread: two OpenMP threads on a busy 2-core
    machine make each tiny step 10-40x slower (measured), one costs nothing."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@pytest.fixture(scope="session")
def embedded_mnist() -> Dataset:
    """The 5k offline digits: what `mnist` is on a machine without the full files (whatever this one has)."""
    from aecore.data import load_dataset

    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("AECORE_DATA_DIR", raising=False)
        data = load_dataset("mnist", allow_download=False, cache_dir=str(ROOT / "no-cache-here"))
    assert data.title == "MNIST (5k offline subset)"
    return data


@pytest.fixture(scope="session")
def full_mnist() -> Dataset:
    """Full MNIST (60k / 10k) from the shared folder; the test is skipped without it."""
    from aecore.data import load_dataset

    return load_dataset("mnist", data_dir=str(shared_dataset("mnist").parent), allow_download=False)


# --- the command line ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CliResult:
    """What one CLI call left behind, shaped like subprocess.CompletedProcess so checks take either."""

    returncode: int
    stdout: str
    stderr: str


def run_cli(*args, cwd: Path | str = ".") -> CliResult:
    """`python -m aecore ARGS` without the process: aecore.cli.main in `cwd`, its stdout and stderr captured,
    argparse's SystemExit (a usage error, --help) read as the exit code. Each subprocess would pay a ~2 s torch
    import; this pays nothing, and works in module-scoped fixtures, where capsys does not. One torch thread,
    as module_env gives a subprocess."""
    from aecore.cli import main

    out, err, before = io.StringIO(), io.StringIO(), os.getcwd()
    os.chdir(cwd)
    try:
        with redirect_stdout(out), redirect_stderr(err), one_thread():
            try:
                code = main([str(a) for a in args])
            except SystemExit as stop:
                code = stop.code
    finally:
        os.chdir(before)
    return CliResult(code, out.getvalue(), err.getvalue())


def module_env() -> dict:
    """The environment for a `python -m aecore` subprocess: this checkout first on the path, one torch thread."""
    e = dict(os.environ)
    e["PYTHONPATH"] = os.pathsep.join([str(ROOT), e.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    # one torch thread: these models are tiny, and on a busy 2-core machine two threads made them ~20x slower
    e["OMP_NUM_THREADS"] = "1"
    return e


def run_module(*args, cwd: Path | str, timeout: float = 120) -> subprocess.CompletedProcess:
    """`python -m aecore ARGS` in a fresh process: the true end-to-end path, for the few tests marked slow."""
    return subprocess.run([sys.executable, "-m", "aecore", *map(str, args)], cwd=cwd, env=module_env(),
                          capture_output=True, text=True, timeout=timeout)


# --- the sidebar's data upload ---------------------------------------------------------------------------------
def upload_handler_script() -> str:
    """The sidebar's upload handler (face.sidebar.upload_ui), then the model banner (what the page above it shows)."""
    return "\n".join([f"import sys; sys.path.insert(0, {str(ROOT)!r})", "from face.sidebar import upload_ui",
                      "from face.widgets import model_banner", "upload_ui()", "model_banner()"])


def sidebar(run=None):
    """AppTest of the sidebar's upload handler alone (AppTest reruns only the page of an st.navigation app)."""
    from streamlit.testing.v1 import AppTest   # here, so tests that never draw a page never import streamlit

    at = AppTest.from_string(upload_handler_script(), default_timeout=30)
    seed_workspace(at, run)
    return at.run()


def upload_data(at, name: str, blob: bytes):
    """Upload `blob` as `name` through the sidebar's file uploader and rerun."""
    at.file_uploader(key="upload_file").set_value((name, blob, "application/octet-stream"))
    return at.run()


# --- the Workspace: the one object pages take out of session state ----------------------------------------------
def ws(at):
    """The Workspace of an AppTest session."""
    return at.session_state["workspace"]


def seed_workspace(at, run=None, data=None, job=None):
    """Give an AppTest session a Workspace before its first run: a model, its job, and `data` as the upload."""
    from face.workspace import Upload, Workspace
    at.session_state["workspace"] = workspace = Workspace(run=run, job=job, upload=Upload(data=data))
    return workspace


@pytest.fixture
def own_job_pool(monkeypatch):
    """A default job pool of this test's own (2 slots), and nothing left training after it."""
    from aecore import jobs

    pool = jobs.JobPool(2)
    monkeypatch.setattr(jobs.pool, "_POOL", pool)
    yield pool
    for job in pool._running + pool._queue:
        job.stop()
    for job in list(pool._running):
        job.wait(10)
