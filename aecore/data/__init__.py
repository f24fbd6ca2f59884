"""Datasets for Latent Lab: the built-ins (MNIST, Fashion-MNIST, digits, ECG5000, sines) and user files.

Every problem a person can fix (missing files, a bad upload, a limit) raises DataError with a message saying what to do.
Returned tensors are fresh per call; treat them as read-only if you share a Dataset (e.g. via st.cache_resource).
"""
from __future__ import annotations

from pathlib import Path

from .builtin import DATASETS, DatasetSpec, dataset_sources
from .dataset import DataError, Dataset, Provenance
from .fetch import default_cache_dir
from .files import load_file, load_path
from .limits import DataLimits
from .prefetch import FetchReport, fetch_all, fetch_dataset

__all__ = ["DATASETS", "DataError", "DataLimits", "Dataset", "DatasetSpec", "FetchReport", "Provenance",
           "dataset_sources", "default_cache_dir", "fetch_all", "fetch_dataset", "load_dataset", "load_file",
           "reload_dataset"]


def load_dataset(name_or_path: str, *, data_dir: str | None = None, cache_dir: str | None = None,
                 allow_download: bool = True, limits: DataLimits | None = None) -> Dataset:
    """Load a built-in by registry name, or else a local file or folder (limits apply to those only)."""
    spec = DATASETS.get(name_or_path)
    if spec is not None:
        return spec.loader(data_dir=data_dir, cache_dir=cache_dir, allow_download=allow_download)
    if not Path(name_or_path).expanduser().exists():
        raise DataError(f"{name_or_path!r} is neither a built-in dataset ({', '.join(DATASETS)}) nor an existing file or folder")
    return load_path(name_or_path, limits)
