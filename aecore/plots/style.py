"""What every figure shares: the colours, the margins, the legends and the grid of small panels.

Kept in one place so the pages look alike, and a colour means the same thing on every chart.
"""
from __future__ import annotations

import plotly.graph_objects as go
from plotly.colors import qualitative
from plotly.subplots import make_subplots

PALETTE = qualitative.Plotly + qualitative.D3   # 20 distinct colours, enough for every built-in dataset
COLORS = {"loss": "#1f77b4", "recon": "#2ca02c", "kl": "#d62728", "pretrain": "#7f7f7f"}   # loss parts
REFERENCE = "#888"     # thresholds and baselines drawn as reference lines
MARGIN = dict(l=10, r=10, t=30, b=10)   # plotly's default margins waste a fifth of a small chart
LEGEND_ABOVE = dict(orientation="h", yanchor="bottom", y=1.0, x=0)
PANEL_COLS = 4         # small multiples per row: four stay readable in a half-width column


def color(i: int) -> str:
    """The i-th colour of the palette, wrapping round."""
    return PALETTE[i % len(PALETTE)]


def legend_below(y: float) -> dict:
    """A horizontal legend under the plot, `y` (negative, in plot heights) clearing the axis title."""
    return dict(orientation="h", y=y)


def panel_grid(n: int, titles: list[str]) -> tuple[go.Figure, int, int]:
    """An empty grid for n small panels sharing the y axis: (figure, columns, rows)."""
    cols = min(n, PANEL_COLS)
    rows = -(-n // cols)
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=titles, shared_yaxes=True,
                        horizontal_spacing=0.04, vertical_spacing=0.12 if rows > 1 else 0.0)
    return fig, cols, rows
