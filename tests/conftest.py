"""Shared fixtures: tiny synthetic data and runs, and where the real datasets live when present."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

from aecore.config import TrainConfig
from aecore.data.dataset import Dataset
from aecore.models import variant_config
from aecore.train import fit, new_run

SHARED_DATASETS = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"


def shared_dataset(name: str) -> Path:
    """Path of a real dataset folder beside the repo, or skip the test when it is absent."""
    path = SHARED_DATASETS / name
    if not path.exists():
        pytest.skip(f"real dataset {name} not present at {path}")
    return path


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


def ws(at):
    """The Workspace of an AppTest session: the one object pages take out of session state."""
    return at.session_state["workspace"]


def seed_workspace(at, run=None, data=None, job=None):
    """Give an AppTest session a Workspace before its first run: a model, its job, and `data` as the upload."""
    from face.workspace import Upload, Workspace
    at.session_state["workspace"] = workspace = Workspace(run=run, job=job, upload=Upload(data=data))
    return workspace
