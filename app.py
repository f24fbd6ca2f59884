"""Latent Lab: see how autoencoders work, on real data, in the browser.

`streamlit run app.py`. This file is the frame: the page list and the shared sidebar (dataset, variant,
bottleneck, advanced training settings). Pages read the sidebar through `ui.settings_from_state`.

Widget keys set here (session state): dataset, variant, latent_dim, epochs, batch_size, lr, loss, beta,
noise, noise_level, sparsity_weight, seed (their allowed values: aecore.share.SETTINGS), and lesson, presenter
(lecture mode). The URL's query string mirrors the settings (ui.read_link / ui.write_link), so the address bar
is always a link to the same setup. Cross-page keys are documented in ui.py.
"""
from __future__ import annotations

import hashlib
from dataclasses import replace

import streamlit as st

import ui
from aecore import share
from aecore.config import LOSSES
from aecore.data import DATASETS, DataError, load_file
from aecore.models import MODELS

st.set_page_config(page_title="Latent Lab", page_icon=":material/explore:", layout="wide")

PAGES = [
    st.Page("pages/train.py", title="Train", icon=":material/model_training:", default=True),
    st.Page("pages/latent.py", title="Latent space", icon=":material/scatter_plot:"),
    st.Page("pages/generate.py", title="Generate", icon=":material/casino:"),
    st.Page("pages/models.py", title="Models", icon=":material/save:"),
    st.Page("pages/denoise.py", title="Denoising", icon=":material/auto_fix_high:"),
    st.Page("pages/anomaly.py", title="Anomaly detection", icon=":material/crisis_alert:"),
    st.Page("pages/compression.py", title="Compression", icon=":material/compress:"),
    st.Page("pages/features.py", title="Features", icon=":material/label:"),
    st.Page("pages/imputation.py", title="Imputation", icon=":material/healing:"),
    st.Page("pages/sequences.py", title="Sequences", icon=":material/show_chart:"),
]


def upload_ui() -> None:
    """A file of the user's own: validated by aecore, with the reason shown when it is refused."""
    file = st.sidebar.file_uploader(
        "Your data file", type=["npy", "npz", "csv", "zip", "gz", "idx", "ubyte"], key="upload_file",
        help="A .npy/.npz array, a .csv table (a 'label' column is used for colours), IDX files, or a .zip of PNG/JPEG images.")
    if file is None:
        return
    if st.session_state.get("upload_id") != file.file_id:   # parse each upload once, not on every rerun
        st.session_state.upload_id = file.file_id
        try:
            blob = file.getvalue()
            data = load_file(blob, file.name)
            # Pages key shared caches by (name, source, sizes): tell apart two files of the same name and size.
            digest = hashlib.blake2b(blob, digest_size=8).hexdigest()
            st.session_state.upload_data = replace(data, source=f"{data.source}#{digest}")
            st.session_state.upload_error = None
        except DataError as err:
            st.session_state.upload_data, st.session_state.upload_error = None, str(err)
    if st.session_state.get("upload_error"):
        st.sidebar.error(st.session_state.upload_error)
    elif st.session_state.get("upload_data") is not None:
        d = st.session_state.upload_data
        st.sidebar.success(f"{d.title}: {len(d.x_train)} train / {len(d.x_test)} test samples of shape {d.shape}")


def sidebar_ui() -> None:
    """The settings every page shares. Values live in session state under the widget keys."""
    sb, default = st.sidebar, share.defaults()   # one source of defaults: the link leaves them out
    sb.title("Latent Lab")
    ui.lesson_ui()
    ui.presenter_ui()
    job = st.session_state.get("job")
    if job is not None and job.active and page.title != "Train":   # Train shows (and polls) it every second
        with sb:
            ui.training_status_ui()
    choices = [*sorted(DATASETS), ui.UPLOAD]
    sb.selectbox("Dataset", choices, key="dataset", index=choices.index(default["dataset"]),
                 format_func=lambda n: "Upload your own…" if n == ui.UPLOAD else DATASETS[n].title,
                 help="The data the autoencoder learns to compress. MNIST falls back to 5,000 bundled digits offline.")
    if st.session_state.get("dataset") == ui.UPLOAD:
        upload_ui()
    data = ui.current_data()
    kind = data.kind if data is not None else "image"
    variants = [v for v in sorted(MODELS) if kind in MODELS[v].kinds]
    if st.session_state.get("variant") not in variants:
        st.session_state.variant = "vae" if "vae" in variants else variants[0]
    sb.selectbox("Variant", variants, key="variant", help="Which autoencoder: hover each for what it teaches.",
                 format_func=lambda v: v)
    sb.caption(MODELS[st.session_state.variant].summary)
    sb.number_input("Bottleneck size", 1, 256, default["latent_dim"], key="latent_dim",
                    help="How many numbers the code has. 2 can be plotted directly; more reconstructs better.")
    with sb.container(key="sidebar_advanced"), st.expander("Advanced"):   # presenter view hides the container
        st.number_input("Epochs", 1, 200, default["epochs"], key="epochs", help="Passes over the training set.")
        st.select_slider("Batch size", share.BATCH_SIZES, default["batch_size"], key="batch_size",
                         help="Samples per step. Larger is faster per sample, smaller updates more often.")
        st.select_slider("Learning rate", share.LEARNING_RATES, default["lr"], key="lr",
                         format_func=lambda v: f"{v:g}", help="Adam's step size. 1e-3 is a safe default; 10 diverges.")
        st.selectbox("Loss", LOSSES, key="loss",
                     help="auto: binary cross-entropy for data in [0, 1] (nats per sample), squared error otherwise.")
        st.slider("β (KL weight)", 0.0, 10.0, default["beta"], 0.1, key="beta",
                  help="VAEs only. β > 1 trades reconstruction for a smoother, more disentangled code.")
        st.selectbox("Input noise", share.NOISE_CHOICES, key="noise",
                     help="Corrupt inputs during training (a denoising autoencoder). 'default' keeps the variant's own.")
        st.slider("Noise level", 0.0, 1.0, default["noise_level"], 0.05, key="noise_level",
                  help="Gaussian: the noise's standard deviation. Masking, salt-and-pepper: the fraction of pixels hit.")
        st.number_input("Sparsity weight", 0.0, 10.0, default["sparsity_weight"], 0.01, key="sparsity_weight", format="%.3f",
                        help="Sparse variant only: how hard the L1 penalty pushes code units to zero.")
        st.number_input("Seed", 0, 2**31 - 1, default["seed"], key="seed", help="Same seed, same settings: the same model.")
    ui.share_link_ui(ui.write_link())


# st.navigation before any widget: in a session's first run, widgets created before it get element IDs from
# the entrypoint's script hash, later runs from the page's, so the sidebar's settings silently reset to their
# defaults on the first interaction (seen in the browser tests: "vae", 1 epoch became "beta-vae", 2 epochs).
page = st.navigation(PAGES)
ui.read_link()          # once per session, before the widgets: a shared link's lesson and settings
sidebar_ui()
ui.lesson_page_ui()     # a lesson just applied opens its page (a rerun)
ui.offer_demo(page.url_path)
ui.lesson_card_ui()
page.run()
if page.title in ("Train", "Latent space", "Generate"):
    ui.export_ui()      # codes, loss history and image grids of the current model, below the pages that show it
