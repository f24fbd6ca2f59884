"""Plotly figures for the latent-space and generation pages. Each returns a go.Figure; nothing is drawn here."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.colors import qualitative, sample_colorscale
from plotly.subplots import make_subplots

PALETTE = qualitative.Plotly + qualitative.D3   # 20 distinct colours, enough for every built-in dataset
MARKER_SIZE = 5


def latent_scatter(coords: np.ndarray, labels: np.ndarray | None, label_names: tuple[str, ...],
                   index: np.ndarray, axis_labels: tuple[str, str], height: int = 560) -> go.Figure:
    """WebGL scatter of 2-D codes, one trace per class (so the legend toggles classes).

    `customdata` holds each point's index in the test set: selections and clicks report it back.
    """
    coords = np.asarray(coords, np.float32)
    index = np.asarray(index, np.int64)
    fig = go.Figure()
    if labels is None or not label_names:
        groups = [("samples", np.arange(len(coords)))]
    else:
        labels = np.asarray(labels)
        groups = [(name, np.flatnonzero(labels == c)) for c, name in enumerate(label_names)]
    for c, (name, rows) in enumerate(groups):
        if len(rows) == 0:
            continue
        fig.add_trace(go.Scattergl(
            x=coords[rows, 0], y=coords[rows, 1], mode="markers", name=str(name),
            customdata=index[rows], marker=dict(size=MARKER_SIZE, color=PALETTE[c % len(PALETTE)], opacity=0.75),
            hovertemplate=f"{name}<br>test sample #%{{customdata}}<extra></extra>"))
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=30, b=10),
                      legend=dict(title="label", itemsizing="constant"),
                      xaxis_title=axis_labels[0], yaxis_title=axis_labels[1])
    return fig


def kl_bar(kl: np.ndarray, threshold: float) -> go.Figure:
    """Mean KL per latent dimension; bars over `threshold` (used by the decoder) are coloured."""
    kl = np.asarray(kl, np.float64)
    active = kl > threshold
    fig = go.Figure(go.Bar(
        x=[f"z{i + 1}" for i in range(len(kl))], y=kl,
        marker_color=np.where(active, PALETTE[0], "#c8c8c8").tolist(),
        hovertemplate="%{x}: %{y:.3f} nats<extra></extra>"))
    fig.add_hline(y=threshold, line_dash="dot", line_color="#888",
                  annotation_text=f"{threshold:g} nats", annotation_position="top right")
    fig.update_layout(height=260, margin=dict(l=10, r=10, t=20, b=10), showlegend=False,
                      yaxis_title="KL (nats)", xaxis_title="latent dimension")
    return fig


def x_title(kind: str) -> str:
    """What the x axis of a line plot counts: feature index for vectors, position in time for sequences."""
    return "feature" if kind == "vector" else "position"


def _as_lines(x: np.ndarray) -> np.ndarray:
    """(N, T, F) sequences or (N, D) vectors -> (N, F, T): one line per feature."""
    x = np.asarray(x, np.float32)
    return x.transpose(0, 2, 1) if x.ndim == 3 else x[:, None, :]


def line_groups(groups: list[np.ndarray], titles: list[str], gradient: bool = True, height: int | None = None,
                x_title: str = "position") -> go.Figure:
    """Non-image samples as line plots: one panel per group, every sample of a group overlaid.

    With `gradient`, lines within a group shade from the first to the last (a sweep or an interpolation);
    otherwise each gets its own colour. Sequences with several features draw each feature as its own line.
    """
    n = len(groups)
    cols = min(n, 4)
    rows = -(-n // cols)
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=titles, shared_yaxes=True,
                        horizontal_spacing=0.04, vertical_spacing=0.12 if rows > 1 else 0.0)
    for g, samples in enumerate(groups):
        lines = _as_lines(samples)
        m = len(lines)
        # Viridis up to 0.85: its last, yellow, end is hard to see on white
        shades = sample_colorscale("Viridis", [0.85 * i / max(m - 1, 1) for i in range(m)]) if gradient else None
        for i, sample in enumerate(lines):
            color = shades[i] if gradient else PALETTE[i % len(PALETTE)]
            for f, line in enumerate(sample):
                fig.add_trace(go.Scatter(y=line, mode="lines", line=dict(color=color, width=1.5, dash=["solid", "dot", "dash"][f % 3]),
                                         showlegend=False, hoverinfo="skip"), row=g // cols + 1, col=g % cols + 1)
    fig.update_layout(height=height or 220 * rows, margin=dict(l=10, r=10, t=30, b=10))
    fig.update_xaxes(title_text=x_title, row=rows)
    return fig


def recon_lines(x: np.ndarray, x_hat: np.ndarray, titles: list[str], x_title: str = "position") -> go.Figure:
    """Non-image inputs (grey) and their reconstructions (colour), one panel per sample."""
    n = len(x)
    cols = min(n, 4)
    rows = -(-n // cols)
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=titles, shared_yaxes=True,
                        horizontal_spacing=0.04, vertical_spacing=0.12 if rows > 1 else 0.0)
    for i, (a, b) in enumerate(zip(_as_lines(x), _as_lines(x_hat))):
        for f in range(len(a)):
            where = dict(row=i // cols + 1, col=i % cols + 1)
            first = i == 0 and f == 0
            fig.add_trace(go.Scatter(y=a[f], mode="lines", name="input", legendgroup="input", showlegend=first,
                                     line=dict(color="#9a9a9a", width=2)), **where)
            fig.add_trace(go.Scatter(y=b[f], mode="lines", name="reconstruction", legendgroup="recon",
                                     showlegend=first, line=dict(color=PALETTE[0], width=1.5)), **where)
    fig.update_layout(height=220 * rows + 40, margin=dict(l=10, r=10, t=30, b=10),
                      legend=dict(orientation="h", y=-0.15))
    fig.update_xaxes(title_text=x_title, row=rows)
    return fig
