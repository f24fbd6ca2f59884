"""Models: download the current model as a zip, or load one (a zip saved here, or a run folder written by
`python -m aecore train`), and see what a model is: its settings and its training history.

Session-state keys of this page: "model_upload" (the uploader; its on_change reads each file once),
"model_path" (the folder text box), "model_message" ((kind, text) of the last load, shown until the next one).
"""
from __future__ import annotations

import re

import streamlit as st

import ui
from aecore import jobs, plots
from aecore.checkpoint import CheckpointError, load_run, load_run_bytes, run_zip
from aecore.config import to_dict

ui.ensure_frame()


def download_name(run) -> str:
    """`<variant>-<dataset>-z<latent>.zip`, with characters a file name should not have replaced."""
    data = re.sub(r"[^A-Za-z0-9_.-]+", "-", run.data_info.name).strip("-.") or "data"
    return f"{run.variant}-{data}-z{run.model_config.latent_dim}.zip"


def zip_of(run) -> bytes:
    """The run's zip, taken between two training steps when it is training."""
    with jobs.lock_for(run):
        return run_zip(run)


def adopt(load, source: str) -> None:
    """Make the run `load()` returns the current model; on CheckpointError keep the current one untouched."""
    try:
        run = load()
    except CheckpointError as err:
        st.session_state.model_message = ("error", f"Could not load {source}: {err}")
        return
    job = st.session_state.get("job")
    if job is not None and job.active:
        job.stop()   # it was training the model being replaced
    st.session_state.run, st.session_state.job = run, None
    st.session_state.pop("train_steps", None)
    st.session_state.model_message = ("success", f"Loaded {source}: a {run.variant} trained on "
                                                 f"{run.data_info.title} for {run.epoch} epoch(s).")


def upload_changed() -> None:
    """Uploader callback (runs before the page, so the banner already shows the new model)."""
    file = st.session_state.get("model_upload")
    if file is not None:
        adopt(lambda: load_run_bytes(file.getvalue(), file.name), file.name)


def folder_clicked() -> None:
    path = st.session_state.get("model_path", "").strip()
    adopt(lambda: load_run(path), path)


def save_ui(run) -> None:
    st.subheader("Save")
    if run is None:
        st.info("No model yet: train one on the **Train** page, or load one below.")
        return
    name = download_name(run)
    st.download_button("Download the current model (.zip)", data=lambda: zip_of(run), file_name=name,
                       mime="application/zip", on_click="ignore", icon=":material/download:", key="model_download")
    job = st.session_state.get("job")
    if job is not None and job.active and job.run is run:
        st.caption("It is training: the zip holds the weights of the moment you click (taken between two steps).")
    st.caption(f"Saved as `{name}`: `model.safetensors` (the weights), `config.json` (how to rebuild it) and "
               "`history.json` (its losses). Load it here later, or use it with `python -m aecore`.")


def load_ui() -> None:
    st.subheader("Load")
    st.caption("Loading replaces the current model (and stops its training). Nothing is unpickled: a "
               "damaged or foreign file is refused with the reason.")
    upload, folder = st.tabs(["Upload a zip", "A run folder on this server"])
    with upload:
        # .pt/.pth/.ckpt are accepted by the widget only so that aecore can say why they are refused
        st.file_uploader("A model zip saved by Latent Lab", type=["zip", "pt", "pth", "ckpt"], key="model_upload",
                         on_change=upload_changed)
    with folder:
        path = st.text_input("Folder", key="model_path", placeholder="runs/vae-mnist",
                             help="A folder written by `python -m aecore train` (or save_run): it holds "
                                  "model.safetensors and config.json.")
        st.button("Load folder", key="model_load_folder", disabled=not path.strip(), on_click=folder_clicked)
    message = st.session_state.get("model_message")
    if message:
        (st.error if message[0] == "error" else st.success)(message[1])


def details_ui(run) -> None:
    """What the current model is: its settings and a summary of how it was trained."""
    if run is None:
        return
    st.subheader("Current model")
    cols = st.columns(4)
    cols[0].metric("Variant", run.variant)
    cols[1].metric("Bottleneck", run.model_config.latent_dim)
    cols[2].metric("Epochs", f"{run.epoch} of {run.total_epochs}")
    cols[3].metric("Test loss", "–" if run.test_loss is None else f"{run.test_loss:.2f}")
    with jobs.lock_for(run):
        history, tests = list(run.history), list(run.test_history)
    st.caption(f"Trained on {run.data_info.title} (samples of shape {tuple(run.data_info.shape)}) · "
               f"{run.step:,} steps · {len(tests)} test evaluation(s) · run id `{run.id}`")
    if history:
        st.plotly_chart(plots.loss_curve(history, tests, run.model_config.variational, height=260),
                        key="models_loss", config={"displayModeBar": False})
    left, right = st.columns(2)
    with left:
        st.markdown("**Model settings**")
        st.json(to_dict(run.model_config), expanded=False)
    with right:
        st.markdown("**Training settings**")
        st.json(to_dict(run.train_config), expanded=False)
    if tests:
        st.markdown("**Test loss per epoch**")
        st.dataframe([{k: round(v, 4) if isinstance(v, float) else v for k, v in t.items()} for t in tests],
                     hide_index=True)


ui.model_banner()
st.title("Models")
save_ui(ui.current_run())
load_ui()
details_ui(ui.current_run())
