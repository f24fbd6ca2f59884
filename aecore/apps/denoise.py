"""Denoising: corrupt clean test samples, then compare how well each method restores them, in PSNR.

PSNR convention (checked against the issue author's MNIST numbers: noisy 9.4, 3x3 median 14.1, PCA-64 15.2 dB
at gaussian sigma 0.5): every estimate is clipped to the data's value range, the squared error is pooled over
every value of every test sample (not a mean of per-image PSNRs), and the peak is the width of the value range.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Callable, ClassVar

import plotly.graph_objects as go
import torch
from torch import Tensor

from .. import infer, jobs, penalties, plots
from ..config import ModelConfig, TrainConfig
from ..data.dataset import Dataset
from ..models import Autoencoder, variant_config
from .baselines import PCA, fit_pca, median_filter
from .experiment import FromRecipe, Schedule

NOISE_KINDS = ("gaussian", "masking", "salt-and-pepper")
LEVELS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7)   # gaussian sigma, or the fraction of values hit
# One wide layer is the cheapest MLP that clears the target: on full MNIST at sigma 0.5 it measured
# 17.1 / 17.6 / 18.1 dB after 2 / 3 / 5 epochs (one 256-wide layer: 17.7 dB after 5). See tests/test_targets.py.
HIDDEN = (512,)
LATENT_DIM = 64   # keeps enough detail for MNIST digits; the PCA baseline uses as many components
LEVEL = 0.5       # the noise level HIDDEN was measured at, and the one the denoising AE trains on by default
TRAIN = TrainConfig(epochs=5, batch_size=128, eval_every_epoch=False)
DENOISING, PLAIN = "denoising AE", "plain AE"
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
    return {DENOISING: replace(plain, noise=kind, noise_level=level), PLAIN: plain}


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



@dataclass(frozen=True)
class DenoiseResult:
    rows: list[dict]     # {level, method, psnr}: the PSNR curve over every test sample
    pca: PCA             # the baseline as fit, kept for the pictures

    def at(self, level: float) -> dict[str, float]:
        """method -> PSNR at one level of the curve (empty when the level is not on it)."""
        return {r["method"]: r["psnr"] for r in self.rows if abs(r["level"] - level) < 1e-9}


@dataclass(frozen=True)
class Denoising(FromRecipe):
    """A denoising autoencoder against a plain one of exactly the same size, a 3x3 median filter and PCA, in PSNR
    over noise levels: `python -m aecore denoise` and the Denoising page."""

    noise: str = "gaussian"                # the corruption the denoising AE trains on, and the curve uses
    level: float = LEVEL                   # gaussian sigma 0.5: where the MNIST numbers were measured
    latent_dim: int = LATENT_DIM           # keeps enough detail of a digit; PCA keeps as many components
    levels: tuple[float, ...] = LEVELS     # the curve's levels (the training level is always added)
    recipe: ClassVar[TrainConfig] = TRAIN
    schedule: Schedule = field(default_factory=Schedule)

    def __post_init__(self):
        if self.noise not in NOISE_KINDS:
            raise ValueError(f"noise must be one of {', '.join(NOISE_KINDS)}; got {self.noise!r}")
        if not self.level > 0:
            raise ValueError(f"the noise level must be > 0, got {self.level}")

    def specs(self, data: Dataset) -> list[jobs.ModelSpec]:
        cfgs = denoiser_configs(self.noise, self.level, self.latent_dim)
        train = self.train_config(data)
        return [jobs.ModelSpec(name, data, cfg, train, "denoising" if name == DENOISING else "vanilla")
                for name, cfg in cfgs.items()]

    def methods(self, models: dict[str, Autoencoder], data: Dataset, pca: PCA) -> dict[str, Method]:
        return methods(models, pca, images=data.kind == "image")

    def evaluate(self, models: dict[str, Autoencoder], data: Dataset) -> DenoiseResult:
        """Every method's PSNR on every test sample, at every level (seeded noise: the same on every call)."""
        pca = fit_pca(data.x_train, self.latent_dim)
        levels = sorted(set(self.levels) | {self.level})
        rows = psnr_curve(data.x_test, self.methods(models, data, pca), self.noise, levels, data.value_range,
                          self.schedule.seed)
        return DenoiseResult(rows, pca)

    def restored(self, models: dict[str, Autoencoder], result: DenoiseResult, data: Dataset, level: float,
                 n: int) -> dict[str, Tensor]:
        """The first n clean test samples, then each method's estimate of them from a noisy copy at `level`."""
        x = data.x_test[:n]
        noisy = add_noise(x, self.noise, level, data.value_range, self.schedule.seed)
        lo, hi = data.value_range
        return {"clean": x, **{name: fn(noisy).clamp(lo, hi)
                               for name, fn in self.methods(models, data, result.pca).items()}}

    def figure(self, result: DenoiseResult) -> go.Figure:
        return plots.psnr_curve(result.rows, self.noise)
