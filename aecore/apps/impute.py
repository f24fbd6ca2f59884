"""Imputation: hide part of each sample and fill it in from what the autoencoder learnt about the rest.

Filling is iterated (as in Bengio et al. 2013's walk-back, simplified): start from the training mean in
the hidden places, reconstruct, copy the reconstruction into the hidden places only, repeat. Visible
values are never changed, and errors are measured on the hidden values only.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import ClassVar

import plotly.graph_objects as go
import torch
from torch import Tensor

from .. import infer, jobs, plots
from ..config import TrainConfig
from ..data.dataset import Dataset
from ..models import Autoencoder, variant_config
from .experiment import FromRecipe, Schedule

MASKS = ("random", "block")   # scattered values (the default), or a contiguous region (a square, a span of time)
# A vanilla autoencoder of whole samples, 3 epochs on a full dataset (20 on the 5k digits: experiment.sized), the
# page's and the CLI's alike. Measured (hidden-value MSE, 2,000 test digits, 25% hidden, 32 numbers; mean fill, then
# iterations 1, 2, 3, ..., 10): scattered values, full MNIST 0.0637 -> 0.0253, 0.0219, 0.0219 ... 0.0221 (-66% at 3);
# the 5k digits 0.0680 -> 0.0308, 0.0290, 0.0292 ... 0.0294 (-57%). A 14x14 block, full MNIST 0.1164 -> 0.1036
# (-11%), then back up to 0.1151 by 10; the 5k digits 0.1215 -> 0.0993, 0.0984 (-19%), 0.1028 by 10: most of a
# digit hidden at once leaves little to guess from, and each round drifts back towards the average digit.
# A masking-noise (denoising) AE did worse on blocks (0.18 after one round on full MNIST), so the method stays.
TRAIN = TrainConfig(epochs=3, eval_every_epoch=False)
AE = "autoencoder"
CURVE_ROUNDS = 10   # the error curve always runs this far, so where more rounds stop helping is in view


def make_mask(shape: tuple[int, ...], kind: str, fraction: float, seed: int = 0) -> Tensor:
    """Boolean mask (True = hidden) of `shape` (N, ...) hiding about `fraction` of each sample.

    Parameters
    ----------
    kind : "block" hides one square (images: side sqrt(fraction) of the image, per channel all together) or one
        span of time steps (sequences) or of features (vectors), at a random place per sample; "random" hides
        each value independently with probability `fraction`.
    """
    if not 0 < fraction < 1:
        raise ValueError(f"fraction must be between 0 and 1, got {fraction}")
    g = torch.Generator().manual_seed(seed)
    n = shape[0]
    if kind == "random":
        return torch.rand(shape, generator=g) < fraction
    if kind != "block":
        raise ValueError(f"mask must be one of {', '.join(MASKS)}; got {kind!r}")
    mask = torch.zeros(shape, dtype=torch.bool)
    if len(shape) == 4:                       # images (N, C, H, W): a square over every channel
        _, _, h, w = shape
        side_h, side_w = max(1, round(h * math.sqrt(fraction))), max(1, round(w * math.sqrt(fraction)))
        top = torch.randint(0, h - side_h + 1, (n,), generator=g)
        left = torch.randint(0, w - side_w + 1, (n,), generator=g)
        for i in range(n):
            mask[i, :, top[i]:top[i] + side_h, left[i]:left[i] + side_w] = True
        return mask
    length = shape[1]                         # sequences (N, T, F): a span of steps; vectors (N, D): of features
    span = max(1, round(length * fraction))
    start = torch.randint(0, length - span + 1, (n,), generator=g)
    for i in range(n):
        mask[i, start[i]:start[i] + span] = True
    return mask


def mean_fill(x: Tensor, mask: Tensor, mean: Tensor) -> Tensor:
    """The baseline: each hidden value replaced by that value's training mean (mean has one sample's shape)."""
    return torch.where(mask, mean.expand_as(x), x)


def impute(model: Autoencoder, x: Tensor, mask: Tensor, mean: Tensor, iterations: int = 5) -> list[Tensor]:
    """The filled samples after 0 (mean fill), 1, ..., `iterations` rounds of reconstruct-and-replace."""
    lo, hi = model.value_range
    filled = [mean_fill(x, mask, mean)]
    for _ in range(iterations):
        x_hat = infer.reconstruct(model, filled[-1]).clamp(lo, hi)
        filled.append(torch.where(mask, x_hat, x))   # visible values stay exactly as observed
    return filled


def hidden_mse(x: Tensor, filled: Tensor, mask: Tensor) -> float:
    """Mean squared error over the hidden values only (the visible ones are exact by construction)."""
    if not mask.any():
        raise ValueError("the mask hides nothing")
    return (x - filled)[mask].square().mean().item()


def error_curve(x: Tensor, filled: list[Tensor], mask: Tensor) -> list[dict]:
    """Rows {iteration, hidden_mse}; iteration 0 is the mean fill, the baseline."""
    return [{"iteration": i, "hidden_mse": hidden_mse(x, f, mask)} for i, f in enumerate(filled)]


@dataclass(frozen=True)
class Filled:
    x: Tensor              # the test samples measured
    mask: Tensor           # True = hidden
    filled: tuple[Tensor, Tensor]   # the mean fill, and the fill after `iterations` rounds (each round's error is
                                    # in rows): a page keeps one result per mask, not every round's 6 MB of samples
    rows: list[dict]       # {iteration, hidden_mse}, to at least CURVE_ROUNDS
    iterations: int        # the rounds asked for: `final` is the error after them

    @property
    def baseline(self) -> float:
        """The mean fill's error on the hidden values."""
        return self.rows[0]["hidden_mse"]

    @property
    def final(self) -> float:
        """The autoencoder's error after the iterations asked for."""
        return self.rows[self.iterations]["hidden_mse"]

    @property
    def best(self) -> dict:
        """The row {iteration, hidden_mse} with the lowest error among the autoencoder's iterations."""
        return min(self.rows[1:], key=lambda r: r["hidden_mse"]) if len(self.rows) > 1 else self.rows[0]


@dataclass(frozen=True)
class Imputation(FromRecipe):
    """Hide part of every test sample and fill it in by iterated reconstruction, against the training mean:
    the Imputation page. The model fields decide what trains; the mask fields only what `evaluate` hides."""

    latent_dim: int = 32       # bigger codes copy more detail; smaller ones guess more from the overall shape
    mask: str = MASKS[0]       # scattered values: the surroundings of each hidden value say what it was
    fraction: float = 0.25     # of each sample hidden
    iterations: int = 3        # rounds of reconstruct-and-replace: within 1% of the best on both MNISTs (see TRAIN)
    max_test: int = 2000       # test samples measured: a stable mean error, fast to redo as a slider moves
    recipe: ClassVar[TrainConfig] = TRAIN
    schedule: Schedule = field(default_factory=Schedule)

    def __post_init__(self):
        if self.mask not in MASKS:
            raise ValueError(f"mask must be one of {', '.join(MASKS)}; got {self.mask!r}")
        if not 0 < self.fraction < 1:
            raise ValueError(f"fraction must be between 0 and 1, got {self.fraction}")

    def specs(self, data: Dataset) -> list[jobs.ModelSpec]:
        return [jobs.ModelSpec(AE, data, variant_config("vanilla", latent_dim=self.latent_dim),
                               self.train_config(data), "vanilla")]

    def evaluate(self, models: dict[str, Autoencoder], data: Dataset) -> Filled:
        """The mask (seed 0: the same holes on every call), every iteration's fill, and the hidden values' error."""
        x = data.x_test[:self.max_test].clone()   # its own storage: a slice would keep (and pickle) all 10,000
        mask = make_mask(tuple(x.shape), self.mask, self.fraction, seed=0)
        filled = impute(models[AE], x, mask, data.x_train.mean(0), max(self.iterations, CURVE_ROUNDS))
        return Filled(x, mask, (filled[0], filled[self.iterations]), error_curve(x, filled, mask), self.iterations)

    def figure(self, result: Filled) -> go.Figure:
        return plots.impute_curve(result.rows, result.iterations)

    def summary(self, result: Filled) -> dict:
        """The numbers `python -m aecore impute` prints: the baseline beside the autoencoder, and the best round."""
        return {"mask": self.mask, "fraction": self.fraction, "test_samples": len(result.x),
                "hidden_values": int(result.mask.sum()), "mean_fill_mse": result.baseline,
                "autoencoder_mse": result.final, "iterations": self.iterations,
                "change": (result.final - result.baseline) / result.baseline,
                "best_iteration": result.best["iteration"], "best_mse": result.best["hidden_mse"],
                "curve": result.rows}
