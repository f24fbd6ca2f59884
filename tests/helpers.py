"""What tests share, imported as `from helpers import ...` (conftest.py holds fixtures only, and no test imports
another): where the real datasets live, data lookups kept off this machine's folders and the network (a loopback
mirror instead), tiny synthetic data and runs, and the CLI in this process or in a fresh one. The pages' AppTest
helpers are in page_helpers.py."""
from __future__ import annotations

import argparse
import functools
import gzip
import http.server
import io
import os
import struct
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
from aecore.models import MODELS, build_model, variant_config
from aecore.train import fit, new_run

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATASETS = ROOT.parent / "shared" / "datasets"
DEAD_URL = "http://127.0.0.1:9/"  # the discard port: refused at once, so a stray download can never leave the machine
MNIST_NAMES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
               "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")
# The MNIST claims (lessons, page defaults, applications) hold on the 5,000 offline digits in the full run and on
# full MNIST among the heavy guards: each full-MNIST recipe trains on 60,000 digits (20-45 s apiece, 280 s in all),
# like the other full-MNIST quality targets that .ci/run runs after the README's command.
ON_MNIST = ["embedded_mnist", pytest.param("full_mnist", marks=pytest.mark.heavy)]


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


def idx_bytes(array: np.ndarray) -> bytes:
    codes = {np.dtype(np.uint8): 0x08, np.dtype(">i2"): 0x0B, np.dtype(">f4"): 0x0D}
    header = bytes([0, 0, codes[array.dtype], array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.tobytes()


def fake_mnist(folder: Path) -> Path:
    """Four well-formed but wrong MNIST files: they parse, and fail the checksum."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in MNIST_NAMES:
        shape = (10, 28, 28) if "images" in name else (10,)
        (folder / name).write_bytes(gzip.compress(idx_bytes(np.zeros(shape, np.uint8))))
    return folder


def save_npz(data, path) -> str:
    """A Dataset as an .npz file with its own test split (x, y, x_test, y_test), as the CLI reads one."""
    np.savez(path, x=data.x_train.numpy(), y=data.y_train.numpy(), x_test=data.x_test.numpy(),
             y_test=data.y_test.numpy())
    return str(path)


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


def tiny_run(variant="vanilla", epochs=2, lr=3e-3, data=None, **model):
    """A fresh (untrained) run on tiny images, and its data."""
    data = data or make_images()
    return new_run(data, variant_config(variant, latent_dim=2, **model),
                   TrainConfig(epochs=epochs, batch_size=32, lr=lr), variant), data


def random_model(name: str):
    """A small model of the variant, on 8x8 images (sequences of 12x3 where it needs them), with random weights."""
    shape = (12, 3) if "image" not in MODELS[name].kinds else (1, 8, 8)
    overrides = {"hidden": (4, 6)} if MODELS[name].defaults.get("architecture") == "conv" else {}
    if "hidden" not in overrides and MODELS[name].defaults.get("hidden", (1,)):
        overrides["hidden"] = (10, 7) if MODELS[name].defaults.get("architecture") != "lstm" else (8, 8)
    torch.manual_seed(0)
    model = build_model(variant_config(name, latent_dim=3, **overrides), shape, (0.0, 1.0) if len(shape) == 3
                        else (-1.0, 1.0), 3 if MODELS[name].defaults.get("conditional") else 0)
    with torch.no_grad():   # biases away from 0, so a misplaced one shows
        for p in model.parameters():
            p.add_(0.1 * torch.randn_like(p))
    return model.eval()


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


def parse(argv: list[str]) -> argparse.Namespace:
    """The application subcommands' flags as they read them (nothing runs)."""
    from aecore.cli.apps import add_commands

    parser = argparse.ArgumentParser()
    add_commands(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(argv)
