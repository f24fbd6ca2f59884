"""Models: download the current model as a zip, or load one (a zip saved here, or a run folder written by
`python -m aecore train`), and see what a model is: its settings and its training history.

Session-state keys of this page: those of face.checkpoints ("model_upload", "model_path", "model_message").
"""
from __future__ import annotations

import streamlit as st

from aecore import jobs, plots
from aecore.config import to_dict
from face.checkpoints import download_name, folder_clicked, message_ui, run_folders, upload_changed, zip_of
from face.session import page_setup
from face.widgets import model_banner


def save_ui(run, training: bool) -> None:
    st.subheader("Save")
    if run is None:
        st.info("No model yet: train one on the **Train** page, or load one below.")
        return
    name = download_name(run)
    st.download_button("Download the current model (.zip)", data=lambda: zip_of(run), file_name=name,
                       mime="application/zip", on_click="ignore", icon=":material/download:", key="model_download")
    if training:
        st.caption("It is training: the zip holds the weights of the moment you click (taken between two steps).")
    st.caption(f"Saved as `{name}`: `model.safetensors` (the weights), `config.json` (how to rebuild it), "
               "`history.json` (its losses) and `timelapse.npz` (how its space formed, when it was recorded). Load it "
               "here later, or use it with `python -m aecore` (`python -m aecore timelapse RUN --gif out.gif`).")


def load_ui() -> None:
    st.subheader("Load")
    st.caption("Loading replaces the current model (and stops its training). Nothing is unpickled: a "
               "damaged or foreign file is refused with the reason.")
    upload, folder = st.tabs(["Upload a zip", "A run folder on this server"])
    with upload:
        st.file_uploader("A model zip saved by Latent Lab", type=["zip"], key="model_upload", on_change=upload_changed)
    with folder:
        names = run_folders()
        path = st.text_input("Run folder", key="model_path", placeholder=names[0] if names else "vae-mnist",
                             help="The name of a folder inside the server's runs folder (AECORE_RUNS_DIR), written "
                                  "by `python -m aecore train --out runs/NAME`. Nothing outside it can be loaded.")
        st.caption("In the runs folder: " + (", ".join(f"`{n}`" for n in names[:12]) if names else "none yet"))
        st.button("Load folder", key="model_load_folder", disabled=not path.strip(), on_click=folder_clicked)
    message_ui()


def timelapse_caption(run) -> None:
    """Whether the model brought its time-lapse (kept in its run folder and zip as timelapse.npz)."""
    tl = run.timelapse
    if tl is not None and tl.frames:
        st.caption(f"Time-lapse: {len(tl.frames)} frames of {len(tl.index):,} test samples, from step "
                   f"{tl.frames[0].step:,} to {tl.frames[-1].step:,}: play it under **How the space formed** on "
                   "**Latent space**.")
    else:
        st.caption("No time-lapse: this model was saved before runs kept theirs, or trained where none was recorded.")


def details_ui(run) -> None:
    """What the current model is: its settings and a summary of how it was trained."""
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
    timelapse_caption(run)
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


ws = page_setup()
model_banner()
st.title("Models")
save_ui(ws.run, ws.training)
load_ui()
if ws.run is not None:
    details_ui(ws.run)
st.caption(jobs.backend_status())   # where models train: this server, a Ray cluster, or a fallback and why
