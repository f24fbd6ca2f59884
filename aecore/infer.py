"""Using a trained model: encode a split, reconstruct, sample, and the metrics `python -m aecore eval` prints."""
from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch
from torch import Tensor

from . import penalties
from .models import Autoencoder
from .train import evaluate_losses

BATCH = 2048   # large batches: inference has no backward pass, and fewer Python round trips


@torch.no_grad()
def _batched(fn: Callable[[Tensor, Tensor | None], Tensor], model: Autoencoder, x: Tensor,
             y: Tensor | None) -> Tensor:
    model.eval()
    device = model.head.weight.device
    labels = y if model.config.conditional else None
    outs = [fn(x[i:i + BATCH].to(device), None if labels is None else labels[i:i + BATCH].to(device)).cpu()
            for i in range(0, len(x), BATCH)]
    return torch.cat(outs) if outs else torch.empty(0)


def labels_for(model: Autoencoder, n: int, label: int | None) -> Tensor | None:
    """The label tensor a decode needs: `label` repeated n times for a conditional VAE, else None."""
    if not model.config.conditional:
        return None
    if label is None:
        raise ValueError("a conditional VAE needs the class to generate")
    return torch.full((n,), int(label), dtype=torch.long)


def encode_all(model: Autoencoder, x: Tensor, y: Tensor | None = None) -> Tensor:
    """Codes of every sample (posterior means for a VAE), on the CPU: (N, latent_dim)."""
    return _batched(model.encode, model, x, y)


def encode_dist_all(model: Autoencoder, x: Tensor, y: Tensor | None = None) -> tuple[Tensor, Tensor]:
    """(mu, logvar) of every sample for a VAE."""
    both = _batched(lambda xb, yb: torch.cat(model.encode_dist(xb, yb), dim=1), model, x, y)
    return both.chunk(2, dim=1)


def reconstruct(model: Autoencoder, x: Tensor, y: Tensor | None = None) -> Tensor:
    """Deterministic reconstructions of every sample, same shape as x."""
    return _batched(model.forward, model, x, y)


def decode(model: Autoencoder, z: Tensor | np.ndarray, label: int | Tensor | None = None) -> Tensor:
    """Decode codes (N, latent_dim), or one code (latent_dim,), into samples on the CPU.

    `label` matters only for a conditional model: one class (int) for every code, or one per code (N,).
    The one decode path of the app: sliders, traversals, grids and the applications all come through here.
    """
    z = torch.as_tensor(z, dtype=torch.float32).reshape(-1, model.config.latent_dim)
    y = labels_for(model, len(z), label) if label is None or np.ndim(label) == 0 else torch.as_tensor(label)
    return _batched(model.decode, model, z, y)


@torch.no_grad()
def sample(model: Autoencoder, n: int, seed: int = 0, label: int | None = None) -> Tensor:
    """n samples from the prior of a VAE; `label` picks the class for a conditional VAE."""
    model.eval()
    device = model.head.weight.device
    y = labels_for(model, n, label)
    return model.sample(n, None if y is None else y.to(device), torch.Generator(device).manual_seed(seed)).cpu()


def kl_per_dimension(model: Autoencoder, x: Tensor, y: Tensor | None = None) -> Tensor:
    """Average KL of each latent dimension over x (nats): which dimensions the VAE actually uses."""
    mu, logvar = encode_dist_all(model, x, y)
    return penalties.kl_per_dimension(mu, logvar)


def psnr(x: Tensor, x_hat: Tensor, data_range: float = 1.0) -> float:
    """Peak signal-to-noise ratio in dB of the mean squared error over all values."""
    mse = (x - x_hat).square().mean().item()
    return float("inf") if mse == 0 else 10 * math.log10(data_range ** 2 / mse)


@torch.no_grad()
def evaluate(model: Autoencoder, x: Tensor, y: Tensor | None = None, seed: int = 0) -> dict[str, float]:
    """Test metrics with stable keys: mse (per value), psnr (dB); bce (nats per sample) for data in [0, 1];
    elbo (the loss as minimised, nats per sample) and kl for VAEs."""
    x_hat = reconstruct(model, x, y)
    lo, hi = model.value_range
    metrics = {"mse": (x - x_hat).square().mean().item(), "psnr": psnr(x, x_hat, hi - lo)}
    if lo >= 0 and hi <= 1:
        bce = torch.nn.functional.binary_cross_entropy(x_hat.clamp(1e-7, 1 - 1e-7), x, reduction="sum")
        metrics["bce"] = bce.item() / len(x)
    if model.config.variational:
        torch.manual_seed(seed)
        model.rng = torch.Generator(model.head.weight.device).manual_seed(seed)
        parts = evaluate_losses(model, x, y)
        metrics["elbo"], metrics["kl"] = parts["loss"], parts["kl"]
    return metrics
