"""Inside the network: every layer of the autoencoder for the sample under the mouse, computed in the browser.

Session-state keys of this page: "inside_refresh" (the snapshot button).
"""
from __future__ import annotations

import streamlit as st

from aecore.units import FIRES, gallery

from face.atlas.inside import network_ui
from face.caches import browser_network, unit_views
from face.datasets import data_for_run
from face.session import page_setup
from face.widgets import component_scale, intro_ui, model_banner, view_model_ui

INTRO = """Between what goes in and what comes out, an autoencoder is a stack of layers. Hover a sample in the
gallery below the layers: the browser runs it through the whole network and draws every layer, left to right: the
input, each encoder layer (feature maps for a convolution, units for a dense layer, hidden state over time for an
LSTM), the code, each decoder layer and the reconstruction. Red is a positive activation, blue a negative one, white
zero; each layer is scaled by its own largest value. Hover a unit to see what it stands for: the first layer's units
their weights, the last decoder layer's what they paint, the others the 9 test samples that excite them most."""
GALLERY = 64


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
    view = view_model_ui("you are looking inside", "inside_refresh")
    network = browser_network(view.fingerprint, view.model)
    if isinstance(network, str):
        st.warning(f"This model cannot be sent to the browser: {network}")
        return
    cfg = run.model_config
    shown = gallery(data.x_test, data.y_test, cfg, GALLERY, tuple(data.value_range))
    network_ui(network, shown.inputs, shown.labels if cfg.conditional else None, targets=shown.targets,
               units=unit_views(view, data), fire=FIRES if cfg.sparsity != "none" else None,
               value_range=run.data_info.value_range, scale=component_scale(), key="inside_network")


page()
