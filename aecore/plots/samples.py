"""Non-image samples (sequences, feature vectors) as line plots: sweeps, interpolations, reconstructions."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.colors import sample_colorscale

from .style import MARGIN, PALETTE, color, legend_below, panel_grid

DASHES = ["solid", "dot", "dash"]   # one per feature of a multivariate sequence


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
    fig, cols, rows = panel_grid(len(groups), titles)
    for g, samples in enumerate(groups):
        lines = _as_lines(samples)
        m = len(lines)
        # Viridis up to 0.85: its last, yellow, end is hard to see on white
        shades = sample_colorscale("Viridis", [0.85 * i / max(m - 1, 1) for i in range(m)]) if gradient else None
        for i, sample in enumerate(lines):
            line_color = shades[i] if gradient else color(i)
            for f, line in enumerate(sample):
                fig.add_trace(go.Scatter(y=line, mode="lines", showlegend=False, hoverinfo="skip",
                                         line=dict(color=line_color, width=1.5, dash=DASHES[f % 3])),
                              row=g // cols + 1, col=g % cols + 1)
    fig.update_layout(height=height or 220 * rows, margin=MARGIN)
    fig.update_xaxes(title_text=x_title, row=rows)
    return fig


def recon_lines(x: np.ndarray, x_hat: np.ndarray, titles: list[str], x_title: str = "position") -> go.Figure:
    """Non-image inputs (grey) and their reconstructions (colour), one panel per sample."""
    fig, cols, rows = panel_grid(len(x), titles)
    for i, (a, b) in enumerate(zip(_as_lines(x), _as_lines(x_hat))):
        for f in range(len(a)):
            where = dict(row=i // cols + 1, col=i % cols + 1)
            first = i == 0 and f == 0
            fig.add_trace(go.Scatter(y=a[f], mode="lines", name="input", legendgroup="input", showlegend=first,
                                     line=dict(color="#9a9a9a", width=2)), **where)
            fig.add_trace(go.Scatter(y=b[f], mode="lines", name="reconstruction", legendgroup="recon",
                                     showlegend=first, line=dict(color=PALETTE[0], width=1.5)), **where)
    fig.update_layout(height=220 * rows + 40, margin=MARGIN, legend=legend_below(-0.15))
    fig.update_xaxes(title_text=x_title, row=rows)
    return fig
