"""Sequences: an LSTM autoencoder reads a whole heartbeat (ECG5000, or synthetic sines when ECG5000 is absent)
into a few numbers and writes it back; compare inputs with reconstructions, class by class.

State: the Workspace's group "sequences" (aecore.apps.SequenceReconstruction's LSTM, when the current model is
not used); widget "seq_source" (current model or a new one).
"""
from __future__ import annotations

import pandas as pd
import streamlit as st

from aecore.apps import Schedule, SequenceReconstruction, sequences
from aecore.data import DataError
from face.datasets import current_data, load_builtin, seed
from face.experiment import Outcome, current_outcome, evaluated, experiment_ui, usable_current
from face.session import page_setup
from face.widgets import choice_ui, intro_ui, model_banner

BUTTON = "Train the LSTM autoencoder"
INTRO = """Some data arrive in order: {what}. An **LSTM autoencoder** reads the sequence step by step, keeps a
summary in its memory, squeezes it into a short code, and a second LSTM unrolls the code back into a sequence
(Srivastava et al. 2015). {common} come back faithfully; {rare} come back worse, which is what the
**Anomaly detection** page turns into a detector."""
# What the introduction says about the data the page shows: (what one sequence is, the common ones, the rare ones)
ABOUT = {"ecg5000": ("a heartbeat is {steps} readings in time", "Beats it has seen many of", "rare abnormal beats"),
         "sines": ("each of these synthetic sine waves is {steps} readings in time",
                   "Smooth waves like the many it has seen",
                   "the few with a glitch (a spike, a flat stretch, a jump in frequency) only a little worse after the "
                   "default 20 epochs, which blur every wave (PCA, beside it, shows the glitches more clearly)")}
OTHER = ("each sequence of {title} is {steps} readings in time", "Sequences like the many it has seen",
         "rare unusual ones")


def intro(data) -> str:
    """The introduction, about the sequences this page shows (heartbeats, or the sine waves standing in for them)."""
    what, common, rare = ABOUT.get(data.name, OTHER)
    return INTRO.format(what=what.format(steps=data.shape[0], title=data.title), common=common, rare=rare)


def sequence_data() -> tuple:
    """(the sidebar's dataset if it holds sequences, else ECG5000, else the synthetic sines (always there); a note
    saying which when it is not the sidebar's)."""
    data = current_data()
    if data is not None and data.kind == "sequence":
        return data, ""
    try:
        return load_builtin("ecg5000"), "Using **ECG5000** (the sidebar's dataset is not made of sequences)."
    except DataError as err:
        return load_builtin("sines"), (f"ECG5000 is not on this server ({str(err).splitlines()[0]}), so this page "
                                       "uses the **synthetic sine waves**.")


def form_ui() -> SequenceReconstruction:
    c1, c2 = st.columns(2)
    k = c1.number_input("Bottleneck size", 1, 64, SequenceReconstruction().latent_dim, key="seq_k",
                        help="4 numbers are enough for a heartbeat's shape; fewer blur it.")
    epochs = c2.number_input("Epochs", 1, 300, sequences.TRAIN.epochs, key="seq_epochs",
                             help="LSTMs learn slowly: 20 epochs show the shape, ~100 get the details.")
    return SequenceReconstruction(int(k), Schedule(int(epochs), seed=seed()))


def model_ui(data) -> Outcome | None:
    """The current model when it was trained on these sequences, else an LSTM trained here on request."""
    current = usable_current(data)
    choices = (["current"] if current is not None else []) + ["new"]
    source = choice_ui("Model", choices, "seq_source",
                      format_func=lambda s: f"the current model ({current.variant}, "
                      f"{current.model_config.latent_dim}-d code)" if s == "current"
                      else "an LSTM autoencoder trained here")
    if source == "current":
        return evaluated(current_outcome(SequenceReconstruction(), current, data), data)
    return experiment_ui(form_ui, data, key="sequences", button=BUTTON, hint=f"Press **{BUTTON}**.")


page_setup()
model_banner()
st.title("Sequences")
data, note = sequence_data()
intro_ui(intro(data))
if note:
    st.caption(note)
out = model_ui(data)
if out:
    res = out.result
    k = next(iter(out.runs.values())).model_config.latent_dim
    c1, c2 = st.columns(2)
    c1.metric("Test reconstruction error (MSE per value)", f"{res.errors.mean():.4f}",
              help=f"Mean over {len(data.x_test):,} test sequences of {data.title}.")
    c2.metric(f"PCA with {k} components (the baseline)", f"{res.baseline.mean():.4f}",
              help="The best linear code of the same size, fit on the training sequences.")
    if res.baseline.mean() < res.errors.mean():
        st.markdown("PCA with as many numbers rebuilds these sequences **better** than the autoencoder: they are "
                    "aligned and smooth, so a linear code fits them well. The LSTM's point is the contrast between "
                    "classes below, which the **Anomaly detection** page turns into a detector.")
    if res.per_class:
        st.dataframe(pd.DataFrame(res.per_class), hide_index=True, width="content",
                     column_config={c: st.column_config.NumberColumn(format="%.4f")
                                    for c in ("mean error", "PCA error")})
    st.subheader("Inputs and reconstructions")
    st.caption("Grey: the test sequence; colour: what the autoencoder made of it. "
               "One per class where there are labels.")
    st.plotly_chart(out.exp.figure(res, data), width="stretch", key="seq_lines")
    st.caption("To detect abnormal beats, choose this dataset in the sidebar and open **Anomaly detection**: it "
               "trains the LSTM on the normal class only and scores every test sequence.")
