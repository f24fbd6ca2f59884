"""What a person picks in the Latent space atlas: a pinned point (its input, its reconstruction, its code) and a box
or lasso selection (the count, the label mix, and a gallery of inputs over their reconstructions).

The Workspace keeps it (`latent.pick`: {"view": the atlas view's key, "pin": a drawn row or None, "selection": rows}):
a new view (another model state, split or projection) starts with nothing picked, as the component does.
"""
from __future__ import annotations

import numpy as np
import streamlit as st
import torch

from aecore import plots
from aecore.data import Dataset
from aecore.infer import reconstruct
from aecore.models import Autoencoder
from aecore.views import explore
from aecore.views.atlas import rows_at

from .scatter import AtlasView, positions
from .session import workspace
from .widgets import show_images

MAX_SHOWN = 32      # selected images shown with their reconstructions (two rows of 16)
MAX_LINES = 8       # selected sequences shown, one small plot each
MIX_TOP = 5         # labels named in a selection's mix; the rest are "other"


def take_pick(view: AtlasView, event: dict | None) -> dict:
    """This view's pin and selection, updated with the component's newest event."""
    panel = workspace().latent
    pick = panel.pick
    if not pick or pick["view"] != view.key:
        pick = panel.pick = {"view": view.key, "pin": None, "selection": []}
    if event and "clicked" in event:
        pick["pin"] = int(event["clicked"])
    elif event and "selected" in event:
        pick["selection"] = [int(i) for i in event["selected"]]
    return pick


def samples_at(data: Dataset, pos: np.ndarray) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Inputs and labels at train-then-test positions (ascending)."""
    order = np.argsort(pos, kind="stable")
    x = torch.cat(list(rows_at(data.x_train, data.x_test, pos[order])))
    y = None if data.y_train is None else torch.cat(list(rows_at(data.y_train, data.y_test, pos[order])))
    back = torch.as_tensor(np.argsort(order))
    return x[back], None if y is None else y[back]


def sample_name(data: Dataset, position: int) -> str:
    n_train = len(data.x_train)
    return f"Training sample #{position}" if position < n_train else f"Test sample #{position - n_train}"


def label_mix(labels: np.ndarray | None, names: tuple[str, ...]) -> str:
    """'7: 181 (58%) · 9: 94 (30%) · …' for the labels of a selection, most common first."""
    if labels is None or not len(labels):
        return ""
    counts = np.bincount(labels)
    top = [c for c in np.argsort(-counts, kind="stable") if counts[c]][:MIX_TOP]
    parts = [f"{names[c] if c < len(names) else c}: {counts[c]:,} ({counts[c] / len(labels):.0%})" for c in top]
    rest = len(labels) - counts[top].sum()
    return " · ".join(parts + ([f"other: {rest:,}"] if rest else []))


def pinned_ui(model: Autoencoder, data: Dataset, view: AtlasView, row: int) -> None:
    """The pinned point: which sample, its label and code, its input beside its reconstruction."""
    pos = positions(view, [row])
    x, y = samples_at(data, pos)
    code = view.points.codes[row]
    label = f" · label **{data.label_names[int(y[0])]}**" if y is not None and data.label_names else ""
    text = ", ".join(f"{v:.2f}" for v in code[:8]) + (" …" if len(code) > 8 else "")
    st.markdown(f"Pinned: **{sample_name(data, int(pos[0]))}**{label} · code ({text})")
    x_hat = reconstruct(model, x, y)
    if data.kind != "image":
        st.plotly_chart(plots.recon_lines(x.numpy(), x_hat.numpy(), ["pinned"], plots.x_title(data.kind)),
                        width="stretch", key="latent_pin_plot")
        return
    cols = st.columns([1, 1, 3])
    with cols[0]:
        show_images(x, data.value_range, caption="input", scale=6)
    with cols[1]:
        show_images(x_hat, data.value_range, caption="reconstruction", scale=6)


def gallery_ui(model: Autoencoder, data: Dataset, view: AtlasView, rows: list[int]) -> None:
    """A selection: how many, which labels, and some of its inputs (spread over it) above their reconstructions."""
    labels = view.points.labels
    mix = label_mix(None if labels is None else labels[rows], tuple(data.label_names))
    shown = explore.spread(rows, MAX_SHOWN if data.kind == "image" else MAX_LINES)
    ncols = min(len(shown), 16)
    if data.kind == "image":
        shown = shown[:len(shown) // ncols * ncols]   # whole rows, so each input sits above its reconstruction
    more = f" (showing {len(shown)}, spread over the selection)" if len(shown) < len(rows) else ""
    st.markdown(f"**{len(rows):,} selected**{more}" + (f" · {mix}" if mix else ""))
    x, y = samples_at(data, positions(view, shown))
    x_hat = reconstruct(model, x, y)
    if data.kind != "image":
        names = [sample_name(data, int(p)).split(" ", 1)[1] for p in positions(view, shown)]
        st.plotly_chart(plots.recon_lines(x.numpy(), x_hat.numpy(), names, plots.x_title(data.kind)),
                        width="stretch", key="latent_gallery_plot")
        return
    show_images(explore.paired_rows(x, x_hat, ncols), data.value_range, ncols=ncols, scale=3,
                caption="rows in pairs: inputs, then their reconstruction below")


def picked_ui(model: Autoencoder, data: Dataset, view: AtlasView, pick: dict) -> None:
    """The pinned point and the selection, or how to make them."""
    if pick["pin"] is not None:
        pinned_ui(model, data, view, pick["pin"])
    if pick["selection"]:
        gallery_ui(model, data, view, pick["selection"])
    if pick["pin"] is None and not pick["selection"]:
        st.caption("Click a point to pin it (its input, reconstruction and code appear here, and the sliders below "
                   "start from its code), or drag a box or lasso to compare many.")
