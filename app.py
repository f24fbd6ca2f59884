"""Latent Lab: see how autoencoders work, on real data, in the browser.

`streamlit run app.py`. This file is the frame: the page list, the shared sidebar (face.sidebar), and lecture mode
around the page (face.lecture); Train, Latent space and Generate end with the Export section (face.export). A
session's state is one face.workspace.Workspace (face.session.workspace()); the sidebar's widget keys are
aecore.lecture.share.SETTINGS, plus "lesson", "presenter" and "share_model" (face.follow: a model shared with the
class).
"""
from __future__ import annotations

import streamlit as st

from face import follow, lecture, memory, persist, reattach, sidebar, warmup

st.set_page_config(page_title="Latent Lab", page_icon=":material/explore:", layout="wide")

PAGES = [
    st.Page("pages/train.py", title="Train", icon=":material/model_training:", default=True),
    st.Page("pages/latent.py", title="Latent space", icon=":material/scatter_plot:"),
    st.Page("pages/generate.py", title="Generate", icon=":material/casino:"),
    st.Page("pages/inside.py", title="Inside the network", icon=":material/hub:"),
    st.Page("pages/models.py", title="Models", icon=":material/save:"),
    st.Page("pages/denoise.py", title="Denoising", icon=":material/auto_fix_high:"),
    st.Page("pages/anomaly.py", title="Anomaly detection", icon=":material/crisis_alert:"),
    st.Page("pages/compression.py", title="Compression", icon=":material/compress:"),
    st.Page("pages/features.py", title="Features", icon=":material/label:"),
    st.Page("pages/imputation.py", title="Imputation", icon=":material/healing:"),
    st.Page("pages/sequences.py", title="Sequences", icon=":material/show_chart:"),
]

# st.navigation before any widget: in a session's first run, widgets created before it get element IDs from
# the entrypoint's script hash, later runs from the page's, so the sidebar's settings silently reset to their
# defaults on the first interaction (seen in the browser tests: "vae", 1 epoch became "beta-vae", 2 epochs).
page = st.navigation(PAGES)
warmup.start()               # once per server, in the background: torch's first optimizer, the demo's atlas
memory.watch()               # once per server: the memory of sessions that left goes back to the system
persist.restore()            # once per session: this browser's model and settings, kept across a reload
lecture.read_link()          # once per session, before the widgets: a shared link's lesson and settings
sidebar.settings_state()     # what the sidebar decides that the page reads: an upload, a variant the data has
lecture.lesson_page_ui()     # a lesson just applied opens its page (a rerun)
lecture.offer_demo(page.url_path)
follow.follow_banner_ui()    # a student following the lecturer's model: read-only, with Fork
reattach.interrupted_ui(page.title)   # the server restarted mid-training: what was lost, Resume
lecture.lesson_card_ui()
try:
    page.run()
finally:                     # also when the page reruns itself or fails
    # The sidebar's widgets after the page: its main content is sent first, before the browser asks this server for
    # the widgets' code (Latent space's first atlas holds them back a run: face.sidebar.hold_for_the_page)
    sidebar.after_the_page_ui(page.title)
    warmup.after_first_page()   # once per server, its first page drawn: umap's import and kernels, in the background
    persist.save()              # last: it draws the cookie's script
