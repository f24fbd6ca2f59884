"""Thumbnails of every sample for the browser: hover any point of the atlas and draw its input by index.

Images become uint8 tiles, sent as a zlib stream of tiles one after another (70,000 MNIST digits: 11.5 MB, 1 s),
as raw bytes, or as a PNG sprite sheet (tile i at row i // columns, column i % columns; 11.9 MB, 2.2 s, and the
browser holds it decoded as RGBA: 4 bytes a pixel). Sequences and vectors become uint8 (or float16) values with the
range that undoes the quantisation, enough for a small line plot. `meta()` uses the keys of the atlas component's
wire format (face/atlas/wire.py `Thumbs.meta`), so a page can hand an atlas to the frame as it is.
"""
from __future__ import annotations

import io
import math
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image

MAX_SIDE = 8192          # pixels: a sprite sheet's widest side (browsers cap canvases at 8-16k)
MODES = {1: "L", 3: "RGB", 4: "RGBA"}
FORMATS = ("zlib", "raw", "png")
LEVEL = 6                # zlib/PNG level: 1 is ~12% bigger at half the time, 9 barely smaller at 7x the time
CHUNK = 8192             # samples quantised at once: never a float copy of a whole split


def quantise(x, lo: float, hi: float) -> np.ndarray:
    """Values spanning [lo, hi] as uint8 0..255 (rounded, clipped)."""
    t = torch.as_tensor(np.asarray(x) if not isinstance(x, torch.Tensor) else x, dtype=torch.float32)
    scaled = (t - lo).mul_(255.0 / max(hi - lo, 1e-12))
    return scaled.round_().clamp_(0, 255).to(torch.uint8).numpy()


def image_tiles(x, value_range: tuple[float, float] = (0.0, 1.0)) -> np.ndarray:
    """Images (N, C, H, W) as uint8 tiles (N, H, W, C), quantised in chunks."""
    n, c, h, w = x.shape
    tiles = np.empty((n, h, w, c), np.uint8)
    for start in range(0, n, CHUNK):
        tiles[start:start + CHUNK] = quantise(x[start:start + CHUNK], *value_range).transpose(0, 2, 3, 1)
    return tiles


@dataclass(frozen=True)
class ImageAtlas:
    """Every sample's thumbnail as bytes, and how to cut tile i out of them."""

    data: bytes
    format: str          # "zlib" / "raw": tiles (N, H, W, C) one after another; "png": a sprite sheet
    count: int
    tile: tuple[int, int]   # (height, width)
    channels: int        # 1 grayscale, 3 RGB, 4 RGBA
    columns: int         # sprite sheet: tiles per row (0 for tile streams)

    def meta(self) -> dict:
        """JSON-ready facts the browser needs, in the atlas component's keys."""
        return {"kind": "image", "format": self.format, "tile": list(self.tile), "channels": self.channels,
                "columns": self.columns, "count": self.count, "length": 0, "features": 1}

    def tiles(self) -> np.ndarray:
        """All tiles decoded, (N, H, W, C) uint8."""
        (h, w), c = self.tile, self.channels
        if self.format != "png":
            raw = zlib.decompress(self.data) if self.format == "zlib" else self.data
            return np.frombuffer(raw, np.uint8).reshape(self.count, h, w, c)
        rows = -(-self.count // self.columns)
        sheet = np.asarray(Image.open(io.BytesIO(self.data))).reshape(rows, h, self.columns, w, c)
        return sheet.transpose(0, 2, 1, 3, 4).reshape(rows * self.columns, h, w, c)[:self.count]


def sprite_sheet(tiles: np.ndarray, columns: int) -> np.ndarray:
    """Tiles (N, H, W, C) in rows of `columns`, as one (rows * H, columns * W, C) image; the last row padded black."""
    n, h, w, c = tiles.shape
    rows = -(-n // columns)
    padded = np.zeros((rows * columns, h, w, c), np.uint8)
    padded[:n] = tiles
    return padded.reshape(rows, columns, h, w, c).transpose(0, 2, 1, 3, 4).reshape(rows * h, columns * w, c)


def image_atlas(x, value_range: tuple[float, float] = (0.0, 1.0), format: str = "zlib",
                level: int = LEVEL) -> ImageAtlas:
    """Thumbnails of images x (N, C, H, W) whose values span value_range, packed for the browser."""
    if x.shape[1] not in MODES or format not in FORMATS:
        raise ValueError(f"need 1, 3 or 4 channels and a format in {FORMATS}; got {x.shape[1]} channels, {format!r}")
    return pack_tiles(image_tiles(x, value_range), format, level)


def rows_at(train: torch.Tensor, test: torch.Tensor, positions, chunk: int = CHUNK) -> Iterator[torch.Tensor]:
    """Rows at positions in train-then-test (ascending, as `aecore.views.codes.SplitCodes.order`), `chunk` at a time:
    70,000 MNIST images never become one float copy."""
    n_train = len(train)
    for start in range(0, len(positions), chunk):
        p = torch.as_tensor(np.asarray(positions[start:start + chunk], np.int64))
        yield torch.cat([train[p[p < n_train]], test[p[p >= n_train] - n_train]])


def inputs_at(data, positions, chunk: int = CHUNK) -> Iterator[torch.Tensor]:
    """A dataset's inputs at train-then-test positions, `chunk` at a time."""
    return rows_at(data.x_train, data.x_test, positions, chunk)


def dataset_atlas(data, positions: np.ndarray, format: str = "zlib") -> ImageAtlas | SeriesAtlas:
    """Hover pictures of a dataset's samples at train-then-test `positions`: image tiles, or line values."""
    if data.kind != "image":
        return series_atlas(torch.cat(list(inputs_at(data, positions))), tuple(data.value_range))
    tiles = np.concatenate([quantise(x, *data.value_range).transpose(0, 2, 3, 1) for x in inputs_at(data, positions)])
    return pack_tiles(tiles, format)


def pack_tiles(tiles: np.ndarray, format: str = "zlib", level: int = LEVEL) -> ImageAtlas:
    """uint8 tiles (N, H, W, C) as a tile stream (zlib or raw) or a PNG sprite sheet."""
    n, h, w, c = tiles.shape
    if format == "raw":
        return ImageAtlas(tiles.tobytes(), format, n, (h, w), c, 0)
    if format == "zlib":
        return ImageAtlas(zlib.compress(tiles.tobytes(), level), format, n, (h, w), c, 0)
    columns = min(math.ceil(math.sqrt(n)), MAX_SIDE // w)
    if -(-n // columns) * h > MAX_SIDE:
        raise ValueError(f"{n} tiles of {h}x{w} do not fit a {MAX_SIDE}-pixel sheet; use format='zlib'")
    sheet = sprite_sheet(tiles, columns)
    buffer = io.BytesIO()
    Image.fromarray(sheet[..., 0] if c == 1 else sheet, MODES[c]).save(buffer, "PNG", compress_level=level)
    return ImageAtlas(buffer.getvalue(), format, n, (h, w), c, columns)


@dataclass(frozen=True)
class SeriesAtlas:
    """Every sequence or vector for hover line plots: (N, T, F) values, T steps of F lines each."""

    values: np.ndarray          # uint8 (q -> lo + q / 255 * (hi - lo)) or float16; vectors (N, D) become (N, D, 1)
    lo: float
    hi: float

    @property
    def data(self) -> bytes:
        return self.values.tobytes()

    def meta(self) -> dict:
        n, length, features = self.values.shape
        return {"kind": "line", "format": "raw", "dtype": str(self.values.dtype), "count": n, "length": length,
                "features": features, "lo": self.lo, "hi": self.hi}

    def sample(self, i: int) -> np.ndarray:
        """Sample i as float32 (T, F), the quantisation undone."""
        v = self.values[i].astype(np.float32)
        return self.lo + v * ((self.hi - self.lo) / 255.0) if self.values.dtype == np.uint8 else v


def series_atlas(x, value_range: tuple[float, float] | None = None, dtype: str = "uint8") -> SeriesAtlas:
    """Sequences (N, T, F) or vectors (N, D) as one compact array: uint8 spanning value_range (default: the data's
    min and max), or float16."""
    array = np.asarray(x.detach().cpu() if isinstance(x, torch.Tensor) else x, np.float32)
    array = array[:, :, None] if array.ndim == 2 else array
    lo, hi = value_range or ((float(array.min()), float(array.max())) if array.size else (0.0, 0.0))
    if dtype == "uint8":
        return SeriesAtlas(quantise(array, lo, hi), float(lo), float(hi))
    if dtype == "float16":
        return SeriesAtlas(array.astype(np.float16), float(lo), float(hi))
    raise ValueError(f"dtype must be uint8 or float16, got {dtype!r}")
