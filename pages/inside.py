"""Inside the network: every layer of the autoencoder for the sample under the mouse, computed in the browser.

While the model trains, the view follows it (a new snapshot every LIVE_S seconds) and records the first layer's
weights at each, for a GIF (Workspace.filter_frames). Widget key: "inside_gif" (the GIF's download button).
"""
from __future__ import annotations

import streamlit as st
import torch

from aecore.views.units import FIRES, UnitViews, code_map, gallery
from face.atlas.inside import network_ui
from face.caches import browser_network, unit_views
from face.datasets import data_for_run
from face.session import page_setup
from face.unit_grid import first_layer_ui
from face.widgets import component_scale, intro_ui, model_banner
from face.workspace import ViewModel, Workspace

INTRO = """Between what goes in and what comes out, an autoencoder is a stack of layers. Hover a sample in the
gallery below the layers: the browser runs it through the whole network and draws every layer, left to right: the
input, each encoder layer (feature maps for a convolution, units for a dense layer, hidden state over time for an
LSTM), the code, each decoder layer and the reconstruction. Red is a positive activation, blue a negative one, white
zero; each layer is scaled by its own largest value. Hover a unit to see what it stands for: the first layer's units
their weights, the last decoder layer's what they paint, the others the 9 test samples that excite them most."""
GALLERY = 64
LIVE_S = 2.0   # seconds between the snapshots the view follows while the model trains


def page() -> None:
    ws = page_setup()
    model_banner()
    st.title("Inside the network")
    intro_ui(INTRO)
    run = ws.run
    if run is None:
        st.info("Train a model on the **Train** page (or load one on **Models**) to look inside it.")
        return
    data = data_for_run(run)
    if data is None:
        st.info(f"Load **{run.data_info.title}** in the sidebar: the gallery shows its test samples.")
        return
    if ws.training:
        st.fragment(run_every=LIVE_S)(_follow_training)(ws, data)
        return
    view = ws.view_model()
    if len(ws.filter_frames()):   # the view followed its training: the trained weights end the GIF
        ws.filter_frames().add(view.model, view.step)
    if draw(view, data, unit_views(view, data)):
        filters_gif_ui(ws)
        first_layer_ui(ws, view, data)


def _follow_training(ws: Workspace, data) -> None:
    """While the model trains: a new snapshot every LIVE_S, its layers drawn and its first-layer weights recorded."""
    if not ws.training:
        st.rerun()   # it finished: the whole page, with the units' top samples and the GIF
    ws.refresh_snapshot()
    view = ws.view_model()
    frames = ws.filter_frames()
    frames.add(view.model, view.step)
    st.info(f"Training is running: the view follows it, now at step {view.step:,}. "
            + (f"{len(frames)} frames of the first layer's weights recorded for a GIF." if len(frames) else ""))
    draw(view, data, None)


def draw(view: ViewModel, data, units: UnitViews | None) -> bool:
    """The network view of one model state (`units`: what its units stand for, None while following training)."""
    network = browser_network(view.fingerprint, view.model)
    if isinstance(network, str):
        st.warning(f"This model cannot be sent to the browser: {network}")
        return False
    cfg = view.model.config
    shown = gallery(data.x_test, data.y_test, cfg, GALLERY, tuple(data.value_range))
    told = shown.labels if cfg.conditional else None
    places = code_map(view.model, torch.as_tensor(shown.inputs), None if told is None else torch.as_tensor(told))
    network_ui(network, shown.inputs, told, targets=shown.targets, code_map=places, map_labels=shown.labels,
               units=units, fire=FIRES if cfg.sparsity != "none" else None,
               value_range=tuple(data.value_range), scale=component_scale(), key="inside_network")
    return True


def filters_gif_ui(ws: Workspace) -> None:
    """The first layer's weights at each step the view followed while the model trained, as a GIF."""
    frames = ws.filter_frames()
    if len(frames) < 2:
        return
    st.download_button(f"Download the first layer's weights while it trained as GIF ({len(frames)} frames)",
                       frames.gif(), file_name=f"first-layer-{ws.run.id}.gif", mime="image/gif", on_click="ignore",
                       icon=":material/download:", key="inside_gif")


page()
