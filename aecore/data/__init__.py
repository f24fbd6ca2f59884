"""Datasets for Latent Lab: the built-ins (MNIST, Fashion-MNIST, digits, ECG5000, sines) and user files.

Every problem a person can fix (missing files, a bad upload, a limit) raises DataError with a message saying what to do.
Returned tensors are fresh per call; treat them as read-only if you share a Dataset (e.g. via st.cache_resource).
Every Dataset carries a `provenance` record; store `data.provenance.to_dict()` with a run, and `reload_dataset(record)`
later finds the same data or says, in one line, that only different data is here.
"""
from __future__ import annotations

from pathlib import Path

from .builtin import DATASETS, DatasetSpec, dataset_sources
from .dataset import DataError, Dataset, Provenance
from .fetch import FETCH_COMMAND, default_cache_dir
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
        raise DataError(f"{name_or_path!r} is neither a built-in dataset ({', '.join(DATASETS)}) "
                        "nor an existing file or folder")
    return load_path(name_or_path, limits)


def reload_dataset(record: Provenance | dict, *, data_dir: str | None = None, cache_dir: str | None = None,
                   allow_download: bool = True, limits: DataLimits | None = None) -> Dataset:
    """The dataset a provenance record describes: from its recorded path first, then the usual search.

    Raises DataError (one line, the places tried in `details`) when only different data can be found, e.g. the
    embedded 5k MNIST subset for a run trained on the full MNIST.
    """
    rec = record if isinstance(record, Provenance) else Provenance.from_dict(record)
    tried, found = [], None
    for attempt in _attempts(rec, data_dir, cache_dir):
        try:
            data = attempt(allow_download, limits)
        except DataError as e:
            tried.append(f"{e}" + (f"\n{e.details}" if e.details else ""))
            continue
        if rec.same_data(data.provenance):
            return data
        found = found or data.provenance
        tried.append(f"found {data.provenance.describe()}, test digest {data.provenance.test_digest}, "
                     f"source {data.source}")
    now = f"only {found.describe()} is here" if found else "it is not on this computer"
    raise DataError(f"this run was trained on {rec.describe()}, but {now}; {_fix(rec)}", "\n".join(tried))


def _fix(rec: Provenance) -> str:
    """What brings a run's data back: the fetch command for downloadable built-ins, the same file for a user's."""
    if rec.name not in DATASETS or rec.origin == "file":
        return "open or upload that same file again"
    if rec.origin in ("embedded", "generated"):  # nothing to fetch: a package or the code made it differently
        return "install the package versions in requirements.txt, which made that data"
    return f"fetch it with `{FETCH_COMMAND.format(name=rec.name)}`"


def _attempts(rec: Provenance, data_dir: str | None, cache_dir: str | None) -> list:
    """Loaders to try in order, each `(allow_download, limits) -> Dataset`: the recorded place, then the usual
    search."""
    spec = DATASETS.get(rec.name) if rec.origin != "file" else None
    if spec is None:  # a user's file: only its own path can hold it
        return [lambda _, limits: load_path(rec.path, limits)] if rec.path and Path(rec.path).exists() else []
    usual = [lambda allow, _: spec.loader(data_dir=data_dir, cache_dir=cache_dir, allow_download=allow)]
    if not rec.path or not Path(rec.path).is_dir():
        return usual
    where = {"data_dir": rec.path} if rec.origin == "local" else {"cache_dir": str(Path(rec.path).parent)}
    first = {"data_dir": data_dir, "cache_dir": cache_dir, **where}
    return [lambda allow, _: spec.loader(**first, allow_download=False)] + usual
