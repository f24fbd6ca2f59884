"""Features: train simple classifiers on an autoencoder's codes with few labels (100, 1,000, all) and compare
them with the same classifiers on PCA codes of the same size and on the raw values.

State: the Workspace's group "features" (aecore.apps.FeatureComparison's model, or none when the current model
was used); widget "features_source" (current model or a new one).
"""
from __future__ import annotations

import pandas as pd
import streamlit as st

from aecore.apps import FeatureComparison, Schedule, features
from face.datasets import current_data, seed
from aecore.lecture.pageclaims import page_default
from face.experiment import experiment_ui, usable_current
from face.session import page_setup
from face.widgets import choice_ui, chart_config, intro_ui, model_banner

BUDGET_CHOICES = ["100", "1000", "all"]
BUTTON = "Compare features"
INTRO = """Labels are expensive; unlabelled data is cheap. An autoencoder learns its code from unlabelled samples,
so a classifier trained on that code may need far fewer labels than one trained on raw values. Here logistic
regression and k-nearest neighbours get 100, 1,000 or all the labels, on the code, on PCA of the same size, and on
the raw values."""


def source_ui(current) -> str:
    sources = (["current"] if current is not None else []) + ["new"]
    return choice_ui("Codes from", sources, "features_source",
                    format_func=lambda s: f"the current model ({current.variant}, {current.model_config.latent_dim}-d "
                    "code)" if s == "current" else "a new autoencoder trained here")


def form_ui(data) -> FeatureComparison:
    d = page_default("features", data)   # aecore.lecture.pageclaims: the default whose claim is checked
    c1, c2, c3 = st.columns(3)
    k = c1.number_input("Bottleneck size (new model)", 2, 256, d.latent_dim, key="features_k")
    epochs = c2.number_input("Epochs (new model)", 1, 50, d.schedule.epochs, key="features_epochs")
    budgets = c3.multiselect("Labels", BUDGET_CHOICES, BUDGET_CHOICES, key="features_budgets",
                             help="Labelled training samples per classifier, balanced across classes. "
                                  "'all' on full MNIST takes a minute: logistic regression on 60,000 × 784 values.")
    return FeatureComparison(int(k), tuple(None if b == "all" else int(b) for b in BUDGET_CHOICES if b in budgets),
                             max_test=d.max_test, schedule=Schedule(int(epochs), seed=seed()))


def results_ui(data, exp: FeatureComparison, rows: list[dict]) -> None:
    n_test = exp.n_test(data)
    st.caption(f"Test accuracy on {n_test:,} test samples of {data.title}" +
               (f" (the first {n_test:,}, for speed)" if n_test < len(data.x_test) else "") +
               ". Every feature set is standardised; k-NN uses k = 5.")
    table = pd.DataFrame(features.accuracy_table(rows))
    st.dataframe(table, hide_index=True, width="stretch",
                 column_config={c: st.column_config.NumberColumn(format="%.3f") for c in table.columns[2:]})
    for col, (clf, fig) in zip(st.columns(len(exp.classifiers)), exp.figures(rows).items()):
        col.plotly_chart(fig, width="stretch", key=f"features_{clf}", config=chart_config(f"features-{clf}"))
    st.markdown(exp.verdict(rows))


page_setup()
model_banner()
st.title("Features")
intro_ui(INTRO)
data = current_data()
if data is not None and (data.y_train is None or data.y_test is None):
    st.warning(f"{data.title} has no labels, so there is nothing to classify. Pick a labelled dataset.")
elif data is not None:
    current = usable_current(data)
    use_current = source_ui(current) == "current"
    out = experiment_ui(lambda: form_ui(data), data, key="features", button=BUTTON, spinner="Training the classifiers…",
                        current=current if use_current else None,
                        hint=f"Choose where the codes come from and press **{BUTTON}**.")
    if out:
        results_ui(data, out.exp, out.result)
