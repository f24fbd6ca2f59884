"""Imputation: hide part of each sample and fill it in from what the autoencoder learnt about the rest.

Filling is iterated (as in Bengio et al. 2013's walk-back, simplified): start from the training mean in
the hidden places, reconstruct, copy the reconstruction into the hidden places only, repeat. Visible
values are never changed, and errors are measured on the hidden values only.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import plotly.graph_objects as go
import torch
from torch import Tensor

from .. import infer, jobs, plots
from ..config import TrainConfig
from ..data.dataset import Dataset
from ..models import Autoencoder, variant_config
from .experiment import Schedule

MASKS = ("block", "random")   # a contiguous region (square for images, a span for sequences), or scattered values
TRAIN = TrainConfig(eval_every_epoch=False)   # the default schedule, for a vanilla autoencoder of whole samples
AE = "autoencoder"


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
    filled: list[Tensor]   # after 0 (mean fill), 1, ... iterations
    rows: list[dict]       # {iteration, hidden_mse}


@dataclass(frozen=True)
class Imputation:
    """Hide part of every test sample and fill it in by iterated reconstruction, against the training mean:
    the Imputation page. The model fields decide what trains; the mask fields only what `evaluate` hides."""

    latent_dim: int = 32       # bigger codes copy more detail; smaller ones guess more from the overall shape
    mask: str = "block"        # see MASKS
    fraction: float = 0.25     # of each sample hidden
    iterations: int = 5        # rounds of reconstruct-and-replace: the first already beats the mean on structure
    max_test: int = 2000       # test samples measured: a stable mean error, fast to redo as a slider moves
    schedule: Schedule = field(default_factory=Schedule)

    def __post_init__(self):
        if self.mask not in MASKS:
            raise ValueError(f"mask must be one of {', '.join(MASKS)}; got {self.mask!r}")
        if not 0 < self.fraction < 1:
            raise ValueError(f"fraction must be between 0 and 1, got {self.fraction}")

    def specs(self, data: Dataset) -> list[jobs.ModelSpec]:
        return [jobs.ModelSpec(AE, data, variant_config("vanilla", latent_dim=self.latent_dim),
                               self.schedule.apply(TRAIN), "vanilla")]

    def evaluate(self, models: dict[str, Autoencoder], data: Dataset) -> Filled:
        """The mask (seed 0: the same holes on every call), every iteration's fill, and the hidden values' error."""
        x = data.x_test[:self.max_test]
        mask = make_mask(tuple(x.shape), self.mask, self.fraction, seed=0)
        filled = impute(models[AE], x, mask, data.x_train.mean(0), self.iterations)
        return Filled(x, mask, filled, error_curve(x, filled, mask))

    def figure(self, result: Filled) -> go.Figure:
        return plots.impute_curve(result.rows)
