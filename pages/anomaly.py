"""Anomaly detection: train on the classes you call normal, score every test sample by how badly it is rebuilt,
and set a threshold; ROC-AUC, precision and recall against PCA and Isolation Forest on the same split.

State: the Workspace's group "anomaly" (aecore.apps.AnomalyDetection's model); widgets "anomaly_score" (which
score to threshold) and "anomaly_threshold_<run id>_<score>" (one per model and score: their ranges differ).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from aecore import plots
from aecore.apps import AnomalyDetection, Schedule, anomaly, roc
from face.datasets import current_data, seed
from face.experiment import Outcome, experiment_ui
from face.session import page_setup
from face.widgets import chart_config, intro_ui, model_banner, show_images

GALLERY = 16          # most anomalous test samples shown
SCORES = (anomaly.AE, "VAE −ELBO")   # the autoencoder's own scores, which a threshold is set on
BUTTON = "Train on normal samples"
INTRO = """Train an autoencoder on **normal** samples only: it learns to rebuild those well and anything unlike
them badly, so the reconstruction error becomes an **anomaly score**. Choose which classes count as normal, then
drag the threshold: samples scoring above it are flagged. ROC-AUC sums up every threshold at once (1.0 is perfect,
0.5 is chance); two classical detectors are scored on the same split beside it, and they sometimes win."""


def form_ui(data) -> AnomalyDetection:
    """Normal classes and the model, measured defaults first (see aecore.apps.anomaly.RECIPES)."""
    variant0, cfg0, train0 = AnomalyDetection().recipe(data)
    variants = anomaly.variants(data.kind)
    normal = st.multiselect("Normal classes", list(range(data.n_classes)), anomaly.default_normal(data),
                            key="anomaly_normal", format_func=lambda c: data.label_names[c],
                            help="The model trains on these only; every other class is an anomaly to catch.")
    c1, c2, c3 = st.columns(3)
    variant = c1.selectbox("Model", variants, variants.index(variant0), key="anomaly_variant",
                           help="The default was measured to work well on this kind of data (on ECG5000 the MLP "
                                "beats the LSTM, which needs ~100 epochs at a higher learning rate to get close). "
                                "A VAE adds the negative ELBO as a second score.")
    k = c2.number_input("Bottleneck size", 1, 256, cfg0.latent_dim, key="anomaly_latent_dim",
                        help="The PCA baseline keeps the same number of components.")
    epochs = c3.number_input("Epochs", 1, 500, train0.epochs, key="anomaly_epochs",
                             help="Passes over the normal training samples.")
    return AnomalyDetection(tuple(sorted(normal)), variant, int(k), Schedule(int(epochs), seed=seed()))


def auc_ui(aucs: dict[str, float]) -> None:
    """The ROC-AUC table, best first, with an honest line when a baseline wins."""
    table = pd.DataFrame({"method": list(aucs), "ROC-AUC": list(aucs.values())}).sort_values("ROC-AUC", ascending=False)
    st.dataframe(table, hide_index=True, width="content",
                 column_config={"ROC-AUC": st.column_config.NumberColumn(format="%.4f")})
    best = table.iloc[0]["method"]
    if best not in SCORES:
        st.info(f"**{best}** wins on this split. Baselines are strong on small or simple data; try more epochs, "
                "another bottleneck size, or other normal classes.")


@st.fragment
def threshold_ui(data, out: Outcome) -> None:
    """Threshold slider with the histogram, the metrics and the ROC point it gives (only this panel reruns)."""
    res, run_id = out.result, out.runs[anomaly.AE].id
    names = [m for m in SCORES if m in res.scores]
    score = st.radio("Score", names, horizontal=True, key="anomaly_score") if len(names) > 1 else names[0]
    s = res.scores[score]
    lo, hi = float(s.min()), float(s.max())
    threshold = st.slider("Threshold", lo, hi, res.default_threshold(score), (hi - lo) / 500 or 1e-6,
                          key=f"anomaly_threshold_{run_id}_{score}", format="%.4g",
                          help="Samples scoring at or above it are flagged. It starts where 5% of the normal "
                               "training samples would be flagged.")
    at = roc.at_threshold(s, res.anomalous, threshold)
    hist, curves = out.exp.figures(res, data, score, threshold, (at.false_positive_rate, at.recall))
    left, right = st.columns(2)   # right under the slider: what dragging it changes (on a projector too)
    left.plotly_chart(hist, width="stretch", key="anomaly_hist", config=chart_config("anomaly-scores"))
    right.plotly_chart(curves, width="stretch", key="anomaly_roc", config=chart_config("anomaly-roc"))
    c = st.columns(4)
    c[0].metric("Flagged", f"{at.flagged:,} of {len(s):,}")
    c[1].metric("Precision", "–" if np.isnan(at.precision) else f"{at.precision:.1%}",
                help="Of the flagged samples, the fraction that really are anomalies.")
    c[2].metric("Recall", f"{at.recall:.1%}", help="Of the anomalies, the fraction flagged.")
    c[3].metric("False alarms", f"{at.false_positive_rate:.1%}", help="Of the normal samples, the fraction flagged.")


def gallery_ui(data, s: np.ndarray, anomalous: np.ndarray) -> None:
    """The highest-scoring test samples, with their true class."""
    idx = roc.most_anomalous(s, GALLERY)
    st.caption(f"{int(anomalous[idx].sum())} of these {len(idx)} are true anomalies. Labels: "
               + ", ".join(f"#{i} {data.label_names[int(data.y_test[i])]}" for i in idx))
    if data.kind == "image":
        show_images(data.x_test[idx], data.value_range, ncols=8, scale=2)
    else:
        st.plotly_chart(plots.line_groups([data.x_test[idx][:8].numpy()], ["the 8 highest scores"], gradient=False),
                        width="stretch", key="anomaly_gallery")


def results_ui(data, out: Outcome) -> None:
    exp, res = out.exp, out.result
    st.caption(f"Normal: {', '.join(data.label_names[c] for c in exp.normal)} · trained on "
               f"{len(res.train_scores):,} normal samples · {exp.variant}, bottleneck {exp.latent_dim}, "
               f"{exp.schedule.epochs} epochs · scoring {len(res.anomalous):,} test samples, "
               f"{int(res.anomalous.sum()):,} anomalies.")
    if not res.aucs:
        st.warning("The test split has only one kind of sample (all normal or all anomalous), so ROC is undefined.")
        return
    st.subheader("Choose a threshold")
    threshold_ui(data, out)
    st.subheader("How well each method separates normal from anomalous")
    auc_ui(res.aucs)
    st.subheader("The most anomalous test samples")
    gallery_ui(data, res.scores[anomaly.AE], res.anomalous)


page_setup()
model_banner()
st.title("Anomaly detection")
intro_ui(INTRO)
data = current_data()
if data is not None and (data.y_train is None or data.y_test is None or data.n_classes < 2):
    st.warning(f"{data.title} has no labels, so there is no way to say which samples are normal or to score "
               "the detector. Upload a file with a label column (e.g. ODDS cardio.csv) or pick a built-in.")
elif data is not None:
    out = experiment_ui(lambda: form_ui(data), data, key="anomaly", button=BUTTON, spinner="Scoring every test sample…",
                        hint=f"Choose the normal classes and press **{BUTTON}**.")
    if out:
        results_ui(data, out)
