"""Downloads as bytes: latent codes and loss history as CSV, image grids as PNG. No UI, no files written.

Figures are exported by plotly itself in the browser (the camera icon of every chart's modebar); `chart_config`
makes that PNG large enough for slides. Server-side rendering (kaleido) is left out on purpose: it needs a
Chrome binary on the server and takes ~4 s per figure on 2 cores (measured with kaleido 1.5 + Debian chromium).
"""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from ..data.dataset import Dataset
from ..imaging import png_bytes, to_grid
from ..infer import encode_all, reconstruct, sample
from ..models import Autoencoder
from ..train import Run, Step

FLOAT = "{:.6g}"   # six significant digits: float32 codes round-trip to well under their own noise


def latent_csv(codes: np.ndarray | torch.Tensor, labels: np.ndarray | torch.Tensor | None = None,
               label_names: Sequence[str] = (), index: np.ndarray | None = None) -> bytes:
    """CSV with one row per sample: index, label, label_name (when labelled), then z1..zk."""
    codes = np.asarray(torch.as_tensor(codes).detach().cpu(), dtype=np.float64)
    if codes.ndim != 2:
        raise ValueError(f"codes must be (N, k), got shape {codes.shape}")
    n, k = codes.shape
    index = np.arange(n) if index is None else np.asarray(index)
    labelled = labels is not None
    if labelled:
        labels = np.asarray(torch.as_tensor(labels).cpu()).astype(np.int64)
        if len(labels) != n:
            raise ValueError(f"{len(labels)} labels for {n} codes")
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\n")
    out.writerow(["index", *(["label", "label_name"] if labelled else []), *(f"z{j + 1}" for j in range(k))])
    for i in range(n):
        head = [int(index[i])]
        if labelled:
            c = int(labels[i])
            head += [c, label_names[c] if 0 <= c < len(label_names) else ""]
        out.writerow([*head, *(FLOAT.format(v) for v in codes[i])])
    return buf.getvalue().encode()


def model_codes_csv(model: Autoencoder, x: torch.Tensor, y: torch.Tensor | None = None,
                    label_names: Sequence[str] = ()) -> bytes:
    """Encode every sample of a split (posterior means for a VAE) and return latent_csv of the codes."""
    return latent_csv(encode_all(model, x, y), y, label_names)


def history_csv(history: Sequence[Step]) -> bytes:
    """CSV with one row per training step: step, epoch, phase, train_<part>..., then test_<part> at epoch ends."""
    train_parts: list[str] = []
    test_parts: list[str] = []
    for s in history:   # first-seen order: "loss" first, then recon/kl/... as the model reports them
        train_parts += [p for p in s.losses if p not in train_parts]
        test_parts += [p for p in (s.test or {}) if p not in test_parts and p != "epoch"]
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\n")
    out.writerow(["step", "epoch", "phase", *(f"train_{p}" for p in train_parts), *(f"test_{p}" for p in test_parts)])
    for s in history:
        test = s.test or {}
        out.writerow([s.n, FLOAT.format(s.epoch), s.phase,
                      *(FLOAT.format(s.losses[p]) if p in s.losses else "" for p in train_parts),
                      *(FLOAT.format(test[p]) if p in test else "" for p in test_parts)])
    return buf.getvalue().encode()


def grid_png(x: torch.Tensor, value_range: tuple[float, float] = (0.0, 1.0), ncols: int | None = None,
             scale: int = 4) -> bytes:
    """A batch of images (N, C, H, W) as one PNG grid, enlarged with nearest-neighbour for slides."""
    if x.dim() != 4:
        raise ValueError(f"an image grid needs images (N, C, H, W); got shape {tuple(x.shape)} (sequences have no grid)")
    return png_bytes(to_grid(x, ncols, value_range=value_range), scale=scale)


def comparison_png(x: torch.Tensor, x_hat: torch.Tensor, value_range: tuple[float, float] = (0.0, 1.0),
                   ncols: int = 10, scale: int = 4) -> bytes:
    """Originals and reconstructions as one PNG: rows alternate original, reconstruction, original, ..."""
    if x.shape != x_hat.shape:
        raise ValueError(f"originals {tuple(x.shape)} and reconstructions {tuple(x_hat.shape)} differ in shape")
    rows = []
    for start in range(0, len(x), ncols):
        rows += [x[start:start + ncols], x_hat[start:start + ncols]]
    if len(x) % ncols:   # pad a short last pair of rows so each original sits above its reconstruction
        pad = ncols - len(x) % ncols
        blank = torch.full((pad, *x.shape[1:]), float(value_range[1]))
        rows[-2], rows[-1] = torch.cat([rows[-2], blank]), torch.cat([rows[-1], blank])
    return grid_png(torch.cat(rows), value_range, ncols, scale)


def model_comparison_png(model: Autoencoder, x: torch.Tensor, y: torch.Tensor | None = None,
                         value_range: tuple[float, float] = (0.0, 1.0), ncols: int = 10, scale: int = 4) -> bytes:
    """Reconstruct `x` with the model and return comparison_png of originals over reconstructions."""
    return comparison_png(x.cpu(), reconstruct(model, x, y), value_range, ncols, scale)


def chart_config(filename: str, scale: int = 3) -> dict:
    """Plotly config for st.plotly_chart(config=...): the modebar's camera saves a `scale`x PNG named `filename`."""
    return {"toImageButtonOptions": {"format": "png", "filename": filename, "scale": scale},
            "displaylogo": False}


@dataclass(frozen=True)
class Download:
    """One file a page offers: what the button says, the file's name and type, and its bytes."""

    label: str
    file_name: str
    mime: str
    data: bytes


def run_downloads(run: Run, data: Dataset | None = None, n_images: int = 20, n_samples: int = 64,
                  seed: int = 0) -> list[Download]:
    """Everything worth downloading about a run: its loss history, and with its data the test split's latent
    codes and a reconstruction grid (images), plus a grid of samples for a VAE on images."""
    stem = slug(f"{run.variant}-{run.data_info.name}-z{run.model_config.latent_dim}")
    out = [Download("Loss history (CSV)", f"{stem}-loss-history.csv", "text/csv", history_csv(run.history))]
    if data is not None:
        y = data.y_test if data.y_test is not None else None
        out.append(Download("Latent codes of the test set (CSV)", f"{stem}-latent-codes.csv", "text/csv",
                            model_codes_csv(run.model, data.x_test, y, data.label_names)))
        if data.kind == "image":
            k = min(n_images, len(data.x_test))
            out.append(Download("Reconstructions (PNG)", f"{stem}-reconstructions.png", "image/png",
                                model_comparison_png(run.model, data.x_test[:k], None if y is None else y[:k],
                                                     data.value_range)))
    if run.model_config.variational and run.data_info.kind == "image":
        out.append(Download("Samples from the prior (PNG)", f"{stem}-samples.png", "image/png",
                            samples_png(run.model, n_samples, run.data_info.value_range, seed)))
    return out


def samples_png(model: Autoencoder, n: int = 64, value_range: tuple[float, float] = (0.0, 1.0), seed: int = 0,
                scale: int = 4) -> bytes:
    """A grid of samples decoded from the prior; a conditional VAE gets one row per class."""
    if not model.config.conditional:
        return grid_png(sample(model, n, seed), value_range, scale=scale)
    per_class = max(1, n // model.config.n_classes)
    rows = [sample(model, per_class, seed, label=c) for c in range(model.config.n_classes)]
    return grid_png(torch.cat(rows), value_range, ncols=per_class, scale=scale)


def slug(text: str) -> str:
    """A safe file-name stem: 'beta-vae-mnist-z2' (uploaded file names can hold anything)."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:80] or "latent-lab"
