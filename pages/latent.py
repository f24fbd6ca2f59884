"""Latent space: where the test set lands in the model's code space, and what its points decode to.

Session-state keys of this page: "latent_refresh" (the snapshot button); the scatter's (face.scatter) and the code
sliders' (face.codes) are documented there.
"""
from __future__ import annotations

import streamlit as st

from aecore import explore, plots
from face import caches
from face.codes import code_ui
from face.datasets import data_for_run
from face.scatter import method_ui, scatter_ui, selection_ui
from face.session import page_setup
from face.widgets import model_banner, view_model_ui

INTRO = """An autoencoder squeezes every input into a short **code**, a few numbers, and rebuilds the input from
it. Each dot below is one test sample placed by its code and coloured by its label: if similar samples land
together, the code has captured what makes them alike, though no one told the model the labels."""


def page() -> None:
    ws = page_setup()
    model_banner()
    st.title("Latent space")
    st.markdown(INTRO)
    run = ws.run
    if run is None:
        st.info("Train a model on the **Train** page (or load one on **Models**) to see its latent space.")
        return
    data = data_for_run(run)
    if data is None:
        st.warning(f"This model was trained on **{run.data_info.title}**, which is not loaded. Choose it in "
                   "the sidebar (or upload the same file) to see where its test samples land.")
        return
    view = view_model_ui("this view is", "latent_refresh")
    enc = caches.encoded(run.id, view, data)
    key = caches.model_key(run.id, view)

    method = method_ui(key, enc.codes.shape[1])
    if method is not None:
        selection_ui(view.model, data, scatter_ui(key, data, enc.codes, method), enc.codes)

    if enc.codes.shape[1] <= 2:
        st.subheader("Decode any code")
        st.caption("The code has so few numbers that you can choose them yourself: move the sliders and watch "
                   "what the decoder makes of that spot (also the empty ones between the clusters).")
        code_ui(view.model, data, explore.covering_ranges(view.model, enc.codes), key[2])

    if enc.kl is not None:
        st.subheader("Which code dimensions does the VAE use?")
        active = explore.active_count(enc.kl)
        st.caption(f"{active} of {len(enc.kl)} dimensions carry information (KL above {explore.ACTIVE_KL:g} nats). "
                   "A VAE pays for every nat a dimension carries, so dimensions it does not need collapse to the "
                   "prior (KL near 0) and the decoder ignores them.")
        st.plotly_chart(plots.kl_bar(enc.kl, explore.ACTIVE_KL), key="latent_kl", width="stretch")


page()
