"""Inside the network: every layer of the autoencoder for the sample under the mouse, computed in the browser.

Session-state keys of this page: "inside_refresh" (the snapshot button).
"""
from __future__ import annotations

import numpy as np
import streamlit as st

from face.atlas.inside import network_ui
from face.caches import browser_network
from face.datasets import data_for_run
from face.session import page_setup
from face.widgets import intro_ui, model_banner, view_model_ui

INTRO = """Between what goes in and what comes out, an autoencoder is a stack of layers. Hover a sample on the left:
the browser runs it through the whole network and draws every layer, left to right: the input, each encoder layer
(feature maps for a convolution, units for a dense layer, hidden state over time for an LSTM), the code, each
decoder layer and the reconstruction. Red is a positive activation, blue a negative one, white zero; each layer is
scaled by its own largest value."""
GALLERY = 64


def gallery(data, n: int = GALLERY) -> tuple[np.ndarray, np.ndarray | None]:
    """n test samples spread evenly over the test split (with their labels)."""
    picks = np.linspace(0, len(data.x_test) - 1, min(n, len(data.x_test))).round().astype(int)
    labels = None if data.y_test is None else data.y_test[picks].numpy()
    return data.x_test[picks].numpy(), labels


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
    samples, labels = gallery(data)
    network_ui(network, samples, labels if run.model_config.conditional else None,
               value_range=run.data_info.value_range, key="inside_network")


page()
