"""Denoising: corrupt clean test samples, then compare how well each method restores them, in PSNR.

PSNR convention (checked against the issue author's MNIST numbers: noisy 9.4, 3x3 median 14.1, PCA-64 15.2 dB
at gaussian sigma 0.5): every estimate is clipped to the data's value range, the squared error is pooled over
every value of every test sample (not a mean of per-image PSNRs), and the peak is the width of the value range.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Callable

import torch
from torch import Tensor

from .. import infer, penalties
from ..config import ModelConfig, TrainConfig
from ..models import Autoencoder, variant_config
from .baselines import PCA, median_filter

NOISE_KINDS = ("gaussian", "masking", "salt-and-pepper")
LEVELS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7)   # gaussian sigma, or the fraction of values hit
# One wide layer is the cheapest MLP that clears the target: on full MNIST at sigma 0.5 it measured
# 17.1 / 17.6 / 18.1 dB after 2 / 3 / 5 epochs (one 256-wide layer: 17.7 dB after 5). See tests/test_targets.py.
HIDDEN = (512,)
LATENT_DIM = 64   # keeps enough detail for MNIST digits; the PCA baseline uses as many components
LEVEL = 0.5       # the noise level HIDDEN was measured at, and the one the denoising AE trains on by default
TRAIN = TrainConfig(epochs=5, batch_size=128, eval_every_epoch=False)
Method = Callable[[Tensor], Tensor]   # noisy samples -> estimates of the clean ones


def psnr(x: Tensor, x_hat: Tensor, value_range: tuple[float, float] = (0.0, 1.0)) -> float:
    """PSNR in dB by the module's convention: clip x_hat to the value range, pool the squared error."""
    lo, hi = value_range
    return infer.psnr(x, x_hat.clamp(lo, hi), hi - lo)


def add_noise(x: Tensor, kind: str, level: float, value_range: tuple[float, float] = (0.0, 1.0),
              seed: int = 0) -> Tensor:
    """A reproducible corrupted copy of x (the same seed gives the same noise on every call)."""
    return penalties.corrupt(x, kind, level, value_range, torch.Generator().manual_seed(seed))


def denoiser_configs(kind: str, level: float, latent_dim: int = LATENT_DIM, architecture: str = "mlp",
                     hidden: tuple[int, ...] = HIDDEN) -> dict[str, ModelConfig]:
    """A denoising autoencoder trained on this noise, and a plain autoencoder of exactly the same size.

    Parameters
    ----------
    latent_dim : 64 keeps enough detail for MNIST digits; the PCA baseline uses the same number of components.
    hidden : encoder widths (mirrored by the decoder); see HIDDEN for what was measured.
    """
    if kind not in NOISE_KINDS:
        raise ValueError(f"noise must be one of {', '.join(NOISE_KINDS)}; got {kind!r}")
    plain = variant_config("vanilla", architecture=architecture, hidden=hidden, latent_dim=latent_dim)
    return {"denoising AE": replace(plain, noise=kind, noise_level=level), "plain AE": plain}


def methods(models: dict[str, Autoencoder], pca: PCA | None = None, images: bool = True) -> dict[str, Method]:
    """Every way of estimating the clean sample, the noisy input itself included (the floor to beat)."""
    out: dict[str, Method] = {"noisy input": lambda noisy: noisy}
    if images:
        out["median filter 3x3"] = median_filter
    if pca is not None:
        out[f"PCA-{pca.n_components_}"] = pca.reconstruct
    for name, model in models.items():
        out[name] = lambda noisy, m=model: infer.reconstruct(m, noisy)
    return out


def psnr_table(x: Tensor, methods_: dict[str, Method], kind: str, level: float,
               value_range: tuple[float, float] = (0.0, 1.0), seed: int = 0) -> dict[str, float]:
    """PSNR (dB) of each method on one corrupted copy of x."""
    noisy = add_noise(x, kind, level, value_range, seed)
    return {name: psnr(x, fn(noisy), value_range) for name, fn in methods_.items()}


def psnr_curve(x: Tensor, methods_: dict[str, Method], kind: str, levels: list[float],
               value_range: tuple[float, float] = (0.0, 1.0), seed: int = 0) -> list[dict]:
    """Rows {level, method, psnr} over noise levels: the curve a page plots and the CLI prints."""
    return [{"level": level, "method": name, "psnr": value}
            for level in levels for name, value in psnr_table(x, methods_, kind, level, value_range, seed).items()]

