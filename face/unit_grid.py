"""Inside the network's grid of the first layer's weights, and a model's grid kept beside the next one's, so a class
sees two models' units side by side (the "What the hidden units learn" lesson: a sparse and a plain network)."""
from __future__ import annotations

import streamlit as st

from aecore.views.units import FirstLayer

from .caches import first_layer_grid
from .parts import KeptGrid
from .widgets import image_scale
from .workspace import ViewModel, Workspace


def describe(layer: FirstLayer) -> str:
    """What the grid shows, with the counts a lecturer reads out."""
    if layer.firing is None:
        return f"All {layer.units} units of {layer.layer}, in order; their activation has no off state."
    used = layer.units - layer.unused
    text = (f"All {layer.units} units of {layer.layer}, ordered by how often they fire: {used} fire for at least one "
            f"of {layer.samples:,} test samples, each for {layer.mean_rate:.0%} of them on average.")
    if layer.unused:
        text += (f" The {layer.unused} that fire for none are faint, last: no gradient reaches their weights, which "
                 "keep their random start.")
    return text


def first_layer_ui(ws: Workspace, view: ViewModel, data) -> None:
    """The current model's first-layer grid, beside the one kept from an earlier model (if any)."""
    found = first_layer_grid(view, data, image_scale(1))
    if found is None:
        return
    layer, png = found
    run = ws.run
    title = f"{run.variant} · bottleneck {run.model_config.latent_dim} · {run.epoch} epochs"
    now = KeptGrid(png, title, describe(layer), view.fingerprint)
    st.subheader("The first layer, unit by unit")
    st.caption("Each square is one unit's weights on the input pixels: light where a pixel raises the unit's value, "
               "dark where it lowers it, mid grey 0; each unit is scaled by its own largest weight.")
    kept = ws.inside.kept if ws.inside.kept is not None and ws.inside.kept.fingerprint != view.fingerprint else None
    columns = st.columns(2) if kept else [st.container()]
    for column, grid, label in zip(columns, [kept, now] if kept else [now], ["Kept", "Now"] if kept else ["Now"]):
        with column:
            st.markdown(f"**{label}: {grid.title}**")
            st.image(grid.png)
            st.caption(grid.caption)
    left, right = st.columns([1, 1] if kept else [1, 2])
    if left.button("Keep beside the next model", key="inside_keep", icon=":material/push_pin:",
                   help="Train another model (say, the same without its penalty): this grid stays beside its grid"):
        ws.inside.kept = now
        st.rerun()
    if ws.inside.kept is not None and right.button("Drop the kept grid", key="inside_unkeep",
                                                   icon=":material/close:"):
        ws.inside.kept = None
        st.rerun()
    if ws.inside.kept is not None and kept is None:
        st.caption("Kept: this model's grid. Train another model and come back: the two show side by side.")
