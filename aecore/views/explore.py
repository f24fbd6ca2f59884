"""Walking around a latent space: which dimensions matter, slider ranges, traversals, interpolations,
and the 2-D manifold grid. Pure torch; every function takes the model and returns tensors on the CPU.

A VAE's prior is N(0, I), so "sigma" below is 1 for every dimension of a variational model; for a
deterministic autoencoder there is no prior, and the spread of the test codes stands in for it.
"""
from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from .. import penalties
from ..infer import decode, encode_all, encode_dist_all
from ..models import Autoencoder
from ..train import Run

SPAN = 3.0          # sliders and traversals reach +-3 sigma: 99.7% of the prior's mass per dimension
ACTIVE_KL = 0.1     # nats. Collapsed dimensions sit near 0.001; dimensions the decoder uses carry ~1 nat or more
MANIFOLD_EDGE = 0.05  # quantiles 0.05..0.95: the grid of Kingma & Welling 2014, Fig. 4, without the infinite tails


@dataclass(frozen=True)
class Encoded:
    """Codes of a split, and for a VAE how much each dimension is used."""

    codes: np.ndarray            # (N, latent_dim) float32; posterior means for a VAE
    kl: np.ndarray | None        # (latent_dim,) mean KL per dimension in nats, VAEs only


def snapshot(run: Run, lock: AbstractContextManager | None = None) -> tuple[Autoencoder, int]:
    """An eval-mode copy of run.model and the step it was taken at. Take it under a training job's lock:
    the copy can then be used freely (eval mode, many decodes) while training goes on with the original."""
    with lock or nullcontext():
        weights = {k: v.detach().clone() for k, v in run.model.state_dict().items()}
        step = run.step
    model = Autoencoder(run.model_config, run.model.input_shape, run.model.value_range).to(run.device)
    model.load_state_dict(weights)
    return model.eval(), step


def encode_split(model: Autoencoder, x: Tensor, y: Tensor | None = None) -> Encoded:
    """Codes of every sample, plus the per-dimension KL for a VAE (one encoder pass either way)."""
    if model.config.variational:
        mu, logvar = encode_dist_all(model, x, y)
        return Encoded(mu.numpy().astype(np.float32), penalties.kl_per_dimension(mu, logvar).numpy())
    return Encoded(encode_all(model, x, y).numpy().astype(np.float32), None)


def subsample(n: int, cap: int, seed: int = 0) -> np.ndarray:
    """Indices of the samples to draw: all n, or a fixed random `cap` of them, in index order."""
    if n <= cap:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, cap, replace=False))


def spread(idx: list[int], cap: int) -> list[int]:
    """At most `cap` of the indices, evenly spaced over them in sorted order (so a box over many classes
    shows some of each, not just the first class)."""
    idx = sorted(idx)
    if len(idx) <= cap:
        return idx
    return [idx[int(j * len(idx) / cap)] for j in range(cap)]


def paired_rows(x: Tensor, x_hat: Tensor, ncols: int) -> Tensor:
    """Inputs and reconstructions interleaved by rows of `ncols` (a row of inputs, their reconstructions
    below, and so on), trimmed to whole rows, for one image grid."""
    n = len(x) // ncols * ncols
    rows = [t for r in range(0, n, ncols) for t in (x[r:r + ncols], x_hat[r:r + ncols])]
    return torch.cat(rows)


def rank_dims(kl: np.ndarray | Tensor | None, latent_dim: int, top: int = 8) -> list[int]:
    """The `top` dimensions to show, most used first (by KL); in index order when there is no KL."""
    if kl is None:
        return list(range(min(top, latent_dim)))
    kl = np.asarray(kl, dtype=np.float64)
    return [int(i) for i in np.argsort(-kl, kind="stable")[:top]]


def active_count(kl: np.ndarray | Tensor, threshold: float = ACTIVE_KL) -> int:
    """How many dimensions carry more than `threshold` nats: the ones the decoder actually listens to."""
    return int((np.asarray(kl) > threshold).sum())


def slider_ranges(model: Autoencoder, codes: np.ndarray | None = None, span: float = SPAN) -> np.ndarray:
    """(latent_dim, 2) low/high per dimension: +-span under the prior for a VAE; for other models the test
    codes' mean +- span standard deviations (their spread is all we know)."""
    k = model.config.latent_dim
    if model.config.variational or codes is None or len(codes) < 2:
        return np.tile(np.array([-span, span], np.float32), (k, 1))
    codes = np.asarray(codes, np.float32)
    mean, std = codes.mean(0), codes.std(0) + 1e-6
    return np.stack([mean - span * std, mean + span * std], axis=1).astype(np.float32)


def covering_ranges(model: Autoencoder, codes: np.ndarray, pad: float = 0.5) -> np.ndarray:
    """`slider_ranges` widened to reach every code (plus `pad`), rounded out to halves: the codes of a briefly
    trained VAE can sit far outside +-3, and a slider that cannot reach a clicked point would clip it."""
    ranges = slider_ranges(model, codes)
    codes = np.asarray(codes, np.float32)
    lo = np.minimum(ranges[:, 0], codes.min(0) - pad)
    hi = np.maximum(ranges[:, 1], codes.max(0) + pad)
    return np.stack([np.floor(lo * 2) / 2, np.ceil(hi * 2) / 2], axis=1).astype(np.float32)


def traversal_codes(base: np.ndarray, dims: list[int], ranges: np.ndarray, steps: int = 9) -> np.ndarray:
    """(len(dims) * steps, k) codes: row r sweeps dimension dims[r] from its low to its high, others at `base`."""
    base = np.asarray(base, np.float32)
    codes = np.repeat(base[None], len(dims) * steps, axis=0)
    for r, d in enumerate(dims):
        codes[r * steps:(r + 1) * steps, d] = np.linspace(ranges[d, 0], ranges[d, 1], steps)
    return codes


def traversal_grid(model: Autoencoder, dims: list[int], base: np.ndarray | None = None, steps: int = 9,
                   ranges: np.ndarray | None = None, label: int | None = None) -> Tensor:
    """Decoded traversals (len(dims) * steps, *sample_shape), row-major: one row per dimension.

    Parameters
    ----------
    base : the code the sweeps start from; the prior mean (zeros) by default.
    steps : images per row; odd keeps the base code itself in the middle column.
    """
    k = model.config.latent_dim
    base = np.zeros(k, np.float32) if base is None else base
    ranges = slider_ranges(model) if ranges is None else ranges
    return decode(model, traversal_codes(base, dims, ranges, steps), label)


def interpolate_codes(z_a: np.ndarray, z_b: np.ndarray, steps: int = 8) -> np.ndarray:
    """(steps, k) codes on the straight line from z_a to z_b, both ends included."""
    t = np.linspace(0.0, 1.0, steps, dtype=np.float32)[:, None]
    return (1 - t) * np.asarray(z_a, np.float32)[None] + t * np.asarray(z_b, np.float32)[None]


def interpolation(model: Autoencoder, x_pair: Tensor, y_pair: Tensor | None = None, steps: int = 8,
                  label: int | None = None) -> Tensor:
    """Decode the line between the codes of two samples: (steps, *sample_shape).

    The ends are the two reconstructions. A conditional VAE encodes each end with its own label (`y_pair`)
    and decodes every step as class `label`, so the line runs through style, not class.
    """
    if len(x_pair) != 2:
        raise ValueError(f"interpolation needs exactly two samples, got {len(x_pair)}")
    codes = encode_all(model, x_pair, y_pair).numpy()
    if model.config.conditional and label is None and y_pair is not None:
        label = int(y_pair[0])
    return decode(model, interpolate_codes(codes[0], codes[1], steps), label)


def manifold_values(n: int, lo: float, hi: float, gaussian: bool) -> np.ndarray:
    """n grid positions along one axis: Gaussian quantiles for a VAE (equal prior mass between neighbours),
    evenly spaced between lo and hi otherwise."""
    if gaussian:
        p = torch.linspace(MANIFOLD_EDGE, 1 - MANIFOLD_EDGE, n, dtype=torch.float64)
        return torch.distributions.Normal(0.0, 1.0).icdf(p).numpy().astype(np.float32)
    return np.linspace(lo, hi, n, dtype=np.float32)


def manifold_codes(model: Autoencoder, dims: tuple[int, int], n: int = 15, base: np.ndarray | None = None,
                   ranges: np.ndarray | None = None) -> np.ndarray:
    """(n * n, k) codes on a grid over two dimensions, row-major with the first row at the *highest* value
    of dims[1], so the image grid reads like a plot (y up) and matches the latent scatter."""
    k = model.config.latent_dim
    if len(set(dims)) != 2 or not all(0 <= d < k for d in dims):
        raise ValueError(f"manifold needs two different dimensions in 0..{k - 1}, got {dims}")
    ranges = slider_ranges(model) if ranges is None else ranges
    gaussian = model.config.variational
    xs = manifold_values(n, *ranges[dims[0]], gaussian)
    ys = manifold_values(n, *ranges[dims[1]], gaussian)[::-1]
    codes = np.repeat((np.zeros(k, np.float32) if base is None else np.asarray(base, np.float32))[None], n * n, 0)
    codes[:, dims[0]] = np.tile(xs, n)
    codes[:, dims[1]] = np.repeat(ys, n)
    return codes


def manifold_grid(model: Autoencoder, dims: tuple[int, int] = (0, 1), n: int = 15, base: np.ndarray | None = None,
                  ranges: np.ndarray | None = None, label: int | None = None) -> Tensor:
    """Decoded n x n grid over two latent dimensions, the others held at `base` (zeros): (n * n, *shape)."""
    return decode(model, manifold_codes(model, dims, n, base, ranges), label)


def random_code(model: Autoencoder, dims: list[int], seed: int, span: float = SPAN) -> dict[int, float]:
    """A draw from the prior for the shown dimensions, clipped to the slider range (the rest stay at 0)."""
    g = torch.Generator().manual_seed(int(seed))
    z = torch.randn(len(dims), generator=g).clamp(-span, span)
    return {d: round(float(v) * 20) / 20 for d, v in zip(dims, z)}   # on the sliders' 0.05 grid
