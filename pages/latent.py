"""Latent space: where every sample lands in the model's code space, what its points decode to, and how the space
formed while the model trained.

Session-state keys of this page: "latent_refresh" (the snapshot button); the atlas' (face.scatter, face.gallery),
the code sliders' (face.codes) and the time-lapse's (face.timelapse) are documented there.
"""
from __future__ import annotations

import streamlit as st

from aecore.views import explore
from face import caches
from face.atlas import points_drawn
from face.codes import code_panel_ui
from face.datasets import data_for_run, data_key
from face.export import export_ui
from face.gallery import picked_ui, take_pick
from face.scatter import ATLAS_KEY, atlas_draw_ui, method_ui, positions, split_ui, view_ui
from face.session import page_setup
from face.sidebar import hold_for_the_page
from face.timelapse import timelapse_ui
from face.widgets import intro_ui, model_banner, view_model_ui
from face.workspace import ViewModel

THUMBS_WAIT_S = 0.3   # how long many points wait for their hover pictures before they are drawn without them
INTRO = """An autoencoder squeezes every input into a short **code**, a few numbers, and rebuilds the input from
it. Each dot below is one sample placed by its code and coloured by its label: if similar samples land together,
the code has captured what makes them alike, though no one told the model the labels."""


@st.fragment
def atlas_panel_ui(model: ViewModel, data, trained_on: str, kl, whole_page: bool) -> None:
    """Which samples and which projection, the atlas, what is picked in it, and the code sliders: a new split, a
    click or a selection reruns only this (a whole-page rerun rebuilt the sidebar, the KL chart and the time-lapse,
    and the browser redrew them, before the atlas heard of the split). `whole_page`: the page's last run drew what
    follows the atlas; when the atlas first draws its points (its frame asks for the pictures), the page runs again
    to add it."""
    if not whole_page and points_drawn(ATLAS_KEY):
        st.rerun()
    points = caches.atlas_points(model, data)
    left, right = st.columns(2)
    with left:
        split = split_ui(data, trained_on)
    with right:
        method = method_ui(points.codes.shape[1])
    view = view_ui(model.fingerprint, data, points, method, split)
    decoder = caches.browser_decoder(model.fingerprint, model.model)
    few = len(view.points) <= caches.WAIT_FOR_PICTURES
    thumbs = caches.thumbs(data_key(data), view.split, data, None if few else THUMBS_WAIT_S)
    with st.container():   # always here, so the atlas below keeps its place in the page (and its frame)
        if thumbs is None and not caches.thumbs_task(data_key(data), view.split, data).done:
            pictures_wait_ui(data, view.split)   # the points go first; the pictures follow once packed
    pick = take_pick(view, atlas_draw_ui(view, data, decoder, thumbs))
    if not points_drawn(ATLAS_KEY):
        return   # the sliders' frame would compete with the atlas' first drawing
    picked = st.container()   # filled last: what it holds varies, and the sliders' frame must keep its place
    st.subheader("Decode any code")
    pin = pick["pin"]
    code_panel_ui(model.model, data, decoder, view.points.codes, kl,
                  None if pin is None else (int(positions(view, [pin])[0]), pin), model.fingerprint)
    with picked:
        picked_ui(model.model, data, view, pick)


@st.fragment(run_every=0.5)
def pictures_wait_ui(data, split: str) -> None:
    """While a split's hover pictures are packed (full MNIST's test split: seconds, once per server): its progress,
    then the page again, whose atlas sends them (its points stay: they are sent once per content hash)."""
    task = caches.thumbs_task(data_key(data), split, data)
    if task.done:
        st.rerun()
    st.caption("Packing the hover pictures of these points; they appear on hover once packed.")


def page() -> bool:
    """The page; False when what follows the atlas waits for its first drawing (the Export section too)."""
    ws = page_setup()
    model_banner()
    st.title("Latent space")
    intro_ui(INTRO)
    run = ws.run
    if run is None:
        st.info("Train a model on the **Train** page (or load one on **Models**) to see its latent space.")
        return True
    data = data_for_run(run)
    if data is None:
        st.warning(f"This model was trained on **{run.data_info.title}**, which is not loaded. Choose it in "
                   "the sidebar (or upload the same file) to see where its samples land.")
        return True
    view = view_model_ui("this view is", "latent_refresh")
    enc = caches.encoded(view, data)
    whole_page = points_drawn(ATLAS_KEY)
    atlas_panel_ui(view, data, run.data_info.title, enc.kl, whole_page)
    if not points_drawn(ATLAS_KEY):
        # A session's first view of the atlas: what follows it (the sliders' frame, the time-lapse, the KL chart
        # and its plotly code, the Export section below the page) would share the browser's one thread with the
        # atlas' first drawing, and so would the sidebar's widgets. They come once the points are on screen
        # (atlas_panel_ui runs the page again).
        hold_for_the_page()
        return False

    st.subheader("How the space formed")
    timelapse_ui(ws)

    if enc.kl is not None:
        st.subheader("Which code dimensions does the VAE use?")
        active = explore.active_count(enc.kl)
        st.caption(f"{active} of {len(enc.kl)} dimensions carry information (KL above {explore.ACTIVE_KL:g} nats). "
                   "A VAE pays for every nat a dimension carries, so dimensions it does not need collapse to the "
                   "prior (KL near 0) and the decoder ignores them.")
        st.plotly_chart(caches.kl_figure(enc.kl), key="latent_kl", width="stretch")
    return True


if page():
    export_ui()
