"""Sequences: an LSTM autoencoder reads a whole heartbeat (ECG5000, or synthetic sines when ECG5000 is absent)
into a few numbers and writes it back; compare inputs with reconstructions, class by class.

Session-state keys of this page: "seq_group" (aecore.apps.training.Group: the LSTM trained here, when the
current model is not used), "seq_source" (current model or a new one).
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import streamlit as st

import ui
from aecore.apps import anomaly
from aecore.jobs import Group, ModelSpec
from aecore.data import DataError
from aecore.infer import reconstruct
from aecore.plots import recon_lines

ui.ensure_frame()


INTRO = """Some data arrive in order: a heartbeat is 140 readings in time. An **LSTM autoencoder** reads the
sequence step by step, keeps a summary in its memory, squeezes it into a short code, and a second LSTM unrolls the
code back into a sequence (Srivastava et al. 2015). Beats it has seen many of come back faithfully; rare abnormal
beats come back worse, which is what the **Anomaly detection** page turns into a detector."""


def sequence_data():
    """The sidebar's dataset if it holds sequences, else ECG5000, else the synthetic sines (always there)."""
    data = ui.current_data()
    if data is not None and data.kind == "sequence":
        return data
    try:
        data = ui.load_builtin("ecg5000")
        st.caption("Using **ECG5000** (the sidebar's dataset is not made of sequences).")
    except DataError as err:
        data = ui.load_builtin("sines")
        st.caption(f"ECG5000 is not available here ({err}), so this page uses the **synthetic sine waves**.")
    return data


def model_ui(data):
    """The current model when it was trained on these sequences, else an LSTM trained here on request."""
    current = ui.usable_current(data)
    choices = (["current"] if current is not None else []) + ["new"]
    source = st.radio("Model", choices, horizontal=True, key="seq_source",
                      format_func=lambda s: f"the current model ({current.variant}, {current.model_config.latent_dim}-d "
                      "code)" if s == "current" else "an LSTM autoencoder trained here")
    if source == "current":
        return current.model.eval()
    variant, cfg, train = anomaly.recipe("sequence", variant="lstm")
    with st.form("seq_form"):
        c1, c2 = st.columns(2)
        k = c1.number_input("Bottleneck size", 1, 64, cfg.latent_dim, key="seq_k",
                            help="4 numbers are enough for a heartbeat's shape; fewer blur it.")
        epochs = c2.number_input("Epochs", 1, 300, 20, key="seq_epochs",
                                 help="LSTMs learn slowly: 20 epochs show the shape, ~100 get the details.")
        go = st.form_submit_button("Train the LSTM autoencoder", type="primary")
    if go:
        old = st.session_state.get("seq_group")
        if old is not None:
            old.stop()
        _, cfg, train = anomaly.recipe("sequence", int(k), "lstm")
        train = replace(train, epochs=int(epochs), seed=int(st.session_state.get("seed", 0)))
        st.session_state.seq_group = Group.start([ModelSpec("LSTM autoencoder", data, cfg, train, variant)],
                                                 {"data_key": ui.data_key(data)})
    group = st.session_state.get("seq_group")
    if group is None or group.params["data_key"] != ui.data_key(data):
        st.info("Press **Train the LSTM autoencoder**.")
        return None
    if not group.finished:
        ui.group_progress_ui("seq_group")
        return None
    if not group.complete:
        st.error("Training did not finish. " + " ".join(group.progress().errors) + " Press the button to start again.")
        return None
    return group.runs["LSTM autoencoder"].model.eval()


def page() -> None:
    ui.model_banner()
    st.title("Sequences")
    st.markdown(INTRO)
    data = sequence_data()
    model = model_ui(data)
    if model is None:
        return
    x = data.x_test
    err = anomaly.recon_scores(model, x)
    st.metric("Test reconstruction error (MSE per value)", f"{err.mean():.4f}",
              help=f"Mean over {len(x):,} test sequences of {data.title}.")
    if data.y_test is not None:
        y = data.y_test.numpy()
        classes = np.unique(y)
        table = pd.DataFrame({"class": [data.label_names[c] for c in classes],
                              "test sequences": [int((y == c).sum()) for c in classes],
                              "mean error": [float(err[y == c].mean()) for c in classes]})
        st.dataframe(table, hide_index=True, width="content",
                     column_config={"mean error": st.column_config.NumberColumn(format="%.4f")})
        picks = [int(np.flatnonzero(y == c)[0]) for c in classes][:8]
        titles = [f"{data.label_names[int(y[i])]} (#{i})" for i in picks]
    else:
        picks, titles = list(range(4)), [f"#{i}" for i in range(4)]
    st.subheader("Inputs and reconstructions")
    st.caption("Grey: the test sequence; colour: what the autoencoder made of it. One per class where there are labels.")
    x_hat = reconstruct(model, x[picks])
    st.plotly_chart(recon_lines(x[picks].numpy(), x_hat.numpy(), titles), width="stretch", key="seq_lines")
    st.caption("To detect abnormal beats, choose this dataset in the sidebar and open **Anomaly detection**: it "
               "trains the LSTM on the normal class only and scores every test sequence.")


page()
