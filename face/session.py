"""This session's state, and the first call of every page: the only module that touches `st.session_state`.

A session holds two things. The Workspace (face.workspace, its parts in face.parts): the model, its job, and what
the pages remember between reruns. And the widgets' values, each under its key in WIDGETS, read and written through
`widgets` (a key that is not in the table is a KeyError, so the table stays the whole list).
"""
from __future__ import annotations

import streamlit as st

from .workspace import Workspace

KEY = "workspace"

# Every widget key, and what its value is. "<x>" stands for a part of the key given at run time.
WIDGETS: dict[str, str] = {
    # the sidebar (face.sidebar): the settings a link carries (aecore.lecture.share.SETTINGS), and the upload
    "dataset": "the dataset to train on, or 'upload'", "upload_file": "the user's own data file",
    "loss": "the reconstruction loss", "noise": "a denoising AE's input noise", "noise_level": "its level",
    "variant": "the autoencoder variant", "latent_dim": "the bottleneck size", "epochs": "epochs to train",
    "batch_size": "samples per step", "lr": "the learning rate", "seed": "the random seed (application pages too)",
    "beta": "a VAE's KL weight", "sparsity_weight": "a sparse AE's L1 weight",
    "sidebar_advanced": "the Advanced section's container", "sidebar_advanced_open": "whether it is open",
    "sidebar_lesson_settings": "the container of the advanced settings a lesson sets",
    # lecture tools (face.lecture, face.follow, face.persist)
    "lesson": "the lesson preset picked ('' for none)", "lesson_reapply": "button: apply the lesson's settings again",
    "presenter": "presenter view on or off", "share_model": "button: share this model with the class",
    "follow_fork": "button: fork the followed model", "follow_reload": "button: the lecturer's latest version",
    "forget_me": "button: forget this browser's workspace",
    # Train (pages/train.py, face.progress)
    "train_go": "button: Train", "train_stop": "button: Stop", "train_resume": "button: Resume",
    "train_reset": "button: Reset", "train_loss": "the loss chart", "train_series": "the series reconstructions",
    # Latent space (pages/latent.py, face.scatter, face.gallery, face.codes, face.timelapse)
    "latent_refresh": "button: a new snapshot of the training model", "latent_split": "all, train or test samples",
    "latent_method": "PCA or UMAP", "latent_atlas": "the atlas component (its newest event)",
    "latent_gallery_plot": "the selection's series and reconstructions",
    "latent_pin_plot": "the pinned series and its reconstruction", "latent_kl": "the KL per dimension chart",
    "latent_sliders": "the browser's code sliders (their event)",
    "latent_z<d>": "the server's slider of code dimension d (1- or 2-D codes)",
    "latent_class": "the class a conditional model decodes as", "latent_tl_go": "button: play or pause",
    "latent_tl_frame": "the time-lapse frame shown", "latent_tl_gif": "button: download the time-lapse GIF",
    # Generate (pages/generate.py, face.codes)
    "gen_refresh": "button: a new snapshot of the training model", "gen_class": "the class to generate",
    "gen_sliders": "the browser's code sliders (their event)", "gen_z<d>": "the server's slider of dimension d",
    "gen_random": "button: random sample", "gen_reset": "button: reset the code to 0",
    "gen_slider_plot": "the decoded sample (server sliders)", "gen_traversal_plot": "the traversals (series)",
    "gen_<side>_class": "an interpolation end's class (side a or b)",
    "gen_<side>_nth": "which test sample of that class",
    "gen_<side>_index": "an end's test sample (data without labels)",
    "gen_steps": "interpolation steps", "gen_interp_plot": "the interpolation (series)",
    "gen_dim_x": "the manifold grid's dimension across", "gen_dim_y": "its dimension up", "gen_grid_n": "its size",
    # Look inside (pages/inside.py)
    "inside_refresh": "button: a new snapshot of the training model", "inside_network": "the network component",
    "inside_gif": "button: download the first layer's weights as they learned, as a GIF",
    "inside_keep": "button: keep the first layer's grid beside the next model's",
    "inside_unkeep": "button: drop the kept grid",
    # Models (pages/models.py, face.checkpoints)
    "model_download": "button: download the model", "model_upload": "a model zip to load",
    "model_path": "a run folder's name", "model_load_folder": "button: load that folder",
    "models_loss": "the loaded model's loss chart",
    # every application page (face.experiment): its form and its Stop button; <key> is the page's key below
    "<key>_form": "the page's settings form", "<key>_stop": "button: stop its training",
    # application pages (pages/): the form's fields, the result's controls and charts
    "denoise_noise": "the kind of noise", "denoise_level": "the training noise level",
    "denoise_latent_dim": "the bottleneck size", "denoise_epochs": "epochs", "denoise_show_level": "the level shown",
    "denoise_lines": "noisy and denoised series", "denoise_curve": "PSNR against the noise level",
    "compress_sizes": "the bottleneck sizes to train", "compress_k": "the code size for the bytes chart",
    "compress_epochs": "epochs", "compress_rate": "the bytes chart", "compress_sweep": "error against code size",
    "anomaly_normal": "the normal classes", "anomaly_variant": "the model", "anomaly_latent_dim": "the bottleneck size",
    "anomaly_epochs": "epochs", "anomaly_score": "the score thresholded",
    "anomaly_threshold_<run id>_<score>": "the threshold (one per model and score: their ranges differ)",
    "anomaly_hist": "the score histogram", "anomaly_roc": "the ROC and precision-recall curves",
    "anomaly_gallery": "the highest-scored series",
    "features_k": "the new model's bottleneck size", "features_epochs": "the new model's epochs",
    "features_budgets": "the label budgets compared", "features_<classifier>": "a classifier's accuracy chart",
    "impute_mask": "what is hidden", "impute_fraction": "the fraction hidden", "impute_iterations": "iterations",
    "impute_k": "the bottleneck size", "impute_epochs": "epochs", "impute_lines": "original and filled series",
    "impute_curve": "the error chart",
    "seq_k": "the bottleneck size", "seq_epochs": "epochs", "seq_lines": "test sequences and reconstructions",
    # the application pages' keys, for <key> above: their group in Workspace.groups, and their section
    "denoise": "Denoising", "compression": "Compression", "anomaly": "Anomaly detection", "features": "Features",
    "imputation": "Imputation", "sequences": "Sequences",
    # the Export section (face.export): one button per file
    "export_<file>": "button: download that file",
}


def known(key: str) -> str:
    """`key` itself, when WIDGETS lists it (by name, or a "<x>" entry whose fixed parts it matches)."""
    if key in WIDGETS or any(_matches(key, entry) for entry in _PATTERNS):
        return key
    raise KeyError(f"{key!r} is not a widget key in face.session.WIDGETS")


def _matches(key: str, entry: str) -> bool:
    head, _, rest = entry.partition("<")
    tail = rest.rpartition(">")[2]
    return key.startswith(head) and key.endswith(tail) and len(key) > len(head) + len(tail)


_PATTERNS = [k for k in WIDGETS if "<" in k]


class WidgetValues:
    """The widgets' values by key, like a dict: a widget's key is its home (Streamlit keeps it across pages)."""

    def get(self, key: str, default=None):
        return st.session_state.get(known(key), default)

    def __getitem__(self, key: str):
        return st.session_state[known(key)]

    def __setitem__(self, key: str, value) -> None:
        st.session_state[known(key)] = value

    def __contains__(self, key: str) -> bool:
        return known(key) in st.session_state

    def setdefault(self, key: str, default):
        return st.session_state.setdefault(known(key), default)

    def update(self, values: dict) -> None:
        for key, value in values.items():
            self[key] = value

    def event(self, key: str) -> dict | None:
        """A browser component's newest event (face.atlas): its key is its caller's, who may be another app."""
        return st.session_state.get(key)


widgets = WidgetValues()


def workspace() -> Workspace:
    """The session's Workspace (created on first use): the one object the pages keep besides widget values."""
    ws = st.session_state.get(KEY)
    if ws is None:
        ws = st.session_state[KEY] = Workspace()
    return ws


def seed(app_test, ws: Workspace | None = None, **values) -> Workspace:
    """Tests: give an AppTest session its Workspace (a new one by default) and widget values before a run."""
    app_test.session_state[KEY] = ws = Workspace() if ws is None else ws
    for key, value in values.items():
        app_test.session_state[known(key)] = value
    return ws


def workspace_of(app_test) -> Workspace:
    """Tests: the Workspace of an AppTest session."""
    return app_test.session_state[KEY]


def page_setup() -> Workspace:
    """Each page's first call: make sure it runs inside app.py's frame, and hand it the Workspace."""
    ensure_frame()
    return workspace()


def ensure_frame() -> None:
    """Run a page inside app.py's frame (sidebar, navigation), never alone.

    Until some session has run app.py's st.navigation, Streamlit 1.67 treats the folder named pages/ as an
    old-style multipage app, so a shared link such as /latent that is a fresh server's first request runs
    that page alone, without the sidebar (streamlit#9624). Leave that mode and rerun: app.py then runs
    around the same page, which it finds by its URL path.
    """
    from streamlit.runtime.pages_manager import PagesManager  # pinned streamlit==1.67: see requirements.txt

    # Once per session at most: AppTest sets that mode again before every run, where a rerun here would
    # drop the click being tested (a session's first run has none to drop).
    once = workspace().once
    if PagesManager.uses_pages_directory and not once.frame_rerun:
        once.frame_rerun = True
        PagesManager.uses_pages_directory = False
        st.rerun()
