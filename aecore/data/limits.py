"""Size limits for user data, so one upload cannot exhaust the server's memory."""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

from .. import settings
from .dataset import DataError

MB = 2**20


@dataclass(frozen=True)
class DataLimits:
    """How big a user file may be; every error that cites a limit names the env var that raises it."""

    max_bytes: int = 200 * MB      # file size and total decompressed size; MNIST as .npz is ~55 MB
    max_samples: int = 100_000     # train + test; full MNIST (70k) fits
    max_features: int = 20_000     # values per sample; 3x64x64 RGB fits, 3x128x128 does not
    max_memory: int = 256 * MB     # the loaded dataset, float32: full MNIST (70k x 784) takes 209 MB
    max_files: int = 20_000        # images in an archive or folder: each costs ~0.3 ms to open and decode

    def __post_init__(self):
        for name in ("max_bytes", "max_samples", "max_features", "max_memory", "max_files"):
            if getattr(self, name) < 1:
                raise DataError(f"DataLimits.{name} must be >= 1, got {getattr(self, name)}")

    @classmethod
    def from_env(cls) -> "DataLimits":
        """Defaults, overridden by AECORE_MAX_UPLOAD_MB, AECORE_MAX_SAMPLES, AECORE_MAX_FEATURES, AECORE_MAX_DATA_MB
        and AECORE_MAX_FILES."""
        base = cls()
        with settings_as_data_errors():
            return cls(
                max_bytes=int(settings.number("AECORE_MAX_UPLOAD_MB", base.max_bytes / MB, "MB") * MB),
                max_samples=int(settings.number("AECORE_MAX_SAMPLES", base.max_samples)),
                max_features=int(settings.number("AECORE_MAX_FEATURES", base.max_features)),
                max_memory=int(settings.number("AECORE_MAX_DATA_MB", base.max_memory / MB, "MB") * MB),
                max_files=int(settings.number("AECORE_MAX_FILES", base.max_files)),
            )

    def check_bytes(self, n: int, what: str) -> None:
        """Refuse `n` bytes of input (a file, or what an archive expands to)."""
        if n > self.max_bytes:
            raise DataError(
                f"{what} is {human_size(n)}, over the {human_size(self.max_bytes)} limit; "
                f"raise it with the environment variable AECORE_MAX_UPLOAD_MB (in MB)")

    def check_samples(self, n: int, what: str, at_least: bool = False) -> None:
        """`at_least`: a reader that stopped counting at the limit says so, rather than a total it never read."""
        if n > self.max_samples:
            count = (f"more than {self.max_samples:,} samples, the limit" if at_least
                     else f"{n:,} samples, more than the limit of {self.max_samples:,}")
            raise DataError(f"{what} has {count}; raise it with the environment variable AECORE_MAX_SAMPLES")

    def check_memory(self, n: int, features: int, what: str, at_least: bool = False) -> None:
        """Refuse `n` samples of `features` values that would take more than max_memory as float32, the dtype
        every dataset is trained in (a uint8 file grows 4x, a float64 one halves)."""
        self.check_samples(n, what, at_least)
        size = 4 * n * features
        if size > self.max_memory:
            counted = f"more than {n - 1:,}" if at_least else f"{n:,}"   # a reader stops one row past the limit
            raise DataError(
                f"{what} would take {'more than the' if at_least else human_size(size) + ', over the'} "
                f"{human_size(self.max_memory)} limit in memory once loaded ({counted} samples of {features:,} values "
                f"as float32); raise it with the environment variable AECORE_MAX_DATA_MB (in MB)")

    def rows_allowed(self, features: int) -> int:
        """How many samples of `features` values fit the sample and memory limits: a reader stops one after it."""
        return min(self.max_samples, self.max_memory // (4 * max(features, 1)))

    def check_files(self, n: int, what: str) -> None:
        if n > self.max_files:
            raise DataError(
                f"{what} holds {n:,} image files, more than the limit of {self.max_files:,} (each is opened and "
                f"decoded one by one); raise it with the environment variable AECORE_MAX_FILES, or save the "
                f"images as one .npy/.npz array")

    def check_features(self, n: int, what: str) -> None:
        if n > self.max_features:
            raise DataError(
                f"{what} has {n:,} values per sample, more than the limit of {self.max_features:,}; "
                f"raise it with the environment variable AECORE_MAX_FEATURES")


@contextmanager
def settings_as_data_errors() -> Iterator[None]:
    """A bad limit in the environment is a DataError, which the pages and the CLI show as one line."""
    try:
        yield
    except settings.SettingError as err:
        raise DataError(str(err)) from None


def human_size(n: float) -> str:
    """'812 bytes', '3.4 KB', '200 MB': readable at every scale a limit message meets."""
    for unit, size in (("GB", 2**30), ("MB", MB), ("KB", 2**10)):
        if n >= size:
            return f"{n / size:,.1f} {unit}".replace(".0 ", " ")
    return f"{int(n)} bytes"
