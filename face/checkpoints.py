"""Saving and loading the session's model from the browser: the download's name and bytes, and the loaders
behind the Models page's uploader and folder box (a load replaces the current model, or says why it cannot).

Widget keys: "model_upload" (the uploader), "model_path" (the folder box); the outcome of the last load ((kind,
text), shown until the next one) is the Workspace's `messages.model`.
"""
from __future__ import annotations

import re
from pathlib import Path

import streamlit as st

from aecore import jobs, settings
from aecore.runs.checkpoint import CheckpointError, load_run, load_run_bytes, run_zip
from aecore.runs.run_folders import list_run_folders, run_folder_under
from aecore.train import Run, new_run_id

from .paths import scrub
from .session import widgets, workspace


def runs_root() -> Path:
    """The one folder whose run folders a visitor may load: AECORE_RUNS_DIR, default runs/ beside app.py."""
    return settings.path("AECORE_RUNS_DIR", Path(__file__).resolve().parent.parent / "runs")


def run_folders() -> list[str]:
    """The run folders a visitor can pick from (names inside the runs root)."""
    return list_run_folders(runs_root())


def download_name(run: Run) -> str:
    """`<variant>-<dataset>-z<latent>.zip`, with characters a file name should not have replaced."""
    data = re.sub(r"[^A-Za-z0-9_.-]+", "-", run.data_info.name).strip("-.") or "data"
    return f"{run.variant}-{data}-z{run.model_config.latent_dim}.zip"


def zip_of(run: Run) -> bytes:
    """The run's zip, taken between two training steps when it is training."""
    with jobs.lock_for(run):
        return run_zip(run)


def _load(load, source: str) -> None:
    """Make the run `load()` returns the current model, under a run id of its own (the file's is whatever its
    author wrote, a demo's or a classmate's); on CheckpointError keep the current one untouched."""
    try:
        run = load()
    except CheckpointError as err:
        workspace().messages.model = ("error", scrub(f"Could not load {source}: {err}", keep=(source,)))
        return
    run.id = new_run_id()
    ws = workspace()
    ws.adopt(run)   # stops the job that trained the model it replaces, and clears what the pages kept of it
    ws.messages.model = ("success", f"Loaded {source}: a {run.variant} trained on "
                                                 f"{run.data_info.title} for {run.epoch} epoch(s).")


def upload_changed() -> None:
    """Uploader callback (runs before the page, so the banner already shows the new model)."""
    file = widgets.get("model_upload")
    if file is not None:
        _load(lambda: load_run_bytes(file.getvalue(), file.name), file.name)


def folder_clicked() -> None:
    name = widgets.get("model_path", "").strip()
    _load(lambda: load_run(run_folder_under(runs_root(), name)), name)


def message_ui() -> None:
    """The outcome of the last load."""
    message = workspace().messages.model
    if message:
        (st.error if message[0] == "error" else st.success)(message[1])
