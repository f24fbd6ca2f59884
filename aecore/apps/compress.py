"""Compression: how many bytes a sample's code needs, and what quality it gives back, against PCA and JPEG.

Sizes are exact payload bytes per sample: a k-dimensional code costs 4k bytes as float32, 2k as float16 and
k as 8-bit integers. The 8-bit code also needs a table of one (offset, scale) float32 pair per dimension,
8k bytes stored once for the whole dataset, reported apart (`table_bytes`) because it does not grow with N.
JPEG sizes are whole files divided by the number of images (see `jpeg_rows`), so headers are shared as well.
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import plotly.graph_objects as go
import torch
from PIL import Image
from torch import Tensor

from .. import infer, jobs, plots
from ..config import TrainConfig
from ..data.dataset import Dataset
from ..models import Autoencoder, variant_config
from .baselines import PCA, fit_pca
from .denoise import psnr
from .experiment import FromRecipe, Schedule

FORMATS = {"float32": 4, "float16": 2, "8-bit": 1}   # bytes per code value
QUALITIES = (5, 10, 20, 30, 50, 70, 90)               # JPEG qualities for the reference curve
SIZES = (2, 4, 8, 16, 32, 64)                          # bottleneck sizes for the sweep
# lr 3e-3: measured on the embedded 5k digits with the page's 20 epochs (test PSNR in dB, AE / PCA), sizes 2, 4, 8,
# 16, 32, 64: 13.6/12.5, 14.9/13.2, 16.3/14.3, 16.9/15.9, 17.0/18.0, 16.9/21.0; at lr 1e-3 the AE lost to PCA from
# 16 numbers on (15.5 / 15.9), the bytes chart's default size. With many numbers PCA's exact linear fit wins unless
# the AE trains far longer: the sweep shows both sides.
# 3 epochs on a full dataset, the page's and the CLI's alike: the page's claim (assets/claims/compression.json) was
# measured with them (full MNIST, AE / PCA: 2: 13.97 / 12.56, 8: 17.17 / 14.39, 32: 19.21 / 18.18).
TRAIN = TrainConfig(epochs=3, lr=3e-3, eval_every_epoch=False)   # one small vanilla model per size
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


def jpeg_applies(data: Dataset) -> bool:
    """JPEG is the reference only for what it codes: grey or RGB images in [0, 1] (2 or 4 channels, or other
    value ranges, have no JPEG to compare with, so the chart leaves it out rather than failing)."""
    return data.kind == "image" and data.in_unit_range and data.shape[0] in (1, 3)


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


@dataclass(frozen=True)
class CompressionResult:
    sweep: list[dict]    # {method, size, mse, psnr}: error against bottleneck size, autoencoder and PCA
    rate: list[dict]     # {method, format, bytes, psnr}: bytes per sample against quality (JPEG included)

    def jpeg_match(self) -> tuple[dict, dict] | None:
        """(the autoencoder's 8-bit row, the JPEG row closest to its size), or None without JPEG rows."""
        jpeg = [r for r in self.rate if r["method"] == "JPEG"]
        if not jpeg:
            return None
        ae8 = next(r for r in self.rate if r["method"].startswith("autoencoder") and r["format"] == "8-bit")
        return ae8, nearest_jpeg(jpeg, ae8["bytes"])


@dataclass(frozen=True)
class Compression(FromRecipe):
    """Reconstruction error against bottleneck size (a vanilla autoencoder per size, PCA alike), and bytes per
    sample against PSNR for one code size, with JPEG for reference: `python -m aecore compress` and the page."""

    sizes: tuple[int, ...] = SIZES          # the sweep: one model per size
    latent_dim: int = LATENT_DIM            # the bytes chart's code size (trained as well if not a sweep size)
    qualities: tuple[int, ...] = QUALITIES  # JPEG's reference curve
    recipe: ClassVar[TrainConfig] = TRAIN
    schedule: Schedule = field(default_factory=Schedule)

    def __post_init__(self):
        if min((*self.sizes, self.latent_dim)) < 1:
            raise ValueError("bottleneck sizes must be at least 1")

    @property
    def all_sizes(self) -> list[int]:
        return sorted(set(self.sizes) | {self.latent_dim})

    def specs(self, data: Dataset) -> list[jobs.ModelSpec]:
        train = self.train_config(data)
        return [jobs.ModelSpec(str(s), data, variant_config("vanilla", latent_dim=s), train, "vanilla")
                for s in self.all_sizes]

    @staticmethod
    def describe(names: list[str]) -> str:
        """How a progress line names some of these models: 'the models for bottlenecks 2 and 8'."""
        return f"the model{'s' if len(names) > 1 else ''} for bottleneck{'s' if len(names) > 1 else ''} " + \
            jobs.join_and(names)

    def evaluate(self, models: dict[str, Autoencoder], data: Dataset) -> CompressionResult:
        """The sweep and the bytes rows. Models besides the ones `specs` names (a page's current model) join
        the bytes rows under their own name."""
        trained = {s: models[str(s)] for s in self.all_sizes}
        pcas = {s: fit_pca(data.x_train, s) for s in self.all_sizes}
        x, vr, k = data.x_test, data.value_range, self.latent_dim
        rate = code_rows(trained[k], x, vr, data.x_train) + pca_rows(pcas[k], x, vr, data.x_train)
        for name, model in models.items():
            if name not in {str(s) for s in trained}:
                rate += [{**r, "method": name} for r in code_rows(model, x, vr, data.x_train)]
        if jpeg_applies(data):
            rate += jpeg_rows(x, self.qualities)
        return CompressionResult(sweep_rows(trained, pcas, x, vr), rate)

    def figures(self, result: CompressionResult) -> tuple[go.Figure, go.Figure]:
        """(error against size, PSNR against bytes)."""
        return plots.sweep(result.sweep), plots.rate_distortion(result.rate)
