"""Features: train simple classifiers on an autoencoder's codes with few labels (100, 1,000, all) and compare
them with the same classifiers on PCA codes of the same size and on the raw values.

Session-state keys of this page: "features_group" (aecore.apps.training.Group: the autoencoder trained here,
when the current model is not used), "features_params" (the settings of the last comparison asked for).
"""
from __future__ import annotations

import pandas as pd
import streamlit as st

import ui
from aecore import plots
from aecore.apps import features
from aecore.jobs import Group, ModelSpec
from aecore.config import TrainConfig
from aecore.models import variant_config

ui.ensure_frame()

MAX_TEST = 2000        # test samples scored: k-NN on all 10,000 MNIST test digits takes far longer, for the same story
BUDGET_CHOICES = ["100", "1000", "all"]

INTRO = """Labels are expensive; unlabelled data is cheap. An autoencoder learns its code from unlabelled samples,
so a classifier trained on that code may need far fewer labels than one trained on raw values. Here logistic
regression and k-nearest neighbours get 100, 1,000 or all the labels, on the code, on PCA of the same size, and on
the raw values."""


@st.cache_data(max_entries=8, show_spinner="Training the classifiers…")
def accuracy_rows(model_key: tuple, data_key: tuple, budgets: tuple, max_test: int, _model, _data) -> list[dict]:
    n = min(max_test, len(_data.x_test))
    sets = features.feature_sets(_model, _data.x_train, _data.x_test[:n])
    return features.accuracy_rows(sets, _data.y_train, _data.y_test[:n], budgets)


def settings_ui(data, current) -> dict | None:
    sources = (["current"] if current is not None else []) + ["new"]
    with st.form("features_form"):
        source = st.radio("Codes from", sources, key="features_source", horizontal=True,
                          format_func=lambda s: (f"the current model ({current.variant}, "
                                                 f"{current.model_config.latent_dim}-d code)") if s == "current"
                          else "a new autoencoder trained here")
        c1, c2, c3 = st.columns(3)
        k = c1.number_input("Bottleneck size (new model)", 2, 256, 16, key="features_k")
        epochs = c2.number_input("Epochs (new model)", 1, 50, ui.default_epochs(data, 3), key="features_epochs")
        budgets = c3.multiselect("Labels", BUDGET_CHOICES, BUDGET_CHOICES, key="features_budgets",
                                 help="Labelled training samples per classifier, balanced across classes. "
                                      "'all' on full MNIST takes a minute: logistic regression on 60,000 × 784 values.")
        go = st.form_submit_button("Compare features", type="primary")
    if not go:
        return None
    if not budgets:
        st.error("Choose at least one label budget.")
        return None
    return {"source": source, "k": int(k), "epochs": int(epochs),
            "budgets": tuple(None if b == "all" else int(b) for b in BUDGET_CHOICES if b in budgets),
            "data_key": ui.data_key(data)}


def model_for(data, p: dict, current):
    """(model key, model) to encode with, or None while (or when) the new model is not ready."""
    if p["source"] == "current":
        if current is None:
            st.warning("The current model changed or is training: press **Compare features** again.")
            return None
        return (current.id, current.step), current.model.eval()
    group = st.session_state.get("features_group")
    if group is None or group.params != p:
        return None
    if not group.finished:
        ui.group_progress_ui("features_group")
        return None
    if not group.complete:
        st.error("Training did not finish. " + " ".join(group.progress().errors) + " Press **Compare features** again.")
        return None
    run = group.runs["autoencoder"]
    return (run.id, run.step), run.model.eval()


def page() -> None:
    ui.model_banner()
    st.title("Features")
    st.markdown(INTRO)
    data = ui.current_data()
    if data is None:
        return
    if data.y_train is None or data.y_test is None:
        st.warning(f"{data.title} has no labels, so there is nothing to classify. Pick a labelled dataset.")
        return
    current = ui.usable_current(data)
    p = settings_ui(data, current)
    if p is not None:
        st.session_state.features_params = p
        old = st.session_state.pop("features_group", None)
        if old is not None:
            old.stop()
        if p["source"] == "new":
            spec = ModelSpec("autoencoder", data, variant_config("vanilla", latent_dim=p["k"]),
                             TrainConfig(epochs=p["epochs"], seed=int(st.session_state.get("seed", 0)),
                                         eval_every_epoch=False), "vanilla")
            st.session_state.features_group = Group.start([spec], p)
    p = st.session_state.get("features_params")
    if p is None or p["data_key"] != ui.data_key(data):
        st.info("Choose where the codes come from and press **Compare features**.")
        return
    found = model_for(data, p, current)
    if found is None:
        return
    model_key, model = found
    rows = accuracy_rows(model_key, ui.data_key(data), p["budgets"], MAX_TEST, model, data)
    n_test = min(MAX_TEST, len(data.x_test))
    st.caption(f"Test accuracy on {n_test:,} test samples of {data.title}" +
               (f" (the first {MAX_TEST:,}, for speed)" if n_test < len(data.x_test) else "") +
               ". Every feature set is standardised; k-NN uses k = 5.")
    table = pd.DataFrame(rows).pivot_table(index=["features", "classifier"], columns="labels", values="accuracy")
    table.columns = [f"{c:,} labels" for c in table.columns]
    st.dataframe(table.reset_index(), hide_index=True, width="stretch",
                 column_config={c: st.column_config.NumberColumn(format="%.3f") for c in table.columns})
    cols = st.columns(len(features.CLASSIFIERS))
    for col, clf in zip(cols, features.CLASSIFIERS):
        col.plotly_chart(plots.accuracy(rows, clf), width="stretch", key=f"features_{clf}",
                         config=ui.chart_config(f"features-{clf}"))


page()
