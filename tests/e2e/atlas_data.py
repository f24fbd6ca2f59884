"""Data for the atlas demo app and the benchmark: all 70,000 MNIST digits (train + test) from the shared folder
when present (else the 5,000 embedded ones), encoded by a quickly trained 2-D VAE, plus a conv VAE for the sliders.

Trained weights are kept under artifacts/atlas-demo/ (gitignored), so a second server start does not retrain.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from aecore.config import TrainConfig
from aecore.data import load_dataset
from aecore.infer import encode_all
from aecore.models import variant_config
from aecore.train import fit, new_run

REPO = Path(__file__).resolve().parents[2]
MNIST_DIR = REPO.parent.parent / "shared" / "datasets" / "mnist"
CACHE = REPO / "artifacts" / "atlas-demo"
STEPS = {"mlp": 600, "conv": 150}   # enough for digits to sort into regions; a minute on 2 busy cores at most


@dataclass(frozen=True)
class Demo:
    codes: np.ndarray          # (N, 2) float32
    labels: np.ndarray         # (N,) uint8
    label_names: tuple[str, ...]
    images: np.ndarray         # (N, 28, 28) uint8
    models: dict               # "mlp" / "conv" -> trained Autoencoder (eval mode)


def _model(name: str, data):
    variant = {"mlp": "vae", "conv": "conv-vae"}[name]
    torch.manual_seed(0)
    run = new_run(data, variant_config(variant, latent_dim=2), TrainConfig(epochs=1, eval_every_epoch=False))
    path = CACHE / f"{name}-{len(data.x_train)}-{STEPS[name]}.pt"
    if path.exists():
        run.model.load_state_dict(torch.load(path, weights_only=True))
    else:
        for _ in fit(run, data, max_steps=STEPS[name]):
            pass
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.save(run.model.state_dict(), path)
    return run.model.eval()


def load_demo(n: int = 70_000) -> Demo:
    """n points: every digit once, then (for n beyond the data) jittered repeats, for stress tests."""
    torch.set_num_threads(1)
    data = load_dataset("mnist", data_dir=str(MNIST_DIR), allow_download=False)
    x = torch.cat([data.x_train, data.x_test])
    y = torch.cat([data.y_train, data.y_test]).numpy().astype(np.uint8)
    models = {name: _model(name, data) for name in STEPS}
    codes = encode_all(models["mlp"], x).numpy().astype(np.float32)
    images = (x[:, 0] * 255).round().to(torch.uint8).numpy()
    idx = np.arange(n) % len(x)
    jitter = np.random.default_rng(0).normal(0, 0.02, (n, 2)).astype(np.float32) * (np.arange(n) >= len(x))[:, None]
    return Demo(codes[idx] + jitter, y[idx], tuple(data.label_names), images[idx], models)
