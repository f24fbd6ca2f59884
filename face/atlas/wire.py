"""What travels between Python and the atlas component: arrays as bytes, big ones once per content hash, and
events that Python acknowledges one by one. No Streamlit here, so it is tested without a browser.

Why a hash: a component's arguments are resent on every rerun, and a 70,000-picture atlas is megabytes. The
frame keeps each payload it received by hash; Python sends bytes only for hashes it has not sent yet (eager
payloads: coordinates and labels, needed for the first drawing) or that the frame asked for (lazy ones: pictures
and decoder weights, requested once the points are on screen, or again after the frame was reloaded).

Why acknowledgements: a component value is one slot, so two events sent before a rerun reads them leave only the
last. Each event carries a nonce; the frame sends the next one only after a render echoes that nonce as `ack`.
"""
from __future__ import annotations

import hashlib
import io
import zlib
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np


def content_hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=8).hexdigest()


@dataclass(frozen=True)
class Payload:
    name: str        # the argument's name in the frame: coords, labels, thumbs, weights
    data: bytes
    eager: bool      # sent without being asked (needed for the first drawing)
    digest: str = ""   # content_hash(data) when the caller already knows it (hashing 10 MB takes ~50 ms)


@dataclass
class Channel:
    """The Python end of one component instance (one key): kept in the Workspace between reruns (its `components`)."""

    last_nonce: str | None = None
    sent: set[str] = field(default_factory=set)      # hashes sent since the frame last said it lacked them
    wanted: set[str] = field(default_factory=set)    # hashes the frame asked for
    renders: int = 0
    heard: bool = False   # the frame has sent something (a request, a click): its points are on screen
    lazy: bool = False    # the last render had lazy payloads (pictures, weights), which the frame will ask for

    @property
    def drawn(self) -> bool:
        """The frame has drawn what it was sent: it asked for the rest or sent an event, or there is no rest."""
        return self.heard or (self.renders > 0 and not self.lazy)

    def is_new(self, value) -> bool:
        return isinstance(value, dict) and value.get("nonce") not in (None, self.last_nonce)

    def drawn_by(self, value) -> bool:
        """`drawn`, counting the component's newest value before `receive` reads it: a page may want to know that
        the points are on screen before it draws the atlas again (pages/latent.py adds what follows it)."""
        return self.drawn or self.is_new(value)

    def receive(self, value) -> dict | None:
        """The new event in the component's value, or None: no value, one already returned, or a payload request."""
        if not self.is_new(value):
            return None
        self.last_nonce = value["nonce"]
        self.heard = True
        if "need" in value:
            need = set(value["need"])
            self.sent -= need
            self.wanted |= need
            return None
        return dict(value)

    def args(self, payloads: list[Payload]) -> tuple[dict, dict[str, bytes]]:
        """(JSON args: every payload's hash and the acknowledgement; bytes args `data_<name>`: those to send now)."""
        self.renders += 1   # a new `ack` each run, so the frame always hears back, even about a repeat
        self.lazy = any(not p.eager for p in payloads)
        meta, data = {}, {}
        for p in payloads:
            h = meta[p.name] = p.digest or content_hash(p.data)
            if h not in self.sent and (p.eager or h in self.wanted):
                data[f"data_{p.name}"] = p.data
                self.sent.add(h)
                self.wanted.discard(h)
        return {"payloads": meta, "ack": {"nonce": self.last_nonce, "n": self.renders}}, data


def coords_bytes(coords) -> bytes:
    """(N, 2) finite coordinates as little-endian float32."""
    xy = np.asarray(coords, dtype="<f4")
    if xy.ndim != 2 or xy.shape[1] != 2:
        raise ValueError(f"coords must be (N, 2), got shape {xy.shape}")
    if not np.isfinite(xy).all():
        raise ValueError("coords must be finite (no NaN or inf)")
    return np.ascontiguousarray(xy).tobytes()


def labels_bytes(labels, n: int) -> bytes:
    """(N,) labels in 0..255 as uint8."""
    y = np.asarray(labels)
    if y.shape != (n,):
        raise ValueError(f"labels must be ({n},) like coords, got shape {y.shape}")
    if len(y) and (y.min() < 0 or y.max() > 255):
        raise ValueError("labels must lie in 0..255 (they index the colours)")
    return y.astype(np.uint8).tobytes()


def inverse_args(inverse, latent_dim: int) -> dict | None:
    """The view's inverse as {mean, components}: z = mean + x * components[0] + y * components[1].

    `inverse` is None (no decoding under the mouse), "identity" (the view is the 2-D code itself), a fitted
    PCA-like object with `mean_` and `components_` (2, latent_dim), or a (mean, components) pair.
    """
    if inverse is None:
        return None
    if isinstance(inverse, str):
        if inverse != "identity" or latent_dim != 2:
            raise ValueError("inverse='identity' means the view is the code itself, so it needs latent_dim == 2")
        mean, comp = np.zeros(2), np.eye(2)
    elif hasattr(inverse, "components_"):
        mean, comp = inverse.mean_, inverse.components_
    else:
        mean, comp = inverse
    mean, comp = np.asarray(mean, dtype=float), np.asarray(comp, dtype=float)
    if mean.shape != (latent_dim,) or comp.shape != (2, latent_dim):
        raise ValueError(f"inverse needs mean ({latent_dim},) and components (2, {latent_dim}); "
                         f"got {mean.shape} and {comp.shape}")
    return {"mean": mean.tolist(), "components": comp.tolist()}


@dataclass(frozen=True)
class Thumbs:
    """Hover pictures as the frame reads them: images (a PNG sprite sheet, or uint8 tiles (N, h, w, c) one after
    another, raw or zlib-compressed) or line plots (uint8 (N, T, F), 0..255 spanning the data's range)."""

    data: bytes
    count: int
    kind: str = "image"               # "image" | "line"
    format: str = "zlib"              # "png" (sprite sheet) | "raw" | "zlib"
    tile: tuple[int, int] = (0, 0)    # image tiles: (height, width)
    channels: int = 1                 # 1 (grey) or 3 (RGB)
    columns: int = 0                  # PNG sprite sheets: tiles per row
    length: int = 0                   # line plots: T
    features: int = 1                 # line plots: F lines each

    @cached_property
    def digest(self) -> str:
        """Hashed once per object: a Thumbs kept in st.cache_resource is not rehashed on every rerun."""
        return content_hash(self.data)

    def meta(self) -> dict:
        return {"kind": self.kind, "format": self.format, "tile": list(self.tile), "channels": self.channels,
                "columns": self.columns, "count": self.count, "length": self.length, "features": self.features}

    @classmethod
    def from_images(cls, images: np.ndarray, format: str = "zlib") -> Thumbs:
        """uint8 images (N, h, w) or (N, h, w, 3) as zlib-compressed tiles (MNIST: 1/5 of the raw bytes; the frame
        keeps them as bytes) or a PNG sprite sheet (decoded by the browser into RGBA: 4 bytes a pixel, so keep
        sheets to a few thousand tiles)."""
        x = np.asarray(images)
        if x.dtype != np.uint8 or x.ndim not in (3, 4) or (x.ndim == 4 and x.shape[3] not in (1, 3)):
            raise ValueError(f"images must be uint8 (N, h, w) or (N, h, w, 3), got {x.dtype} {x.shape}")
        channels, tile = (1 if x.ndim == 3 else x.shape[3]), (x.shape[1], x.shape[2])
        if format == "zlib":
            return cls(zlib.compress(np.ascontiguousarray(x).tobytes(), 6), len(x), "image", "zlib", tile, channels)
        if format != "png":
            raise ValueError(f"format must be 'zlib' or 'png', got {format!r}")
        columns = max(1, min(int(np.ceil(np.sqrt(len(x)))), 8192 // tile[1]))
        return cls(_png_sheet(x, columns), len(x), "image", "png", tile, channels, columns)

    @classmethod
    def from_lines(cls, values: np.ndarray, value_range: tuple[float, float]) -> Thumbs:
        """Sequences (N, T, F) or vectors (N, D), quantised to 256 levels over `value_range`."""
        v = np.asarray(values, dtype=float)
        v = v[:, :, None] if v.ndim == 2 else v
        lo, hi = value_range
        q = np.clip(np.round((v - lo) / ((hi - lo) or 1.0) * 255), 0, 255).astype(np.uint8)
        return cls(zlib.compress(q.tobytes(), 6), len(q), "line", "zlib", length=q.shape[1], features=q.shape[2])


def _png_sheet(x: np.ndarray, columns: int) -> bytes:
    """Tiles in rows of `columns`, as one PNG."""
    from PIL import Image  # only sprite sheets need it

    n, h, w = x.shape[:3]
    rows = -(-n // columns)
    sheet = np.zeros((rows * h, columns * w, *x.shape[3:]), np.uint8)
    for i in range(n):
        r, c = divmod(i, columns)
        sheet[r * h:(r + 1) * h, c * w:(c + 1) * w] = x[i]
    buf = io.BytesIO()
    Image.fromarray(sheet.squeeze(-1) if sheet.ndim == 3 and sheet.shape[-1] == 1 else sheet).save(buf, "PNG")
    return buf.getvalue()
