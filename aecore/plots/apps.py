"""Figures for the application pages: plain rows or arrays in, a go.Figure out (no st.*)."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from .style import LEGEND_ABOVE, MARGIN, PALETTE, REFERENCE, color


def _lines(rows: list[dict], x: str, y: str, by: str, x_title: str, y_title: str, log_x: bool = False,
           dashed: tuple[str, ...] = ()) -> go.Figure:
    """One line with markers per value of `by`; names in `dashed` (the baselines) are drawn dashed."""
    fig = go.Figure()
    for i, name in enumerate(dict.fromkeys(r[by] for r in rows)):
        pts = [r for r in rows if r[by] == name]
        fig.add_trace(go.Scatter(x=[r[x] for r in pts], y=[r[y] for r in pts], mode="lines+markers", name=str(name),
                                 line=dict(color=color(i), dash="dash" if name in dashed else "solid")))
    fig.update_layout(height=360, margin=MARGIN, xaxis_title=x_title, yaxis_title=y_title, legend=LEGEND_ABOVE)
    if log_x:
        fig.update_xaxes(type="log")
    return fig


def psnr_curve(rows: list[dict], noise: str) -> go.Figure:
    """PSNR against noise level, one line per method (baselines dashed)."""
    level = "noise σ" if noise == "gaussian" else "fraction of values hit"
    baselines = tuple(r["method"] for r in rows if "AE" not in r["method"])
    return _lines(rows, "level", "psnr", "method", level, "PSNR (dB, higher is better)", dashed=baselines)


def score_histogram(scores: np.ndarray, y: np.ndarray, label_names: tuple[str, ...], threshold: float,
                    score_name: str) -> go.Figure:
    """Overlaid histograms of the anomaly score, one per true class, with the threshold as a vertical line."""
    fig = go.Figure()
    edges = np.histogram_bin_edges(scores, bins=60)
    for i, c in enumerate(np.unique(y)):
        name = label_names[c] if c < len(label_names) else str(c)
        fig.add_trace(go.Histogram(x=scores[y == c], name=name, opacity=0.6, marker_color=color(i),
                                   xbins=dict(start=edges[0], end=edges[-1], size=edges[1] - edges[0])))
    fig.add_vline(x=threshold, line=dict(color="black", dash="dash"), annotation_text="threshold")
    fig.update_layout(barmode="overlay", height=340, margin=MARGIN, xaxis_title=score_name, yaxis_title="test samples")
    return fig


def roc(curves: dict[str, tuple[np.ndarray, np.ndarray]], aucs: dict[str, float],
        point: tuple[float, float] | None = None) -> go.Figure:
    """ROC curves (one per method, AUC in the legend), the chance diagonal, and the current threshold's point."""
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="chance (0.5)",
                             line=dict(color="#bbb", dash="dot")))
    for i, (name, (fpr, tpr)) in enumerate(curves.items()):
        fig.add_trace(go.Scatter(x=fpr, y=tpr, mode="lines", name=f"{name} ({aucs[name]:.3f})",
                                 line=dict(color=color(i), dash="solid" if i == 0 else "dash")))
    if point is not None:
        fig.add_trace(go.Scatter(x=[point[0]], y=[point[1]], mode="markers", name="threshold",
                                 marker=dict(color="black", size=10, symbol="x")))
    fig.update_layout(height=360, margin=MARGIN, xaxis_title="false positive rate (normal samples flagged)",
                      yaxis_title="true positive rate (anomalies caught)",
                      # inside, bottom right: ROC curves leave that corner empty, and a legend below the plot ran
                      # into the axis title once presenter view enlarged its text
                      legend=dict(x=0.98, y=0.02, xanchor="right", yanchor="bottom", bgcolor="rgba(255,255,255,0.8)"))
    return fig


def sweep(rows: list[dict]) -> go.Figure:
    """Test reconstruction error against bottleneck size, autoencoder and PCA on the same axes."""
    fig = _lines(rows, "size", "mse", "method", "bottleneck size (numbers per sample)",
                 "test MSE per value (lower is better)", log_x=True, dashed=("PCA",))
    fig.update_xaxes(tickvals=sorted({r["size"] for r in rows}))
    return fig


def rate_distortion(rows: list[dict]) -> go.Figure:
    """PSNR against bytes per sample for every code format and JPEG quality. The code formats of two methods sit
    at the same bytes, so their labels point away from each other (the higher line's up, the lower's down); JPEG's
    alternate above and below, and read "q50" rather than "quality 50"."""
    fig = go.Figure()
    methods = list(dict.fromkeys(r["method"] for r in rows))
    sides = label_sides(rows, [m for m in methods if m != "JPEG"])
    for i, method in enumerate(methods):
        pts = sorted((r for r in rows if r["method"] == method), key=lambda r: r["bytes"])
        jpeg = method == "JPEG"
        fig.add_trace(go.Scatter(x=[r["bytes"] for r in pts], y=[r["psnr"] for r in pts], mode="lines+markers+text",
                                 name=method, text=[r["format"].replace("quality ", "q") for r in pts],
                                 cliponaxis=False,
                                 textposition=[("top center", "bottom center")[j % 2] for j in range(len(pts))]
                                 if jpeg else sides[method],
                                 line=dict(color=color(i), dash="dash" if jpeg else "solid")))
    fig.update_layout(height=420, margin=dict(MARGIN, r=40), xaxis_title="bytes per sample (log scale)",
                      yaxis_title="PSNR (dB, higher is better)", legend=LEGEND_ABOVE)
    fig.update_xaxes(type="log", tickvals=log_ticks([r["bytes"] for r in rows]))
    return fig


def label_sides(rows: list[dict], methods: list[str]) -> dict[str, str]:
    """Where each code method's labels go: above the best line, below the worst, right of any between."""
    mean = {m: float(np.mean([r["psnr"] for r in rows if r["method"] == m])) for m in methods}
    ranked = sorted(methods, key=lambda m: -mean[m])
    sides = {m: "middle right" for m in ranked}
    if ranked:
        sides[ranked[-1]] = "bottom center"
        sides[ranked[0]] = "top center"
    return sides


def log_ticks(values: list[float]) -> list[float]:
    """1-2-5 ticks covering `values`, for a log axis: plotly's own label the minor ticks between decades
    too ("2 3 4 ... 10 2 3"), which reads as noise."""
    lo, hi = min(values), max(values)
    ticks = [m * 10 ** e for e in range(int(np.floor(np.log10(lo))), int(np.ceil(np.log10(hi))) + 1) for m in (1, 2, 5)]
    inside = [t for t in ticks if lo / 1.5 <= t <= hi * 1.5]
    return inside or [lo, hi]


def accuracy(rows: list[dict], classifier: str) -> go.Figure:
    """Test accuracy against the number of labels, one line per feature set, for one classifier."""
    picked = [r for r in rows if r["classifier"] == classifier]
    fig = _lines(picked, "labels", "accuracy", "features", "labelled training samples (log scale)",
                 f"test accuracy, {classifier}", log_x=True,
                 dashed=tuple(r["features"] for r in picked if not r["features"].startswith("autoencoder")))
    fig.update_xaxes(tickvals=sorted({r["labels"] for r in picked}))
    fig.update_yaxes(range=[0, 1])
    return fig


def impute_curve(rows: list[dict], chosen: int | None = None) -> go.Figure:
    """Error on the hidden values after each fill iteration; iteration 0 is the mean fill. The lowest round and
    the `chosen` one (the page's Iterations) are marked, so where more rounds stop helping is plain."""
    its, errs = [r["iteration"] for r in rows], [r["hidden_mse"] for r in rows]
    fig = go.Figure(go.Scatter(x=its, y=errs, mode="lines+markers", name="autoencoder", line=dict(color=PALETTE[0])))
    fig.add_hline(y=errs[0], line=dict(color=REFERENCE, dash="dash"), annotation_text="mean fill")
    best = min(range(1, len(rows)), key=errs.__getitem__, default=0)
    fig.add_annotation(x=its[best], y=errs[best], text=f"lowest: {errs[best]:.4f} after {its[best]}",
                       showarrow=True, arrowhead=2, ay=-40)
    if chosen is not None and chosen != its[best] and chosen < len(rows):
        fig.add_annotation(x=its[chosen], y=errs[chosen], text=f"shown: {errs[chosen]:.4f}", showarrow=True, ay=40)
    fig.update_layout(height=300, margin=MARGIN, xaxis_title="iteration (0 = mean fill)",
                      yaxis_title="MSE on hidden values", showlegend=False)
    fig.update_xaxes(dtick=1)
    return fig
