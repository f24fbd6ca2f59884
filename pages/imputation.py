"""Imputation: hide a region or a fraction of every test sample, fill it in by repeated reconstruction, and
compare the error on the hidden values with filling in the training mean.

Session-state keys of this page: "impute_group" (aecore.apps.training.Group: the autoencoder trained here,
when the current model is not used), "impute_source" (current model or a new one).
"""
from __future__ import annotations

import streamlit as st

import ui
from aecore import plots
from aecore.apps import impute
from aecore.jobs import Group, ModelSpec
from aecore.config import TrainConfig
from aecore.plots import recon_lines
from aecore.models import variant_config

ui.ensure_frame()

SHOWN = 12
MAX_TEST = 2000       # test samples measured: enough for a stable mean error, fast to redo as the sliders move

INTRO = """Suppose part of each sample is missing: a scratched patch of an image, dropped readings in a signal.
An autoencoder has learnt what whole samples look like, so it can guess the missing part from the rest: fill the
gap with the average, reconstruct, copy the reconstruction into the gap only, and repeat. The visible values are
never changed, so the error below is measured on the hidden values alone, against simply filling in the mean."""


def model_ui(data):
    """The model to fill with: the current one when it fits this data, else one trained here on request."""
    current = ui.usable_current(data)
    choices = (["current"] if current is not None else []) + ["new"]
    source = st.radio("Fill with", choices, horizontal=True, key="impute_source",
                      format_func=lambda s: f"the current model ({current.variant}, "
                      f"{current.model_config.latent_dim}-d code)" if s == "current" else "an autoencoder trained here")
    if source == "current":
        return current.model.eval()
    with st.form("impute_form"):
        c1, c2 = st.columns(2)
        k = c1.number_input("Bottleneck size", 2, 256, 32, key="impute_k",
                            help="Bigger codes copy more detail; smaller ones guess more from the overall shape.")
        epochs = c2.number_input("Epochs", 1, 50, ui.default_epochs(data, 3), key="impute_epochs")
        go = st.form_submit_button("Train the autoencoder", type="primary")
    if go:
        old = st.session_state.get("impute_group")
        if old is not None:
            old.stop()
        spec = ModelSpec("autoencoder", data, variant_config("vanilla", latent_dim=int(k)),
                         TrainConfig(epochs=int(epochs), seed=int(st.session_state.get("seed", 0)), eval_every_epoch=False),
                         "vanilla")
        st.session_state.impute_group = Group.start([spec], {"data_key": ui.data_key(data)})
    group = st.session_state.get("impute_group")
    if group is None or group.params["data_key"] != ui.data_key(data):
        st.info("Press **Train the autoencoder** (or train one on **Train** and come back: it is used directly).")
        return None
    if not group.finished:
        ui.group_progress_ui("impute_group")
        return None
    if not group.complete:
        st.error("Training did not finish. " + " ".join(group.progress().errors) + " Press **Train the autoencoder** again.")
        return None
    return group.runs["autoencoder"].model.eval()


@st.fragment
def fill_ui(model, data) -> None:
    """Mask settings and the results they give (only this panel reruns as the sliders move)."""
    c1, c2, c3 = st.columns(3)
    kind = c1.selectbox("Hide", impute.MASKS, key="impute_mask",
                        format_func=lambda m: {"block": "a block (square / time span)", "random": "scattered values"}[m])
    fraction = c2.slider("Fraction hidden", 0.05, 0.8, 0.25, 0.05, key="impute_fraction")
    iterations = c3.slider("Iterations", 1, 20, 5, key="impute_iterations",
                           help="Rounds of reconstruct-and-replace. The first round already beats the mean on "
                                "structured data; later rounds refine the guess.")
    x = data.x_test[:MAX_TEST]
    mask = impute.make_mask(tuple(x.shape), kind, fraction, seed=0)
    mean = data.x_train.mean(0)
    filled = impute.impute(model, x, mask, mean, iterations)
    rows = impute.error_curve(x, filled, mask)
    base, final = rows[0]["hidden_mse"], rows[-1]["hidden_mse"]
    m = st.columns(3)
    m[0].metric("Mean fill: error on hidden values", f"{base:.4f}")
    m[1].metric("Autoencoder: error on hidden values", f"{final:.4f}", f"{(final - base) / base:+.0%}", delta_color="inverse")
    m[2].metric("Hidden values", f"{int(mask.sum()):,}", help=f"Over {len(x):,} test samples.")
    if data.kind == "image":
        lo, hi = data.value_range
        shown = x[:SHOWN]
        holes = shown.masked_fill(mask[:SHOWN], (lo + hi) / 2)   # hidden values drawn mid-grey
        for caption, img in (("original", shown), ("what the model sees (hidden: grey)", holes),
                             ("filled with the mean", filled[0][:SHOWN]), (f"filled by the autoencoder, {iterations} iterations", filled[-1][:SHOWN])):
            ui.show_images(img, data.value_range, ncols=SHOWN, caption=caption, scale=ui.image_scale(2))
    else:
        st.plotly_chart(recon_lines(x[:4].numpy(), filled[-1][:4].numpy(), [f"#{i}: original (grey), filled" for i in range(4)]),
                        width="stretch", key="impute_lines")
    st.plotly_chart(plots.impute_curve(rows), width="stretch", key="impute_curve", config=ui.chart_config("imputation"))


def page() -> None:
    ui.model_banner()
    st.title("Imputation")
    st.markdown(INTRO)
    data = ui.current_data()
    if data is None:
        return
    model = model_ui(data)
    if model is None:
        return
    fill_ui(model, data)


page()
