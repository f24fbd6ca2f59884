"""Train: start, stop, resume or reset a model with the sidebar's settings, and watch it learn live.

What it keeps between runs is the Workspace's train view (face.parts.TrainView): why the last button press could
not start training, and the live view's own (face.progress).
"""
from __future__ import annotations

import streamlit as st

from aecore.runs.resume import resumable
from face import progress, warmup
from face.datasets import current_data, settings_from_state
from face.export import export_ui
from face.session import page_setup
from face.widgets import intro_ui, model_banner

INTRO = """An autoencoder learns to squeeze each sample through a small **code** (the bottleneck) and rebuild
it. Training shows it many samples and nudges its weights to make the rebuilt sample closer to the input:
the **loss** measures how far off it still is, on data it trains on and on test data it never sees.
Below, watch the loss fall and the reconstructions of a few test samples sharpen."""

ws = page_setup()


def start(fresh: bool) -> None:
    """Button callback: a new run from the sidebar's settings (fresh), or the current run continued."""
    ws.train_view.error = None
    data = current_data(show=False)
    try:
        ws.train(data, settings_from_state(data.kind), fresh)
    except ValueError as err:   # settings that cannot build this model on this data
        ws.train_view.error = str(err)


def trained_on(run, data) -> bool:
    """Whether `run` learnt from the sidebar's dataset: only then are its curves and reconstructions shown here."""
    return (run.data_info.name, tuple(run.data_info.shape)) == (data.name, tuple(data.shape))


def controls_ui() -> bool:
    """The buttons, then the live view, the finished model or what Train would do; False, having said why, when
    nothing can train (st.stop would also stop app.py's saving of the workspace: after it every st call raises)."""
    data = current_data()
    if data is None:
        st.info("Choose a dataset in the sidebar, or upload a file there, to train on.")
        return False
    try:
        settings = settings_from_state(data.kind)
    except ValueError as err:
        st.error(f"These settings cannot build a model: {err}")
        return False

    following = " Not on the lecturer's model: press **Fork** above to make it yours first." if ws.following else ""
    can_resume = (ws.run is not None and not ws.training and not ws.following
                  and resumable(ws.run, data, settings.model, settings.train))
    buttons = st.columns([1, 1, 1, 1, 4])
    buttons[0].button("Train", key="train_go", type="primary", disabled=ws.training or bool(ws.following),
                      on_click=start, args=(True,),
                      help="Build a new model from the sidebar's settings and train it from scratch." + following)
    buttons[1].button("Stop", key="train_stop", disabled=not ws.training, on_click=ws.stop,
                      help="Stop after the current step. The model keeps what it has learnt so far.")
    buttons[2].button("Resume", key="train_resume", disabled=not can_resume, on_click=start, args=(False,),
                      help="Continue the stopped model where it left off. Needs the same model, data, batch size "
                           "and seed; a new learning rate or more epochs are fine." + following)
    buttons[3].button("Reset", key="train_reset", disabled=ws.run is None and ws.job is None, on_click=ws.reset,
                      help="Forget the current model (download it on the Models page first to keep it).")
    if ws.train_view.error:
        st.error(ws.train_view.error)

    if ws.training:
        progress.live_ui(banner)
    elif ws.run is not None and trained_on(ws.run, data):
        progress.final_ui()
    else:   # no model, or one of other data (the demo's MNIST while the sidebar says Digits): what Train would do
        progress.idle_ui(settings, data)
    return True


warmup.start()
banner = st.container()   # the banner: drawn by the live view while training, else here
if not ws.training:
    with banner:
        model_banner()
st.title("Train")
intro_ui(INTRO)
if controls_ui():
    export_ui()
