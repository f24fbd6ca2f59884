"""Thumbnails of every sample for the browser: hover any point of the atlas and draw its input by index.

Images become one sprite sheet (tile i at row i // columns, column i % columns), as PNG (70,000 MNIST digits:
a few MB, the browser decodes it natively) or raw uint8. Sequences and vectors become one uint8 (or float16)
array with the range to undo the quantisation, enough for a small line plot. `layout()` is what the browser needs.
"""
from __future__ import annotations

import io
import math
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image

MAX_SIDE = 16384        # pixels: the largest canvas/image side every current browser draws
MODES = {1: "L", 3: "RGB", 4: "RGBA"}
PNG_LEVEL = 6           # zlib level: PIL's default; measured in scripts/bench_latent.py against 1 and 9


def _as_array(x) -> np.ndarray:
    return x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)


def quantise(x, lo: float, hi: float) -> np.ndarray:
    """Values in [lo, hi] as uint8 0..255 (rounded, clipped)."""
    scaled = (_as_array(x).astype(np.float32) - lo) * (255.0 / max(hi - lo, 1e-12))
    return np.clip(np.rint(scaled), 0, 255).astype(np.uint8)


@dataclass(frozen=True)
class ImageAtlas:
    """A sprite sheet of N tiles, row-major, and how to cut it."""

    data: bytes          # PNG file, or raw uint8 (height, width, channels) bytes
    encoding: str        # "png" or "raw"
    n: int
    tile_h: int
    tile_w: int
    channels: int        # 1 grayscale, 3 RGB, 4 RGBA
    columns: int

    @property
    def rows(self) -> int:
        return -(-self.n // self.columns)

    def layout(self) -> dict:
        """JSON-ready facts a browser needs to crop tile i out of the sheet."""
        return {"n": self.n, "tile_h": self.tile_h, "tile_w": self.tile_w, "channels": self.channels,
                "columns": self.columns, "rows": self.rows, "encoding": self.encoding,
                "width": self.columns * self.tile_w, "height": self.rows * self.tile_h}

    def sheet(self) -> np.ndarray:
        """The decoded sheet, (height, width, channels) uint8."""
        shape = (self.rows * self.tile_h, self.columns * self.tile_w, self.channels)
        if self.encoding == "raw":
            return np.frombuffer(self.data, np.uint8).reshape(shape)
        return np.asarray(Image.open(io.BytesIO(self.data))).reshape(shape)

    def tile(self, i: int, sheet: np.ndarray | None = None) -> np.ndarray:
        """Sample i's thumbnail, (tile_h, tile_w, channels) uint8; pass `sheet()` when cutting many."""
        sheet = self.sheet() if sheet is None else sheet
        r, c = divmod(i, self.columns)
        return sheet[r * self.tile_h:(r + 1) * self.tile_h, c * self.tile_w:(c + 1) * self.tile_w]


def image_atlas(x, value_range: tuple[float, float] = (0.0, 1.0), columns: int | None = None,
                encoding: str = "png", png_level: int = PNG_LEVEL) -> ImageAtlas:
    """A sprite sheet of images x (N, C, H, W) with values in value_range; about square unless columns is given."""
    n, c, h, w = x.shape
    if c not in MODES or encoding not in ("png", "raw"):
        raise ValueError(f"need 1, 3 or 4 channels and encoding png or raw; got {c} channels, {encoding!r}")
    columns = columns or min(math.ceil(math.sqrt(n)), MAX_SIDE // w)
    rows = -(-n // columns)
    if rows * h > MAX_SIDE:
        raise ValueError(f"{n} tiles of {h}x{w} do not fit a {MAX_SIDE}-pixel sheet; use a subsample")
    sheet = np.zeros((rows * columns, h, w, c), np.uint8)
    for start in range(0, n, 8192):    # quantise in chunks: never a float copy of the whole split
        chunk = x[start:min(start + 8192, n)]
        sheet[start:start + len(chunk)] = quantise(chunk, *value_range).transpose(0, 2, 3, 1)
    sheet = sheet.reshape(rows, columns, h, w, c).transpose(0, 2, 1, 3, 4).reshape(rows * h, columns * w, c)
    if encoding == "raw":
        data = sheet.tobytes()
    else:
        buffer = io.BytesIO()
        Image.fromarray(sheet[..., 0] if c == 1 else sheet, MODES[c]).save(buffer, "PNG", compress_level=png_level)
        data = buffer.getvalue()
    return ImageAtlas(data, encoding, n, h, w, c, columns)


@dataclass(frozen=True)
class SeriesAtlas:
    """Every sequence or vector, quantised to uint8 (or float16), for hover line plots."""

    values: np.ndarray          # (N, L) uint8 (q -> lo + q / 255 * (hi - lo)) or float16; L = T*F or D
    shape: tuple[int, ...]      # one sample's shape: (T, F) or (D,)
    lo: float
    hi: float

    @property
    def data(self) -> bytes:
        return self.values.tobytes()

    def layout(self) -> dict:
        return {"n": len(self.values), "shape": list(self.shape), "dtype": str(self.values.dtype),
                "lo": self.lo, "hi": self.hi}

    def sample(self, i: int) -> np.ndarray:
        """Sample i as float32 in its own shape (dequantised)."""
        v = self.values[i].astype(np.float32)
        if self.values.dtype == np.uint8:
            v = self.lo + v * ((self.hi - self.lo) / 255.0)
        return v.reshape(self.shape)


def series_atlas(x, dtype: str = "uint8") -> SeriesAtlas:
    """Sequences (N, T, F) or vectors (N, D) as one compact array: uint8 with their min and max, or float16."""
    array = _as_array(x)
    flat = array.reshape(len(array), -1)
    lo, hi = (float(flat.min()), float(flat.max())) if flat.size else (0.0, 0.0)
    if dtype == "uint8":
        values = quantise(flat, lo, hi)
    elif dtype == "float16":
        values = flat.astype(np.float16)
    else:
        raise ValueError(f"dtype must be uint8 or float16, got {dtype!r}")
    return SeriesAtlas(values, tuple(array.shape[1:]), lo, hi)
