"""The reconstruction preview: a few fixed test samples and what the model makes of them, as one small grid.

A job renders it at most once a second while training; `preview_for` renders it for a model that is not
training, so the Train page shows a loaded model the same way.
"""
from __future__ import annotations

import torch

from .. import penalties
from ..data.dataset import Dataset
from ..imaging import to_grid
from ..train import Run
from .protocol import Preview

PREVIEW_N = 8           # fixed test samples in the preview: one row of a grid, small enough to send every second
PREVIEW_SEED = 1234     # the same corrupted inputs each time, so the preview shows learning, not new noise


def preview_inputs(run: Run, data: Dataset) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor | None] | None:
    """The fixed test samples shown in the preview (the first of each class, then the next ones), their
    labels, and their corrupted version for a denoiser, drawn once with a fixed seed."""
    x_all, y_all = data.x_test, data.y_test
    if len(x_all) == 0:
        return None
    n = min(PREVIEW_N, len(x_all))
    idx = list(range(n))
    if y_all is not None:   # one of each class first: the grid shows the variety of the data
        firsts = {}
        for i, label in enumerate(y_all[:2000].tolist()):
            firsts.setdefault(label, i)
        idx = sorted(firsts.values())[:n]
        idx += [i for i in range(len(x_all)) if i not in firsts.values()][:n - len(idx)]
    x = x_all[idx].clone()
    y = y_all[idx].clone() if y_all is not None else None
    cfg = run.model_config
    noisy = None
    if cfg.noise != "none" and cfg.noise_level > 0:
        g = torch.Generator().manual_seed(PREVIEW_SEED)
        noisy = penalties.corrupt(x, cfg.noise, cfg.noise_level, tuple(data.value_range), g)
    return x, y, noisy


@torch.no_grad()
def make_preview(run: Run, x: torch.Tensor, y: torch.Tensor | None = None,
                 noisy: torch.Tensor | None = None) -> Preview:
    """Reconstructions of x (of `noisy` for a denoiser: it should give back x) by run.model in eval mode.
    Leaves the model in the mode it found it in."""
    model = run.model
    was_training = model.training
    model.eval()
    try:
        device = run.device
        labels = y.to(device) if (y is not None and run.model_config.conditional) else None
        source = noisy if noisy is not None else x
        x_hat = model(source.to(device), labels).float().cpu()
    finally:
        model.train(was_training)
    rows = [x] + ([noisy] if noisy is not None else []) + [x_hat]
    names = ("input",) + (("corrupted",) if noisy is not None else ()) + ("reconstruction",)
    if run.data_info.kind == "image":
        grid = to_grid(torch.cat(rows), ncols=len(x), value_range=run.data_info.value_range)
        return Preview(run.step, names, grid)
    return Preview(run.step, names, None, tuple(r.detach().cpu().numpy() for r in rows))


def preview_for(run: Run, data: Dataset) -> Preview | None:
    """The preview of a run that is not training (a loaded model), on `data`'s fixed test samples."""
    inputs = preview_inputs(run, data)
    return make_preview(run, *inputs) if inputs is not None else None
