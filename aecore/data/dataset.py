"""The one in-memory dataset type every loader returns, and the error every loader raises."""
from __future__ import annotations

from dataclasses import dataclass

import torch

KINDS = ("image", "sequence", "vector")


class DataError(ValueError):
    """A dataset or file could not be used; the message names the problem for a person to fix."""


@dataclass(frozen=True)
class Dataset:
    """Train/test tensors plus what a model and a page need to know about them.

    Images are float32 (N, C, H, W) scaled to [0, 1]; sequences (N, T, F); vectors (N, D).
    Labels are int64 (N,) indices into `label_names`, or None when the data has no labels.
    """

    name: str                      # registry name or file name: "mnist", "my_data.csv"
    title: str                     # what a person reads: "MNIST (5k offline subset)"
    x_train: torch.Tensor
    y_train: torch.Tensor | None
    x_test: torch.Tensor
    y_test: torch.Tensor | None
    kind: str
    label_names: tuple[str, ...] = ()
    value_range: tuple[float, float] = (0.0, 1.0)
    source: str = "embedded"       # "local:<path>", "cache:<path>", "download:<url>", "embedded", "generated", "file:<name>"

    def __post_init__(self):
        if self.kind not in KINDS:
            raise DataError(f"kind must be one of {KINDS}, got {self.kind!r}")
        if self.x_train.shape[1:] != self.x_test.shape[1:]:
            raise DataError(f"train and test samples differ in shape: {tuple(self.x_train.shape[1:])} vs {tuple(self.x_test.shape[1:])}")

    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of one sample: (C, H, W), (T, F) or (D,)."""
        return tuple(self.x_train.shape[1:])

    @property
    def n_classes(self) -> int:
        return len(self.label_names)

    @property
    def in_unit_range(self) -> bool:
        """True when every value is in [0, 1], so BCE and a sigmoid output make sense."""
        lo, hi = self.value_range
        return lo >= 0.0 and hi <= 1.0
