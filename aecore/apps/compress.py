"""Compression: how many bytes a sample's code needs, and what quality it gives back, against PCA and JPEG.

Sizes are exact payload bytes per sample: a k-dimensional code costs 4k bytes as float32, 2k as float16 and
k as 8-bit integers. The 8-bit code also needs a table of one (offset, scale) float32 pair per dimension,
8k bytes stored once for the whole dataset, reported apart (`table_bytes`) because it does not grow with N.
JPEG sizes are whole files divided by the number of images (see `jpeg_rows`), so headers are shared as well.
"""
from __future__ import annotations

import io

import numpy as np
import torch
from PIL import Image
from torch import Tensor

from .. import infer
from ..models import Autoencoder
from .baselines import PCA
from .denoise import psnr

FORMATS = {"float32": 4, "float16": 2, "8-bit": 1}   # bytes per code value
QUALITIES = (5, 10, 20, 30, 50, 70, 90)               # JPEG qualities for the reference curve
SIZES = (2, 4, 8, 16, 32, 64)                          # bottleneck sizes for the sweep
LATENT_DIM = 16                                        # the code size the bytes-per-sample comparison uses


def code_bytes(latent_dim: int, fmt: str) -> int:
    """Payload bytes per sample of a code stored in `fmt`."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}; got {fmt!r}")
    return latent_dim * FORMATS[fmt]


def table_bytes(latent_dim: int, fmt: str) -> int:
    """Bytes stored once per dataset: the 8-bit code's per-dimension offset and scale (two float32 each)."""
    return 8 * latent_dim if fmt == "8-bit" else 0


def quantise(z: Tensor, fmt: str, calibration: Tensor | None = None) -> Tensor:
    """Codes as they come back after storing them in `fmt` (float32 values again, ready to decode).

    8-bit maps each dimension's range over `calibration` (default: z itself; pass training codes to calibrate
    on data the model saw) onto 0..255 and rounds; values outside that range are clipped to it.
    """
    code_bytes(1, fmt)
    if fmt == "float32":
        return z.float()
    if fmt == "float16":
        return z.half().float()
    ref = z if calibration is None else calibration
    lo, hi = ref.min(0).values, ref.max(0).values
    scale = (hi - lo).clamp_min(1e-12) / 255
    q = ((z - lo) / scale).round().clamp(0, 255)   # what would be stored, as uint8
    return lo + q * scale


def code_rows(model: Autoencoder, x: Tensor, value_range: tuple[float, float],
              calibration_x: Tensor | None = None) -> list[dict]:
    """Rows {method, format, bytes, psnr}: the autoencoder's test code stored in each format, then decoded."""
    z = infer.encode_all(model, x)
    calib = infer.encode_all(model, calibration_x) if calibration_x is not None else None
    k = z.shape[1]
    return [{"method": f"autoencoder ({k}-d code)", "format": fmt, "bytes": code_bytes(k, fmt),
             "psnr": psnr(x, infer.decode(model, quantise(z, fmt, calib)), value_range)} for fmt in FORMATS]


def pca_rows(pca: PCA, x: Tensor, value_range: tuple[float, float], calibration_x: Tensor | None = None) -> list[dict]:
    """The same rows for PCA codes of the same size."""
    z, k = pca.transform(x), pca.n_components_
    calib = pca.transform(calibration_x) if calibration_x is not None else None
    return [{"method": f"PCA ({k}-d code)", "format": fmt, "bytes": code_bytes(k, fmt),
             "psnr": psnr(x, pca.inverse_transform(quantise(z, fmt, calib)), value_range)} for fmt in FORMATS]


def jpeg_rows(x: Tensor, qualities: tuple[int, ...] = QUALITIES) -> list[dict]:
    """Rows {method, format, quality, bytes, psnr} for Pillow's JPEG of the images x (N, C, H, W) in [0, 1].

    The images are tiled into one mosaic, each padded (edge pixels repeated) to a multiple of 16 so no JPEG
    block straddles two images; bytes = file size / N. One file per image would charge each ~28x28 digit
    a few hundred bytes of headers, which says nothing about how well JPEG codes pixels.
    """
    mosaic, layout = _mosaic(x)
    mode = "L" if mosaic.ndim == 2 else "RGB"
    rows = []
    for q in qualities:
        buf = io.BytesIO()
        Image.fromarray(mosaic).save(buf, format="JPEG", quality=int(q), optimize=True)
        decoded = np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert(mode))
        x_hat = _unmosaic(decoded, layout)
        rows.append({"method": "JPEG", "format": f"quality {q}", "quality": int(q),
                     "bytes": buf.tell() / len(x), "psnr": psnr(x, x_hat)})
    return rows


def _mosaic(x: Tensor) -> tuple[np.ndarray, tuple]:
    n, c, h, w = x.shape
    if c not in (1, 3):
        raise ValueError(f"JPEG needs grey or RGB images, got {c} channels")
    ph, pw = -(-h // 16) * 16, -(-w // 16) * 16
    cols = int(np.ceil(np.sqrt(n)))
    rows = -(-n // cols)
    padded = torch.nn.functional.pad(x.float(), (0, pw - w, 0, ph - h), mode="replicate")
    canvas = torch.zeros(rows * cols, c, ph, pw)
    canvas[:n] = padded
    grid = canvas.view(rows, cols, c, ph, pw).permute(0, 3, 1, 4, 2).reshape(rows * ph, cols * pw, c)
    arr = (grid.clamp(0, 1) * 255).round().to(torch.uint8).numpy()
    return (arr[..., 0] if c == 1 else arr), (n, c, h, w, ph, pw, rows, cols)


def _unmosaic(arr: np.ndarray, layout: tuple) -> Tensor:
    n, c, h, w, ph, pw, rows, cols = layout
    t = torch.from_numpy(arr.astype(np.float32) / 255).view(rows * ph, cols * pw, c)
    tiles = t.view(rows, ph, cols, pw, c).permute(0, 2, 4, 1, 3).reshape(rows * cols, c, ph, pw)
    return tiles[:n, :, :h, :w]


def nearest_jpeg(jpeg: list[dict], target_bytes: float) -> dict:
    """The JPEG row whose size is closest to target_bytes: the reference at a matched size."""
    return min(jpeg, key=lambda r: abs(r["bytes"] - target_bytes))


def sweep_rows(models: dict[int, Autoencoder], pcas: dict[int, PCA], x: Tensor,
               value_range: tuple[float, float]) -> list[dict]:
    """Rows {method, size, mse, psnr}: test reconstruction error against bottleneck size, AE and PCA alike."""
    lo, hi = value_range
    rows = []
    for size in sorted(set(models) | set(pcas)):
        for method, fn in (("autoencoder", lambda m: infer.reconstruct(m, x)), ("PCA", lambda p: p.reconstruct(x))):
            model = (models if method == "autoencoder" else pcas).get(size)
            if model is not None:
                x_hat = fn(model).clamp(lo, hi)
                rows.append({"method": method, "size": size, "mse": (x - x_hat).square().mean().item(),
                             "psnr": psnr(x, x_hat, value_range)})
    return rows
