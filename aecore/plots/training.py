"""Training figures: the loss curve and the preview of non-image reconstructions (plotly, no st.*).

Figures are redrawn every second while a model trains, so they stay light: long histories are averaged
into at most MAX_POINTS points per trace before they reach plotly.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..train import Step
from .style import COLORS, LEGEND_ABOVE, MARGIN

MAX_POINTS = 500       # per trace: a 1,000-px-wide chart cannot show more, and the JSON stays ~10 kB
EARLY_STEPS = 50      # the first steps are drawn one by one, unsmoothed: a leap at step 2 is the lesson, not noise
LOG_Y_RATIO = 100.0    # a log axis only when the total loss spans more than two orders of magnitude (a run that
                       # diverges); a VAE's 550 -> 155 is read best on a linear one, where the fall is visible
PART_NAMES = {"loss": "loss", "recon": "reconstruction", "kl": "KL", "sparsity": "sparsity",
              "contractive": "contractive", "weight_decay": "weight decay"}


def early_then_downsampled(x: np.ndarray, y: np.ndarray, early: int = EARLY_STEPS) -> tuple[np.ndarray, np.ndarray]:
    """The first `early` points as they are, then the rest averaged (`downsample`) and smoothed (`smooth`): no
    bucket or moving average hides what the first steps did (the learning-rate lesson's leap at step 2)."""
    head_x, head_y = x[:early], y[:early].astype(float)
    if len(x) <= early:
        return head_x, head_y
    tail_x, tail_y = downsample(x[early:], y[early:], MAX_POINTS - early)
    return np.concatenate([head_x, tail_x]), np.concatenate([head_y, smooth(tail_y)])


def downsample(x: np.ndarray, y: np.ndarray, max_points: int = MAX_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """Average consecutive points into at most `max_points` buckets (means keep the trend; picking every
    k-th point would keep the noise)."""
    n = len(x)
    if n <= max_points:
        return x, y
    k = math.ceil(n / max_points)
    m = n // k * k
    xs, ys = x[:m].reshape(-1, k).mean(1), y[:m].reshape(-1, k).mean(1)
    if m < n:   # the last partial bucket: the latest value matters most while training
        xs, ys = np.append(xs, x[m:].mean()), np.append(ys, y[m:].mean())
    return xs, ys


def smooth(y: np.ndarray, span: int | None = None) -> np.ndarray:
    """Exponential moving average with a span of ~2% of the points (at least 1): mini-batch losses are noisy.
    Applied after `downsample`, so it loops over at most MAX_POINTS values."""
    if len(y) == 0:
        return y
    span = span or max(1, len(y) // 50)
    alpha = 2.0 / (span + 1)
    out = np.empty_like(y, dtype=float)
    acc = float(y[0])
    for i, v in enumerate(y):
        acc += alpha * (float(v) - acc)
        out[i] = acc
    return out


def loss_curve(history_steps: Sequence[Step], test_history: Sequence[dict], variational: bool,
               height: int = 320, epochs: int | None = None) -> go.Figure:
    """Training loss per step (the first EARLY_STEPS as they are, then smoothed, against epochs) and test loss per
    epoch (markers). For VAEs the
    reconstruction and KL parts get their own traces, since their sum hides the trade-off between them.
    Before the first step the axes are empty: epochs 0 to `epochs` (when given) and no loss values."""
    parts = ["loss", "recon", "kl"] if variational else ["loss"]
    train = [s for s in history_steps if s.phase == "train"]
    pre = [s for s in history_steps if s.phase != "train"]
    traces: list[dict] = []   # plain dicts, validated once by go.Figure: ~4x faster than add_trace per trace
    plotted: list[np.ndarray] = []
    if pre:
        x, y = downsample(np.array([s.epoch for s in pre]), np.array([s.losses["loss"] for s in pre]))
        traces.append(dict(type="scatter", x=x, y=smooth(y), mode="lines", name="layer-wise pretraining",
                           line=dict(color=COLORS["pretrain"], width=1.5)))
    if train:
        epochs = np.array([s.epoch for s in train])
        for part in parts:
            x, y = early_then_downsampled(epochs, np.array([s.losses.get(part, np.nan) for s in train], dtype=float))
            if part == "loss":
                plotted.append(y)
            # A VAE's total sits on top of its reconstruction part: draw it as a wide pale band underneath
            band = variational and part == "loss"
            traces.append(dict(type="scatter", x=x, y=y, mode="lines" if len(x) > 1 else "markers",   # one step: a dot
                               name=f"train {PART_NAMES[part]}", yaxis=_axis(part),
                               legendgroup=part, opacity=0.35 if band else 1.0,
                               line=dict(color=COLORS[part], width=7 if band else 2)))
    for part in parts:
        tests = [(t["epoch"], t[part]) for t in test_history if part in t]
        if tests:
            tx, ty = (np.array(v, dtype=float) for v in zip(*tests))
            if part == "loss":
                plotted.append(ty)
            band = variational and part == "loss"
            traces.append(dict(type="scatter", x=tx, y=ty, mode="markers+lines", name=f"test {PART_NAMES[part]}",
                               legendgroup=part, yaxis=_axis(part), opacity=0.5 if band else 1.0,
                               line=dict(color=COLORS[part], width=1, dash="dot"),
                               marker=dict(size=13 if band else 8, symbol="diamond")))
    layout = dict(height=height, margin=MARGIN, uirevision="loss", legend=LEGEND_ABOVE,
                  xaxis=dict(title=dict(text="epoch"), rangemode="nonnegative"),
                  yaxis=dict(title=dict(text="loss per sample"), type="log" if _wants_log(plotted) else "linear"))
    if variational and traces:   # the KL (often a few nats) on its own axis, not squashed under a 0-400 loss
        layout["yaxis2"] = dict(title=dict(text="KL (nats)", font=dict(color=COLORS["kl"])), overlaying="y",
                                side="right", rangemode="tozero", showgrid=False, tickfont=dict(color=COLORS["kl"]))
    if not traces:   # plotly's empty axes would run from -1 to 4 (y) and -1 to 6 (x)
        layout["annotations"] = [dict(text="The loss appears here after the first step", showarrow=False,
                                      xref="paper", yref="paper", x=0.5, y=0.5)]
        layout["xaxis"].update(range=[0, epochs or 1])
        layout["yaxis"].update(range=[0, 1], showticklabels=False)
    return go.Figure(data=traces, layout=layout)


def _axis(part: str) -> str:
    """The y axis a loss part is drawn on: the KL on its own (yaxis2, right), everything else on the left."""
    return "y2" if part == "kl" else "y"


def _wants_log(arrays: list[np.ndarray]) -> bool:
    """Whether the total loss (train and test; not its parts, whose KL may start near 0) spans orders of magnitude."""
    values = np.concatenate([a[np.isfinite(a)] for a in arrays]) if arrays else np.array([])
    if len(values) < 2 or values.min() <= 0:
        return False
    return values.max() / values.min() > LOG_Y_RATIO


def series_preview(values: Sequence[np.ndarray], rows: Sequence[str], max_samples: int = 4,
                   height: int = 260) -> go.Figure:
    """Sequences or vectors next to their reconstructions, one small panel per sample (the non-image
    counterpart of the reconstruction grid). `values` holds one (n, T[, F]) or (n, D) array per row."""
    n = min(max_samples, len(values[0])) if len(values) else 0
    fig = make_subplots(rows=1, cols=max(n, 1), shared_yaxes=True, horizontal_spacing=0.02)
    styles = {"input": dict(color="#444", width=2), "corrupted": dict(color="#bbb", width=1),
              "reconstruction": dict(color=COLORS["recon"], width=2, dash="dot")}
    for i in range(n):
        for name, arr in zip(rows, values):
            y = np.asarray(arr[i], dtype=float)
            y = y[:, 0] if y.ndim == 2 else y.reshape(-1)   # first feature of a multivariate sequence
            fig.add_trace(go.Scatter(y=y, mode="lines", name=name, legendgroup=name, showlegend=i == 0,
                                     line=styles.get(name, {})), row=1, col=i + 1)
    fig.update_layout(height=height, margin=MARGIN, uirevision="series", legend=LEGEND_ABOVE)
    return fig
