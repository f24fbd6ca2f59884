"""The settings every page shares (dataset, variant, bottleneck, advanced training settings), the user's upload,
and the line that shows this session's training on every page. Values live under the widget keys listed in
aecore.lecture.share.SETTINGS (and face.session.WIDGETS)."""
from __future__ import annotations

import re
from pathlib import Path

import streamlit as st

from aecore.config import LOSSES
from aecore.data import DATASETS, DataError, load_file
from aecore.lecture import share
from aecore.models import MODELS, variant_config

from . import follow, lecture, persist
from .datasets import UPLOAD, current_data, with_digest
from .paths import scrub
from .session import widgets, workspace

LOGO = Path(__file__).resolve().parent.parent / "assets" / "logo.svg"
# Less air above the settings and between the 11 page links (28 -> 24 px each), so that Bottleneck size and
# Advanced stand above a 1440x900 screen's fold. A dropdown's list is as wide as its longest option (the variants'
# "name — what it teaches" lines), over the page, instead of cut to the sidebar's width.
SIDEBAR_CSS = ('<style>[data-testid="stSidebarUserContent"] { padding-top: 0.25rem; }'
               '[data-testid="stSidebarNavLink"] { height: 1.5rem; line-height: 1.5rem; }'
               '[data-testid="stSelectboxVirtualDropdown"] { width: max-content !important;'
               ' min-width: var(--trigger-width); max-width: calc(100vw - 4rem); }</style>')
KEEP = "session"   # a setting's value survives any page change (st.switch_page drops widget values otherwise)
STATUS_EVERY_S = 5.0   # the sidebar's training line: also the heartbeat poll of jobs on pages that do not show them


def read_upload() -> None:
    """A new file in the uploader, validated by aecore (the reason kept when it is refused): before the page, which
    uses it in the same run (the uploader itself is drawn after the page, with the rest of the sidebar)."""
    file = widgets.get("upload_file")
    upload = workspace().upload
    if file is None or upload.file_id == file.file_id:   # parse each upload once, not on every rerun
        return
    upload.file_id = file.file_id
    upload.name, upload.kept = file.name, False
    try:
        blob = file.getvalue()
        upload.data, upload.error = with_digest(load_file(blob, file.name), blob), None
        persist.keep_upload(file.name, blob)   # a restarted server brings it back
    except DataError as err:
        upload.data, upload.error = None, str(err)


def upload_ui() -> None:
    """The file uploader, and what became of the file read_upload read."""
    file = st.sidebar.file_uploader(
        "Your data file", type=["npy", "npz", "csv", "zip", "gz", "idx", "ubyte"], key="upload_file",
        help="A .npy/.npz array, a .csv table (a 'label' column is used for colours), IDX files, "
             "or a .zip of PNG/JPEG images.")
    upload = workspace().upload
    if file is None:
        if upload.kept and upload.data is not None:
            st.sidebar.caption(f"Using your file **{upload.name}**, kept on the server from before; upload another "
                               "to replace it.")
        return
    if upload.error:
        st.sidebar.error(scrub(upload.error, keep=(upload.name or "",)))
    elif upload.data is not None:
        d = upload.data
        st.sidebar.success(f"{d.title}: {len(d.x_train)} train / {len(d.x_test)} test samples of shape {d.shape}")


def settings_state() -> None:
    """Before the page: what the sidebar's settings decide that a page reads in the same run, though the widgets
    are drawn after it (app.py): a new upload read, and a variant the chosen data has (a sequence dataset has no
    convolutional one)."""
    read_upload()
    variants = variants_for(current_data(show=False))
    if widgets.get("variant") not in variants:
        widgets["variant"] = "vae" if "vae" in variants else variants[0]


def variants_for(data) -> list[str]:
    kind = data.kind if data is not None else "image"
    return [v for v in sorted(MODELS) if kind in MODELS[v].kinds]


def variant_label(name: str) -> str:
    """"vae — A variational autoencoder: the code is a distribution, ...": the registry's summary, without its
    citation (the caption under the box keeps that)."""
    summary = re.sub(r"\s*\([^()]*\d{4}\)", "", MODELS[name].summary).rstrip(". ")
    return f"{name} — {summary}"


def model_settings_ui(default: dict) -> None:
    """Dataset, variant and bottleneck size."""
    sb = st.sidebar
    choices = [*sorted(DATASETS), UPLOAD]
    sb.selectbox("Dataset", choices, key="dataset", persist_state=KEEP, index=choices.index(default["dataset"]),
                 format_func=lambda n: "Upload your own…" if n == UPLOAD else DATASETS[n].title,
                 help="The data the autoencoder learns to compress. MNIST falls back to 5,000 bundled digits offline.")
    if widgets.get("dataset") == UPLOAD:
        upload_ui()
    variants = variants_for(current_data(show=False))   # the page says why it cannot be loaded, once
    sb.selectbox("Variant", variants, key="variant", persist_state=KEEP, format_func=variant_label,
                 on_change=variant_changed, help=variants_help(variants))
    sb.caption(MODELS[widgets["variant"]].summary)
    sb.number_input("Bottleneck size", 1, 256, default["latent_dim"], key="latent_dim", persist_state=KEEP,
                    help="How many numbers the code has. 2 can be plotted directly; more reconstructs better.")


def variants_help(variants: list[str]) -> str:
    """Every variant's line in full: the list's options are cut to the sidebar's width."""
    return "Which autoencoder. What each one teaches:\n\n" + "\n".join(f"- **{v}**: {MODELS[v].summary}"
                                                                        for v in variants)


def variant_changed() -> None:
    """A variant picked in the sidebar brings its own weights: a β-VAE its β=4, a sparse AE its L1 weight.
    Without this the β slider's 1.0 would quietly turn a β-VAE into a plain VAE."""
    cfg = variant_config(widgets["variant"])
    if cfg.variational:
        widgets["beta"] = cfg.beta
    if cfg.sparsity != "none":
        widgets["sparsity_weight"] = cfg.sparsity_weight


def _epochs(default: dict) -> None:
    st.number_input("Epochs", 1, 200, default["epochs"], key="epochs", persist_state=KEEP,
                    help="Passes over the training set.")


def _batch_size(default: dict) -> None:
    st.select_slider("Batch size", share.BATCH_SIZES, default["batch_size"], key="batch_size", persist_state=KEEP,
                     help="Samples per step. Larger is faster per sample, smaller updates more often.")


def _lr(default: dict) -> None:
    st.select_slider("Learning rate", share.LEARNING_RATES, default["lr"], key="lr", persist_state=KEEP,
                     format_func=lambda v: f"{v:g}", help="Adam's step size. 1e-3 is a safe default; 10 diverges.")


def _loss(default: dict) -> None:
    st.selectbox("Loss", LOSSES, key="loss", persist_state=KEEP,
                 help="auto: binary cross-entropy for data in [0, 1] (nats per sample), squared error otherwise.")


def _beta(default: dict) -> None:
    st.slider("β (KL weight)", 0.0, 10.0, default["beta"], 0.1, key="beta", persist_state=KEEP,
              help="VAEs only. β > 1 trades reconstruction for a smoother, more disentangled code.")


def _noise(default: dict) -> None:
    st.selectbox("Input noise", share.NOISE_CHOICES, key="noise", persist_state=KEEP,
                 help="Corrupt inputs during training (a denoising autoencoder). 'default' keeps the variant's own.")


def _noise_level(default: dict) -> None:
    st.slider("Noise level", 0.0, 1.0, default["noise_level"], 0.05, key="noise_level", persist_state=KEEP,
              help="Gaussian: the noise's standard deviation. Masking, salt-and-pepper: the fraction of pixels hit.")


def _sparsity_weight(default: dict) -> None:
    st.number_input("Sparsity weight", 0.0, 10.0, default["sparsity_weight"], 0.01, key="sparsity_weight",
                    persist_state=KEEP, format="%.3f",
                    help="Sparse variant only: how hard the L1 penalty pushes code units to zero.")


def _seed(default: dict) -> None:
    st.number_input("Seed", 0, 2**31 - 1, default["seed"], key="seed", persist_state=KEEP,
                    help="Same seed, same settings: the same model.")


# The training settings, by widget key, in the order the Advanced expander lists them.
ADVANCED = {"epochs": _epochs, "batch_size": _batch_size, "lr": _lr, "loss": _loss, "beta": _beta, "noise": _noise,
            "noise_level": _noise_level, "sparsity_weight": _sparsity_weight, "seed": _seed}


def advanced_ui(default: dict) -> None:
    """Training settings, in an expander that presenter view hides (they keep their values). The ones the current
    lesson sets are drawn above it, always visible: a lesson tells the class to change them ("pick 1e-3",
    "set β back to 1"), in presenter view too."""
    preset = lecture.current_lesson()
    lesson_keys = [k for k in ADVANCED if preset is not None and k in preset.settings]
    if lesson_keys:
        with st.sidebar.container(key="sidebar_lesson_settings"):
            st.caption("This lesson's training settings")
            for key in lesson_keys:
                ADVANCED[key](default)
    with st.sidebar.container(key="sidebar_advanced"), st.expander("Advanced", key="sidebar_advanced_open",
                                                                     on_change="rerun") as section:
        if section.open:
            for key, draw in ADVANCED.items():
                if key not in lesson_keys:
                    draw(default)


@st.fragment(run_every=STATUS_EVERY_S)
def training_status_ui() -> None:
    """A line in the sidebar while this session's job trains: progress on every page, and the poll that
    tells the job someone is still watching (it stops itself when nobody polls, e.g. a closed tab).
    `sidebar_ui` calls it only while a job is active, so no timer runs otherwise."""
    job = workspace().job
    if job is None:
        return
    progress = job.poll(since=None)
    label = "Training" if progress.active else f"Training {progress.status}"
    st.progress(progress.fraction, text=f"{label}: {progress.summary}")


def hold_for_the_page() -> None:
    """For a page whose main content goes first in this run (Latent space's first atlas of a session, which then
    runs again): the sidebar's widgets wait for that next run. Drawn now, their ~35 chunks of Streamlit's code
    were fetched from this server, which served them before it sent the atlas' points, and the browser drew them
    before the atlas' frame existed."""
    workspace().sidebar_held = True


def after_the_page_ui(page_title: str) -> None:
    """The sidebar's widgets, after the page (app.py), unless the page held them back for its next run."""
    st.logo(str(LOGO), size="large")   # in the sidebar's header, beside the collapse arrow: no settings' room taken
    st.html(SIDEBAR_CSS)                # on every run: the page links keep their height when the widgets come
    ws = workspace()
    held, ws.sidebar_held = ws.sidebar_held, False
    if not held:
        sidebar_ui(page_title)
        persist.forget_ui()   # last in the sidebar: a student leaving a shared computer


def sidebar_ui(page_title: str) -> None:
    """The sidebar's widgets on every page: lecture mode, training line, settings, and the link to this setup."""
    lecture.lesson_ui()
    if workspace().training and page_title != "Train":   # Train shows (and polls) it every second
        with st.sidebar:
            training_status_ui()
    default = share.defaults()   # one source of defaults: the link leaves them out
    model_settings_ui(default)
    advanced_ui(default)
    # The lecturer's tools below the settings: above them, Bottleneck size and Advanced fell below a 900-pixel fold
    lecture.presenter_ui()
    follow.share_ui()
    lecture.share_link_ui(lecture.write_link())
