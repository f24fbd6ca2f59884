"""Figures of the latent space: the codes of the test set as a scatter, and how much each dimension is used."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from .style import MARGIN, PALETTE, REFERENCE, color

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
            customdata=index[rows], marker=dict(size=MARKER_SIZE, color=color(c), opacity=0.75),
            hovertemplate=f"{name}<br>test sample #%{{customdata}}<extra></extra>"))
    fig.update_layout(height=height, margin=MARGIN, legend=dict(title="label", itemsizing="constant"),
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
    fig.add_hline(y=threshold, line_dash="dot", line_color=REFERENCE,
                  annotation_text=f"{threshold:g} nats", annotation_position="top right")
    fig.update_layout(height=260, margin=dict(MARGIN, t=20), showlegend=False,
                      yaxis_title="KL (nats)", xaxis_title="latent dimension")
    return fig
