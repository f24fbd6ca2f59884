"""Streamlit helpers shared by app.py and the pages: session state access, cached data, image display.

Session-state keys (the only ones the app uses across pages; widget keys are listed in app.py):
- "run":          aecore.train.Run | None, the current model, trained here or loaded. Per session, never cached.
- "job":          aecore.jobs.Job | None, the background training job of this session.
- "upload_data":  aecore.data.Dataset | None, the dataset the user uploaded in the sidebar.
- "upload_error": str | None, why the last upload was refused (shown beside the uploader).
"""
from __future__ import annotations

from dataclasses import dataclass

import streamlit as st
import torch

from aecore.config import ModelConfig, TrainConfig
from aecore.data import DATASETS, DataError, Dataset, load_dataset
from aecore.imaging import png_bytes, to_grid
from aecore.models import MODELS, variant_config
from aecore.train import Run

UPLOAD = "upload"   # the dataset choice meaning "the file I uploaded"


@dataclass(frozen=True)
class Settings:
    """Everything the sidebar decides: which data, which model, how to train it."""

    dataset: str
    variant: str
    model: ModelConfig
    train: TrainConfig


@st.cache_resource(show_spinner="Loading dataset…", max_entries=4)
def load_builtin(name: str) -> Dataset:
    """Built-in datasets are read-only and shared by every session: load each once per server."""
    return load_dataset(name)


def current_data() -> Dataset | None:
    """The dataset chosen in the sidebar, or None (with the reason on screen) when it cannot be loaded."""
    name = st.session_state.get("dataset", "mnist")
    if name == UPLOAD:
        return st.session_state.get("upload_data")
    try:
        return load_builtin(name)
    except DataError as err:
        st.error(str(err))
        return None


def current_run() -> Run | None:
    return st.session_state.get("run")


def data_for_run(run: Run) -> Dataset | None:
    """The dataset a model was trained on, when it is here: a built-in by name, or the matching upload."""
    upload = st.session_state.get("upload_data")
    if upload is not None and upload.name == run.data_info.name and upload.shape == run.data_info.shape:
        return upload
    if run.data_info.name in DATASETS:
        try:
            data = load_builtin(run.data_info.name)
        except DataError:
            return None
        return data if data.shape == run.data_info.shape else None
    return None


def settings_from_state(kind: str) -> Settings:
    """Turn the sidebar's widget values into configs (raises ValueError with a readable message)."""
    s = st.session_state
    variant = s.get("variant", "vae")
    if variant not in MODELS or kind not in MODELS[variant].kinds:
        variant = next(v for v in sorted(MODELS) if kind in MODELS[v].kinds)
    base = variant_config(variant)
    overrides = {"latent_dim": int(s.get("latent_dim", 2))}
    if s.get("loss", "auto") != "auto":
        overrides["loss"] = s["loss"]
        if s["loss"] != "bce" and base.output == "auto":
            overrides["output"] = "auto"
    if base.variational:
        overrides["beta"] = float(s.get("beta", base.beta))
    noise = s.get("noise", "default")
    if noise != "default":
        overrides["noise"] = noise
        overrides["noise_level"] = float(s.get("noise_level", 0.3)) if noise != "none" else 0.0
    if base.sparsity != "none":
        overrides["sparsity_weight"] = float(s.get("sparsity_weight", base.sparsity_weight))
    model = variant_config(variant, **overrides)
    train = TrainConfig(epochs=int(s.get("epochs", 2)), batch_size=int(s.get("batch_size", 128)),
                        lr=float(s.get("lr", 1e-3)), seed=int(s.get("seed", 0)))
    return Settings(s.get("dataset", "mnist"), variant, model, train)


def show_images(x: torch.Tensor, value_range: tuple[float, float], ncols: int | None = None,
                caption: str | None = None, scale: int = 3) -> None:
    """A batch of images as one crisp grid (nearest-neighbour upscaling keeps pixels visible)."""
    st.image(png_bytes(to_grid(x, ncols, value_range=value_range), scale=scale), caption=caption)


STATUS_EVERY_S = 5.0   # the sidebar's training line: a heartbeat for the job (see pages/train.py HEARTBEAT_S)


@st.fragment(run_every=STATUS_EVERY_S)
def training_status_ui() -> None:
    """A line in the sidebar while this session's job trains: progress on every page, and the poll that
    tells the job someone is still watching (it stops itself when nobody polls, e.g. a closed tab).
    app.py calls it only while a job is active, so no timer runs otherwise."""
    job = st.session_state.get("job")
    if job is None:
        return
    progress = job.poll(since=None)
    label = "Training" if progress.active else f"Training {progress.status}"
    st.progress(progress.fraction, text=f"{label}: {progress.summary}")


def model_banner() -> None:
    """One line naming the current model, its data and its test loss, at the top of every page."""
    run = current_run()
    if run is None:
        st.caption("No model yet: train one on the **Train** page or load one on **Models**.")
        return
    loss = f"{run.test_loss:.2f}" if run.test_loss is not None else "not evaluated yet"
    st.caption(f"Current model: **{run.variant}** · bottleneck {run.model_config.latent_dim} · "
               f"{run.data_info.title} · test loss {loss} · {run.epoch} epochs")

