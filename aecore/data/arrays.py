"""Turn arrays read from a user file into a Dataset: value checks, kind, scaling, labels and the train/test split.

How the kind is chosen from the array shape (documented for the upload page):
  2-D (N, D)                      -> vectors, each column standardised with the train split's mean and std
                                     (recorded in Dataset.scaling, so it can be refit on some rows only)
  3-D (N, H, W), H and W >= 8,
      values in [0, 1] or [0, 255] -> grayscale images (N, 1, H, W)
  3-D otherwise                   -> sequences (N, T, F), values kept as they are
  4-D (N, C, H, W) / (N, H, W, C), C in {1, 3} -> images
A file named `*.seq.npy` / `*.seq.npz` is always read as sequences (2-D becomes (N, T, 1)).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from .dataset import DataError, Dataset, Scaling
from .limits import DataLimits

MIN_SAMPLES = 10       # fewer cannot give both a train and a test split worth plotting
MAX_ABS = 1e6          # beyond this float32 training diverges or loses precision: ask the user to scale
TEST_FRACTION = 0.2
SEED = 0               # every split is reproducible across runs and machines
MIN_IMAGE_SIDE = 8     # 3-D arrays narrower than this are sequences with a few features, not pictures


@dataclass(frozen=True)
class Parsed:
    """What a file reader found, before checks and scaling."""

    x: np.ndarray
    y: np.ndarray | None = None          # raw labels: numbers or text, or indices when label_names is set
    x_test: np.ndarray | None = None
    y_test: np.ndarray | None = None
    kind: str | None = None              # set by formats that know it (image files, *.seq.npy); None: infer
    label_names: tuple[str, ...] = ()    # names for labels that are already indices (image subfolders)


def default_locate(index: tuple[int, ...]) -> str:
    """Describe an array position for a person: 1-based sample number, then the position inside it."""
    rest = f", position {tuple(int(i) for i in index[1:])}" if len(index) > 1 else ""
    return f"sample {int(index[0]) + 1}{rest}"


def check_values(x: np.ndarray, what: str, locate: Callable[[tuple[int, ...]], str] = default_locate) -> None:
    """Refuse NaN, inf and values so large that training would diverge."""
    if x.dtype.kind not in "biuf":
        raise DataError(f"{what} holds {x.dtype} values; only numbers can be used")
    if x.dtype.kind != "f" or x.size == 0:
        return _check_magnitude(x, what, locate)
    finite = np.isfinite(x)
    if not finite.all():
        counts = {"NaN": int(np.isnan(x).sum()), "inf": int(np.isinf(x).sum())}
        found = " and ".join(f"{n:,} {word}" for word, n in counts.items() if n)
        first = np.unravel_index(int(np.argmin(finite.ravel())), x.shape)
        raise DataError(f"{what} has {found} value(s) (first at {locate(first)}); remove or fill them before uploading")
    _check_magnitude(x, what, locate)


def _check_magnitude(x: np.ndarray, what: str, locate) -> None:
    if x.size == 0 or x.dtype.itemsize == 1:  # bytes cannot exceed the bound
        return
    largest = max(abs(float(x.max())), abs(float(x.min())))  # no temporary copy of a big array
    if largest > MAX_ABS:
        big = np.abs(x.astype(np.float64)) > MAX_ABS
        first = np.unravel_index(int(np.argmax(big.ravel())), x.shape)
        raise DataError(
            f"{what} has values as large as {largest:.3g} (first at {locate(first)}); "
            f"values beyond ±{MAX_ABS:.0e} are refused: scale the data first (standardise, or divide by a constant)")


def split_indices(y: np.ndarray | None, n: int, test_fraction: float = TEST_FRACTION,
                  seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """Deterministic shuffled train/test indices, stratified by class when labels are given."""
    rng = np.random.default_rng(seed)
    test = np.empty(0, dtype=np.int64)
    if y is not None:
        parts = [rng.permutation(np.flatnonzero(y == c)) for c in np.unique(y)]
        test = np.concatenate([p[: int(round(len(p) * test_fraction))] for p in parts])
    if len(test) == 0 or len(test) == n:  # too few per class to stratify
        test = rng.permutation(n)[: max(1, int(round(n * test_fraction)))]
    is_test = np.zeros(n, dtype=bool)
    is_test[test] = True
    return rng.permutation(np.flatnonzero(~is_test)), rng.permutation(np.flatnonzero(is_test))


def encode_labels(y: np.ndarray, what: str) -> tuple[np.ndarray, tuple[str, ...]]:
    """Map labels (numbers or text) to int64 indices into their sorted unique values."""
    if y.dtype.kind in "USO":
        y = y.astype(str)
        names, idx = np.unique(y, return_inverse=True)
        return idx.astype(np.int64), tuple(str(v) for v in names)
    if y.dtype.kind not in "biuf":
        raise DataError(f"{what}: labels of type {y.dtype} cannot be used; use whole numbers or text")
    if y.dtype.kind == "f":
        bad = ~np.isfinite(y) | (y != np.round(y))
        if bad.any():
            i = int(np.argmax(bad))
            raise DataError(f"{what}: label {float(y[i]):g} at sample {i + 1} is not a whole number; "
                            f"labels must be whole numbers or text")
        y = y.astype(np.int64)
    values, idx = np.unique(y, return_inverse=True)
    return idx.astype(np.int64), tuple(str(int(v)) for v in values)


def infer_kind(x: np.ndarray) -> str:
    """Pick image, sequence or vector from the array shape and values (rules in the module docstring)."""
    if x.ndim == 2:
        return "vector"
    if x.ndim == 3:
        image_like = min(x.shape[1:]) >= MIN_IMAGE_SIDE and _pixel_scale(x) is not None
        return "image" if image_like else "sequence"
    if x.ndim == 4:
        return "image"
    raise DataError(f"arrays must be 2-D (samples, features), 3-D or 4-D; got shape {x.shape}")


def to_images(x: np.ndarray, what: str, scale: int | None = None) -> torch.Tensor:
    """float32 (N, C, H, W) in [0, 1] from (N, H, W), (N, C, H, W) or (N, H, W, C) in [0, 1] or [0, 255].
    `scale`: the pixel scale found on the whole dataset, when `x` is one split of it."""
    if x.ndim == 3:
        x = x[:, None]
    elif x.ndim == 4 and x.shape[1] not in (1, 3) and x.shape[3] in (1, 3):
        x = x.transpose(0, 3, 1, 2)
    if x.ndim != 4 or x.shape[1] not in (1, 3):
        raise DataError(f"{what}: images need 1 or 3 channels as (N, C, H, W) or (N, H, W, C); got shape {x.shape}")
    scale = scale or _pixel_scale(x)
    if scale is None:
        raise DataError(f"{what}: image values must lie in [0, 1] or [0, 255]; found [{x.min():.3g}, {x.max():.3g}]")
    out = np.array(x, dtype=np.float32, order="C")  # always a fresh, writable copy
    if scale != 1:
        # in place: a second 188 MB buffer for MNIST costs ~1 s in page faults
        np.divide(out, np.float32(scale), out=out)
    return torch.from_numpy(out)


def _pixel_scale(x: np.ndarray) -> int | None:
    """255 for 8-bit pixel values, 1 for values already in [0, 1], None when neither fits."""
    if x.dtype == np.uint8:
        return 255
    lo, hi = (float(x.min()), float(x.max())) if x.size else (0.0, 1.0)
    if lo < 0 or hi > 255:
        return None
    return 1 if hi <= 1 else 255


def build_dataset(parsed: Parsed, name: str, source: str, limits: DataLimits) -> Dataset:
    """Check a parsed file against the limits and turn it into a Dataset ready for training."""
    x = parsed.x
    if x.ndim < 2 or x.shape[0] == 0:
        raise DataError(f"{name}: expected an array of shape (samples, features...), got shape {x.shape}")
    n_train = len(x)
    if parsed.x_test is not None:
        if parsed.x_test.shape[1:] != x.shape[1:]:
            raise DataError(f"{name}: train and test samples differ in shape: "
                            f"{x.shape[1:]} vs {parsed.x_test.shape[1:]}")
        x = np.concatenate([x, parsed.x_test])
    limits.check_features(int(np.prod(x.shape[1:])), name)
    limits.check_memory(len(x), int(np.prod(x.shape[1:])), name)
    if len(x) < MIN_SAMPLES:
        raise DataError(f"{name} has only {len(x)} sample(s); need at least {MIN_SAMPLES} to train and test")
    check_values(x, name)
    y, names = _labels(parsed, n_train, len(x), name)
    if parsed.x_test is not None:
        train, test = np.arange(n_train), np.arange(n_train, len(x))
    else:
        train, test = split_indices(y, len(x))
    kind = parsed.kind or infer_kind(x)
    (x_train, x_test), scaling = _convert(x, kind, (train, test), name)
    value_range = (0.0, 1.0) if kind == "image" else (float(min(x_train.min(), x_test.min())),
                                                      float(max(x_train.max(), x_test.max())))
    return Dataset(
        name=name, title=name, kind=kind, source=source, label_names=names, value_range=value_range, scaling=scaling,
        x_train=x_train, x_test=x_test,
        y_train=None if y is None else torch.from_numpy(y[train]),
        y_test=None if y is None else torch.from_numpy(y[test]))


def _labels(parsed: Parsed, n_train: int, n: int, name: str) -> tuple[np.ndarray | None, tuple[str, ...]]:
    if parsed.y is None:
        if parsed.y_test is not None:
            raise DataError(f"{name}: has 'y_test' labels but no 'y' labels for the train split")
        return None, ()
    y = parsed.y if parsed.x_test is None else _join_test_labels(parsed, name)
    if y.ndim != 1 or len(y) != n:
        raise DataError(f"{name}: {len(y)} labels for {n} samples; labels must be one per sample")
    if parsed.label_names:
        return y.astype(np.int64), parsed.label_names
    return encode_labels(y, name)


def _join_test_labels(parsed: Parsed, name: str) -> np.ndarray:
    if parsed.y_test is None:
        raise DataError(f"{name}: has labels 'y' for the train split but no 'y_test' for x_test")
    if parsed.y.dtype.kind in "USO" or parsed.y_test.dtype.kind in "USO":
        return np.concatenate([parsed.y.astype(str), parsed.y_test.astype(str)])
    return np.concatenate([parsed.y, parsed.y_test])


def _convert(x: np.ndarray, kind: str, splits: tuple[np.ndarray, np.ndarray],
             name: str) -> tuple[tuple[torch.Tensor, torch.Tensor], Scaling | None]:
    """Each split (rows `splits`) of `x` as float32, gathered straight from the file's dtype: one float32 copy of
    the data at a time, never the whole array converted and then indexed (that was twice the memory)."""
    if kind == "image":
        scale = _pixel_scale(x)
        if scale is None:
            to_images(x, name)   # raises, with the whole array's range in its message
        return tuple(to_images(x[rows], name, scale) for rows in splits), None
    if kind == "sequence":
        if x.ndim not in (2, 3):
            raise DataError(f"{name}: sequences must be (samples, steps, features); got shape {x.shape}")
        parts = [_gather(x if x.ndim == 3 else x[:, :, None], rows) for rows in splits]
        return tuple(torch.from_numpy(p) for p in parts), None
    if x.ndim != 2:
        raise DataError(f"{name}: vectors must be (samples, features); got shape {x.shape}")
    # Standardise so an autoencoder with an identity output and MSE trains out of the box. The statistics come from
    # every training row here; Dataset.restandardise refits them on a subset (anomaly detection: the normal rows).
    parts = [torch.from_numpy(_gather(x, rows)) for rows in splits]
    scaling = Scaling.fit(parts[0])
    for part in parts:   # in place, a block of rows at a time: float64 temporaries stay small
        for block in part.split(CHUNK_ROWS):
            block.copy_(scaling.apply(block))
    return tuple(parts), scaling


CHUNK_ROWS = 8192


def _gather(x: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """float32 x[rows], converted a block of rows at a time (no full-size copy in the file's own dtype)."""
    out = np.empty((len(rows), *x.shape[1:]), dtype=np.float32)
    for start in range(0, len(rows), CHUNK_ROWS):
        out[start:start + CHUNK_ROWS] = x[rows[start:start + CHUNK_ROWS]]
    return out
