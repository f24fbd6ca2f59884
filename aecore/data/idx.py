"""Parse IDX files (LeCun's MNIST format) straight from bytes with np.frombuffer, which is what keeps MNIST fast."""
from __future__ import annotations

import numpy as np

from .dataset import DataError

# Third magic byte -> element type; IDX stores multi-byte values big-endian.
DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def looks_like_idx(data: bytes) -> bool:
    """True when `data` starts with an IDX magic number (two zero bytes, a known type, 1 to 4 dims)."""
    return len(data) >= 4 and data[:2] == b"\0\0" and data[2] in DTYPES and 1 <= data[3] <= 4


def idx_shape(data: bytes, what: str) -> tuple[int, ...]:
    """Read just the header, so limits can be checked before any data is touched."""
    if not looks_like_idx(data):
        raise DataError(f"{what} is not an IDX file (its first bytes are not an IDX magic number)")
    ndim = data[3]
    if len(data) < 4 + 4 * ndim:
        raise DataError(f"{what} is a truncated IDX file (header cut short)")
    return tuple(int(d) for d in np.frombuffer(data, ">u4", count=ndim, offset=4))


def parse_idx(data: bytes, what: str = "IDX file") -> np.ndarray:
    """Return the array in an (uncompressed) IDX file; read-only, a view of `data`."""
    shape = idx_shape(data, what)
    dtype = np.dtype(DTYPES[data[2]])
    offset = 4 + 4 * len(shape)
    expected = offset + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(data) != expected:
        raise DataError(f"{what} should be {expected:,} bytes for shape {shape} but is {len(data):,}: "
                        "truncated or corrupt")
    return np.frombuffer(data, dtype, count=int(np.prod(shape)), offset=offset).reshape(shape)
