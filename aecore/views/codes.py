"""Codes of a whole split (train, test, or all: train before test) for the latent atlas.

Every view of the atlas (the UMAP, the thumbnails, the labels) indexes points the same way: `SplitCodes.order[i]`
is point i's position in train-then-test, so `split_inputs(data, split)[i]` is the sample drawn at point i.
Encoding is batched and gradient-free, one split at a time, so 70,000 MNIST images never get copied into one tensor.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..data.dataset import Dataset
from ..infer import encode_all
from ..models import Autoencoder

SPLITS = ("train", "test", "all")
MAX_POINTS = 200_000   # the atlas draws this many smoothly (WebGL, measured in scripts/bench_atlas.py); beyond, a sample


@dataclass(frozen=True)
class SplitCodes:
    """Codes of one split with their labels, and where each point comes from."""

    codes: np.ndarray            # (N, latent_dim) float32; posterior means for a VAE
    labels: np.ndarray | None    # (N,) int64, or None when the data has no labels
    order: np.ndarray            # (N,) int64 position in train-then-test: i < n_train is train[i]
    n_train: int                 # the dataset's train size, to turn `order` back into (split, index)
    split: str

    def __len__(self) -> int:
        return len(self.codes)

    def take(self, rows: np.ndarray) -> "SplitCodes":
        """The codes of some rows only (e.g. an `even_sample`), with their labels and positions."""
        return SplitCodes(self.codes[rows], None if self.labels is None else self.labels[rows], self.order[rows],
                          self.n_train, self.split)

    def in_split(self, split: str) -> np.ndarray:
        """Rows that belong to `split` ("train", "test" or "all"), in order."""
        if split not in SPLITS:
            raise ValueError(f"split must be one of {', '.join(SPLITS)}; got {split!r}")
        if split == "all":
            return np.arange(len(self.order))
        return np.flatnonzero((self.order < self.n_train) == (split == "train"))


def even_sample(n: int, cap: int = MAX_POINTS) -> np.ndarray:
    """Rows to draw of n: all of them, or `cap` spread evenly over them (every class keeps its share, train before
    test keeps its order)."""
    if n <= cap:
        return np.arange(n, dtype=np.int64)
    return np.unique(np.linspace(0, n - 1, cap).round().astype(np.int64))


def split_parts(data: Dataset, split: str) -> list[tuple[torch.Tensor, torch.Tensor | None, int]]:
    """(inputs, labels, offset in train-then-test) of each part of a split, train first."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(SPLITS)}; got {split!r}")
    parts = {"train": (data.x_train, data.y_train, 0), "test": (data.x_test, data.y_test, len(data.x_train))}
    return [parts[name] for name in (("train", "test") if split == "all" else (split,))]


def split_order(data: Dataset, split: str) -> np.ndarray:
    """Positions in train-then-test of a split's samples, in the order every atlas view uses."""
    return np.concatenate([np.arange(offset, offset + len(x), dtype=np.int64)
                           for x, _, offset in split_parts(data, split)])


def split_inputs(data: Dataset, split: str) -> torch.Tensor:
    """The split's inputs in atlas order (a copy for "all"; prefer `split_parts` to stream them)."""
    parts = [x for x, _, _ in split_parts(data, split)]
    return parts[0] if len(parts) == 1 else torch.cat(parts)


def encode_dataset(model: Autoencoder, data: Dataset, split: str = "all") -> SplitCodes:
    """Codes, labels and order of every sample of a split, encoded in batches without gradients."""
    parts = split_parts(data, split)
    codes = [encode_all(model, x, y).numpy().astype(np.float32, copy=False) for x, y, _ in parts]
    labelled = all(y is not None for _, y, _ in parts)
    labels = np.concatenate([y.numpy().astype(np.int64) for _, y, _ in parts]) if labelled else None
    return SplitCodes(np.concatenate(codes), labels, split_order(data, split), len(data.x_train), split)
