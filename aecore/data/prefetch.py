"""Fill the cache ahead of time, for a classroom that will be offline: `python -m aecore datasets --fetch NAME`."""
from __future__ import annotations

from dataclasses import dataclass

from .builtin import DATASETS, FILESETS
from .dataset import DataError
from .fetch import SourceUnavailable, cache_folder, load_files

STATUSES = ("present", "downloaded", "built in", "failed")


@dataclass(frozen=True)
class FetchReport:
    """What fetching one dataset did, for a person (`message`) and a program (`status`, `where`)."""

    name: str
    status: str            # one of STATUSES: already on this computer, downloaded now, nothing to fetch, failed
    where: str = ""        # the folder now holding its files, or what provides it ("embedded", "generated")
    message: str = ""      # one line
    details: str = ""      # for a failure: the folders searched and the download errors


def fetch_dataset(name: str, *, data_dir: str | None = None, cache_dir: str | None = None) -> FetchReport:
    """Make a built-in available offline: verify the copy already here, else download it (verified) into the cache.

    Raises DataError (one line, with `details`) for an unknown name, a damaged copy or a failed download.
    """
    spec = DATASETS.get(name)
    if spec is None:
        raise DataError(f"{name!r} is not a built-in dataset; choose one of {', '.join(DATASETS)}")
    fs = FILESETS.get(name)
    if fs is None:  # comes with a package or is generated: there is nothing to download
        where = spec.sources(data_dir, cache_dir)
        if not where:
            raise DataError(f"{spec.title} cannot be fetched: it comes with a Python package that is not installed")
        return FetchReport(name, "built in", where[0], f"{spec.title}: nothing to fetch (it is {where[0]})")
    try:
        _, source = load_files(fs, data_dir, cache_dir, allow_download=True)
    except SourceUnavailable as e:
        raise DataError(f"could not fetch {spec.title}: {e.cause.split('; ')[0]}", e.details) from None  # 1st error
    tag, _, where = source.partition(":")
    if tag == "download":
        where = str(cache_folder(fs, cache_dir))
        return FetchReport(name, "downloaded", where, f"{spec.title}: downloaded and verified into {where}")
    return FetchReport(name, "present", where, f"{spec.title}: already here, verified, in {where}")


def fetch_all(names: list[str] | None = None, *, data_dir: str | None = None,
              cache_dir: str | None = None) -> list[FetchReport]:
    """`fetch_dataset` for each name (default: every built-in), carrying on past failures, which are reported."""
    reports = []
    for name in names or list(DATASETS):
        try:
            reports.append(fetch_dataset(name, data_dir=data_dir, cache_dir=cache_dir))
        except DataError as e:
            reports.append(FetchReport(name, "failed", "", str(e), e.details))
    return reports
