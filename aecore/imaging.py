"""Samples as pictures: tile a batch into one uint8 grid, and write it as PNG (no plotting library)."""
from __future__ import annotations

import io
import math

import numpy as np
import torch
from PIL import Image


def to_grid(x: torch.Tensor, ncols: int | None = None, pad: int = 1,
            value_range: tuple[float, float] = (0.0, 1.0)) -> np.ndarray:
    """Tile images (N, C, H, W) into one uint8 array (rows*H, cols*W) or (.., 3) for colour, row-major."""
    x = torch.as_tensor(x).detach().float().cpu()
    if x.dim() != 4:
        raise ValueError(f"to_grid needs images (N, C, H, W), got shape {tuple(x.shape)}")
    n, c, h, w = x.shape
    ncols = ncols or math.ceil(math.sqrt(n))
    nrows = math.ceil(n / max(ncols, 1))
    lo, hi = value_range
    x = ((x - lo) / max(hi - lo, 1e-12)).clamp(0, 1)
    grid = torch.ones(c, nrows * (h + pad) - pad, ncols * (w + pad) - pad)   # white gutters
    for i in range(n):
        r, col = divmod(i, ncols)
        grid[:, r * (h + pad):r * (h + pad) + h, col * (w + pad):col * (w + pad) + w] = x[i]
    arr = (grid * 255).round().to(torch.uint8).numpy()
    return arr[0] if c == 1 else arr[:3].transpose(1, 2, 0)


def png_bytes(arr: np.ndarray, scale: int = 1) -> bytes:
    """PNG of a uint8 grid, optionally enlarged with nearest-neighbour (crisp pixels on a projector)."""
    img = Image.fromarray(arr)
    if scale > 1:
        img = img.resize((img.width * scale, img.height * scale), Image.NEAREST)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()
