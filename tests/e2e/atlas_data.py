"""Data for the atlas demo app and the benchmark: all 70,000 MNIST digits (train + test) from the shared folder
(it stops, saying so, when they are not there: never the 5,000 offline digits in their place) with codes of a
quickly trained 2-D VAE; a conv VAE and a conditional VAE for the sliders; and 2,500 synthetic sine waves with a
2-D LSTM autoencoder for line-plot pictures.

Trained weights are kept under artifacts/atlas-demo/ (gitignored), so a second server start does not retrain.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import torch

from aecore.config import TrainConfig
from aecore.data import load_dataset
from aecore.infer import encode_all
from aecore.models import Autoencoder, variant_config
from aecore.train import fit, new_run

try:
    from . import harness
except ImportError:   # imported as a top-level module by the demo apps (tests/e2e on sys.path)
    import harness

REPO = Path(__file__).resolve().parents[2]
MNIST_DIR = harness.MNIST   # ../shared beside the checkout, as in conftest
CACHE = REPO / "artifacts" / "atlas-demo"
# name -> (dataset, variant, steps): enough steps for the codes to sort into regions, a minute at most here
MODELS = {"mlp": ("mnist", "vae", 600), "conv": ("mnist", "conv-vae", 150), "cvae": ("mnist", "cvae", 300),
          "lstm": ("sines", "lstm", 150)}


@dataclass(frozen=True)
class Demo:
    codes: np.ndarray          # (N, 2) float32
    labels: np.ndarray         # (N,) uint8
    label_names: tuple[str, ...]
    samples: np.ndarray        # (N, 28, 28) uint8 images, or (N, T, F) float sequences
    value_range: tuple[float, float]


@cache
def dataset(name: str):
    torch.set_num_threads(1)   # a shared 2-core machine
    if name == "mnist":
        return harness.full_mnist(MNIST_DIR)
    return load_dataset(name)


@cache
def model(name: str) -> Autoencoder:
    """A trained model of MODELS (weights from the cache folder when there)."""
    data_name, variant, steps = MODELS[name]
    data = dataset(data_name)
    torch.manual_seed(0)
    run = new_run(data, variant_config(variant, latent_dim=2), TrainConfig(epochs=1, eval_every_epoch=False))
    path = CACHE / f"{name}-{len(data.x_train)}-{steps}.pt"
    if path.exists():
        run.model.load_state_dict(torch.load(path, weights_only=True))
    else:
        for _ in fit(run, data, max_steps=steps):
            pass
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.save(run.model.state_dict(), path)
    return run.model.eval()


def load_demo(n: int = 70_000) -> Demo:
    """n MNIST points: every digit once, then (for n beyond the data) jittered repeats, for stress tests."""
    data = dataset("mnist")
    x = torch.cat([data.x_train, data.x_test])
    y = torch.cat([data.y_train, data.y_test]).numpy().astype(np.uint8)
    codes = encode_all(model("mlp"), x).numpy().astype(np.float32)
    images = (x[:, 0] * 255).round().to(torch.uint8).numpy()
    idx = np.arange(n) % len(x)
    jitter = np.random.default_rng(0).normal(0, 0.02, (n, 2)).astype(np.float32) * (np.arange(n) >= len(x))[:, None]
    return Demo(codes[idx] + jitter, y[idx], tuple(data.label_names), images[idx], (0.0, 1.0))


def load_waves() -> Demo:
    """Every sine wave (train + test) with its LSTM code."""
    data = dataset("sines")
    x = torch.cat([data.x_train, data.x_test])
    y = torch.cat([data.y_train, data.y_test]).numpy().astype(np.uint8)
    codes = encode_all(model("lstm"), x).numpy().astype(np.float32)
    return Demo(codes, y, tuple(data.label_names), x.numpy(), tuple(data.value_range))
