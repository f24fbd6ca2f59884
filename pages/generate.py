"""Generate: make new samples with a variational autoencoder by choosing codes yourself: sliders, random
draws from the prior, traversals, interpolations, and a grid over two code dimensions.

Session-state keys of this page: "gen_refresh" (the snapshot button), "gen_class" (cvae class); the panels'
(face.codes) are documented there.
"""
from __future__ import annotations

import streamlit as st

from aecore.models import MODELS
from aecore.views import explore
from face import caches
from face.codes import TOP_DIMS, interpolation_ui, manifold_ui, sliders_ui, traversal_ui
from face.datasets import data_for_run
from face.export import export_ui
from face.session import page_setup
from face.widgets import intro_ui, model_banner, view_model_ui

INTRO = """A variational autoencoder (VAE) learns codes that follow a simple bell curve, so *any* code drawn from
it should decode to something that looks like the data. Move the sliders to choose a code yourself and watch
the decoder turn it into a new sample that is in no dataset."""


def not_generative_ui(variant: str) -> None:
    family = ", ".join(f"**{v}**" for v in sorted(MODELS) if MODELS[v].generative)
    st.info(f"The current model, **{variant}**, is a plain autoencoder: it learnt to compress and rebuild its "
            "inputs, but nothing tells it which codes are *typical*. Its codes can sit anywhere, with gaps between "
            "them, and codes in the gaps may decode to nonsense, so there is no distribution to sample from. A "
            "variational autoencoder also learns to keep its codes close to a known distribution (the prior, "
            "N(0, 1)), so a draw from that decodes to something plausible.")
    st.markdown(f"To generate, train one of the VAE family on the **Train** page: {family}. "
                "You can still decode codes of your choosing with this model on **Latent space** "
                "(when its code has 1 or 2 numbers).")


def class_ui(label_names) -> int:
    """For a conditional VAE, the class to generate."""
    return st.columns([1, 2])[0].selectbox(
        "Class to generate", range(len(label_names)), key="gen_class", format_func=lambda c: label_names[c],
        help="A conditional VAE is told the label, so the code only has to hold the style.")


def page() -> None:
    ws = page_setup()
    model_banner()
    st.title("Generate")
    intro_ui(INTRO)
    run = ws.run
    if run is None:
        st.info("Train a VAE on the **Train** page (or load one on **Models**) to generate with it.")
        return
    if not run.model_config.variational:
        not_generative_ui(run.variant)
        return
    view = view_model_ui("you are decoding with", "gen_refresh")
    model, data, info = view.model, data_for_run(run), run.data_info
    kl = caches.encoded(view, data).kl if data is not None else None   # the cache Latent space fills
    ranked = explore.rank_dims(kl, model.config.latent_dim, TOP_DIMS)   # the most used first
    dims = sorted(ranked)   # listed z1, z2, ...: a class reads z2 above z1 as a mistake
    label = class_ui(info.label_names) if run.model_config.conditional else None

    st.subheader("Choose a code")
    decoder = caches.browser_decoder(view.fingerprint, model)   # decodes while you drag
    sliders_ui(model, dims, kl, label, info.kind, info.value_range, decoder, tuple(info.label_names))

    st.subheader("Traversals: one dimension at a time")
    st.caption("Each row moves one code dimension from −3σ to +3σ with the others at 0: what does it control?")
    traversal_ui(model, dims, kl, label, info.kind, info.value_range)

    st.subheader("Interpolation between two test samples")
    if data is None:
        st.info(f"Load **{info.title}** in the sidebar to pick test samples to interpolate between.")
    else:
        interpolation_ui(model, data, label)

    st.subheader("The learnt manifold: a grid over two dimensions")
    if info.kind != "image":
        st.caption("The manifold grid is for image data: a grid of line plots would be unreadable.")
    elif model.config.latent_dim < 2:
        st.caption("The manifold grid needs a code of at least 2 dimensions; this one has 1.")
    else:
        manifold_ui(model, ranked, kl, label, info.value_range, view.fingerprint)   # across, up: the two most used


page()
export_ui()
