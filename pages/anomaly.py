"""Anomaly detection: train on the classes you call normal, score every test sample by how badly it is rebuilt,
and set a threshold; ROC-AUC, precision and recall against PCA and Isolation Forest on the same split.

Session-state keys of this page: "anomaly_group" (aecore.apps.training.Group: the model trained on normal
samples and its settings), "anomaly_score" (which score to threshold), "anomaly_threshold_<run id>_<score>"
(the threshold slider: one per model and score, since each has its own range).
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import streamlit as st

import ui
from aecore import plots
from aecore.apps import anomaly
from aecore.jobs import Group, ModelSpec
from aecore.plots import line_groups
from aecore.models import MODELS

ui.ensure_frame()

GALLERY = 16          # most anomalous test samples shown

INTRO = """Train an autoencoder on **normal** samples only: it learns to rebuild those well and anything unlike
them badly, so the reconstruction error becomes an **anomaly score**. Choose which classes count as normal, then
drag the threshold: samples scoring above it are flagged. ROC-AUC sums up every threshold at once (1.0 is perfect,
0.5 is chance); two classical detectors are scored on the same split beside it, and they sometimes win."""


@st.cache_data(max_entries=8, show_spinner="Scoring every test sample…")
def scores_for(run_id: str, data_key: tuple, normal: tuple, _model, _data) -> dict[str, np.ndarray]:
    """Every method's test scores, plus the autoencoder's on its own (normal) training samples."""
    out = anomaly.score_all(_model, _data, list(normal))
    x_fit = anomaly.normal_only(_data, list(normal)).x_train
    out["train"] = anomaly.recon_scores(_model, x_fit)
    return out


def settings_ui(data) -> dict | None:
    """Normal classes and the model, in a form: nothing trains until the button is pressed."""
    classes = list(range(data.n_classes))
    variant0, cfg0, train0 = anomaly.recipe(data.kind)
    variants = [v for v in sorted(MODELS) if data.kind in MODELS[v].kinds and not MODELS[v].defaults.get("conditional")]
    with st.form("anomaly_form"):
        normal = st.multiselect("Normal classes", classes, anomaly.default_normal(data), key="anomaly_normal",
                                format_func=lambda c: data.label_names[c],
                                help="The model trains on these only; every other class is an anomaly to catch.")
        c1, c2, c3 = st.columns(3)
        variant = c1.selectbox("Model", variants, variants.index(variant0), key="anomaly_variant",
                               help="The default was measured to work well on this kind of data (on ECG5000 the "
                                    "MLP beats the LSTM, which needs ~100 epochs at a higher learning rate to get "
                                    "close). A VAE adds the negative ELBO as a second score.")
        k = c2.number_input("Bottleneck size", 1, 256, cfg0.latent_dim, key="anomaly_k",
                            help="The PCA baseline keeps the same number of components.")
        epochs = c3.number_input("Epochs", 1, 500, train0.epochs, key="anomaly_epochs",
                                 help="Passes over the normal training samples.")
        go = st.form_submit_button("Train on normal samples", type="primary")
    if not go:
        return None
    if not normal or len(normal) == len(classes):
        st.error("Choose at least one normal class, and leave at least one out as the anomalies.")
        return None
    return {"normal": tuple(sorted(normal)), "variant": variant, "k": int(k), "epochs": int(epochs)}


def start(data, p: dict) -> None:
    old = st.session_state.get("anomaly_group")
    if old is not None:
        old.stop()
    variant, model, train = anomaly.recipe(data.kind, p["k"], p["variant"])
    train = replace(train, epochs=p["epochs"], seed=int(st.session_state.get("seed", 0)))
    spec = ModelSpec("autoencoder", anomaly.normal_only(data, list(p["normal"])), model, train, variant)
    st.session_state.anomaly_group = Group.start([spec], {**p, "data_key": ui.data_key(data)})


def auc_ui(scores: dict, anomalous: np.ndarray) -> dict[str, float]:
    """The ROC-AUC table, best first, with an honest line when a baseline wins."""
    aucs = anomaly.auc_table({m: s for m, s in scores.items() if m != "train"}, anomalous)
    table = pd.DataFrame({"method": list(aucs), "ROC-AUC": list(aucs.values())}).sort_values("ROC-AUC", ascending=False)
    st.dataframe(table, hide_index=True, width="content", column_config={"ROC-AUC": st.column_config.NumberColumn(format="%.4f")})
    best = table.iloc[0]["method"]
    if best not in ("autoencoder", "VAE −ELBO"):
        st.info(f"**{best}** wins on this split. Baselines are strong on small or simple data; try more epochs, "
                "another bottleneck size, or other normal classes.")
    return aucs


@st.fragment
def threshold_ui(data, scores: dict, aucs: dict, anomalous: np.ndarray, run_id: str) -> None:
    """Threshold slider with the histogram, the metrics and the ROC point it gives (only this panel reruns)."""
    names = [m for m in ("autoencoder", "VAE −ELBO") if m in scores]
    score_name = st.radio("Score", names, horizontal=True, key="anomaly_score") if len(names) > 1 else names[0]
    s = scores[score_name]
    train = scores["train"] if score_name == "autoencoder" else None
    lo, hi = float(s.min()), float(s.max())
    default = float(np.quantile(train, 0.95)) if train is not None else float(np.quantile(s, 0.9))
    threshold = st.slider("Threshold", lo, hi, float(np.clip(default, lo, hi)), (hi - lo) / 500 or 1e-6,
                          key=f"anomaly_threshold_{run_id}_{score_name}", format="%.4g",
                          help="Samples scoring at or above it are flagged. It starts where 5% of the normal "
                               "training samples would be flagged.")
    at = anomaly.at_threshold(s, anomalous, threshold)
    c = st.columns(4)
    c[0].metric("Flagged", f"{at.flagged:,} of {len(s):,}")
    c[1].metric("Precision", "–" if np.isnan(at.precision) else f"{at.precision:.1%}",
                help="Of the flagged samples, the fraction that really are anomalies.")
    c[2].metric("Recall", f"{at.recall:.1%}", help="Of the anomalies, the fraction flagged.")
    c[3].metric("False alarms", f"{at.false_positive_rate:.1%}", help="Of the normal samples, the fraction flagged.")
    left, right = st.columns(2)
    y = data.y_test.numpy()
    left.plotly_chart(plots.score_histogram(s, y, data.label_names, threshold, score_name), width="stretch",
                      key="anomaly_hist", config=ui.chart_config("anomaly-scores"))
    curves = {m: anomaly.roc_curve(scores[m], anomalous)[:2] for m in aucs}
    right.plotly_chart(plots.roc(curves, aucs, (at.false_positive_rate, at.recall) if score_name in curves else None),
                       width="stretch", key="anomaly_roc", config=ui.chart_config("anomaly-roc"))


def gallery_ui(data, s: np.ndarray, anomalous: np.ndarray) -> None:
    """The highest-scoring test samples, with their true class."""
    idx = anomaly.most_anomalous(s, GALLERY)
    x = data.x_test[idx]
    hits = int(anomalous[idx].sum())
    st.caption(f"{hits} of these {len(idx)} are true anomalies. Labels: "
               + ", ".join(f"#{i} {data.label_names[int(data.y_test[i])]}" for i in idx))
    if data.kind == "image":
        ui.show_images(x, data.value_range, ncols=8, scale=ui.image_scale(2))
    else:
        st.plotly_chart(line_groups([x[:8].numpy()], ["the 8 highest scores"], gradient=False), width="stretch",
                        key="anomaly_gallery")


def page() -> None:
    ui.model_banner()
    st.title("Anomaly detection")
    st.markdown(INTRO)
    data = ui.current_data()
    if data is None:
        return
    if data.y_train is None or data.y_test is None or data.n_classes < 2:
        st.warning(f"{data.title} has no labels, so there is no way to say which samples are normal or to score "
                   "the detector. Upload a file with a label column (e.g. ODDS cardio.csv) or pick a built-in.")
        return
    p = settings_ui(data)
    if p is not None:
        start(data, p)
    group = ui.finished_group("anomaly_group", data, button="Train on normal samples",
                              hint="Choose the normal classes and press **Train on normal samples**.")
    if group is None:
        return
    p = group.params
    run = group.runs["autoencoder"]
    normal = p["normal"]
    anomalous = anomaly.is_anomaly(data.y_test, list(normal))
    st.caption(f"Normal: {', '.join(data.label_names[c] for c in normal)} · trained on "
               f"{len(group.specs[0].data.x_train):,} normal samples · {p['variant']}, bottleneck {p['k']}, "
               f"{p['epochs']} epochs · scoring {len(anomalous):,} test samples, {int(anomalous.sum()):,} anomalies.")
    if anomalous.all() or not anomalous.any():
        st.warning("The test split has only one kind of sample (all normal or all anomalous), so ROC is undefined.")
        return
    scores = scores_for(run.id, ui.data_key(data), normal, run.model.eval(), data)
    st.subheader("How well each method separates normal from anomalous")
    aucs = auc_ui(scores, anomalous)
    st.subheader("Choose a threshold")
    threshold_ui(data, scores, aucs, anomalous, run.id)
    st.subheader("The most anomalous test samples")
    gallery_ui(data, scores["autoencoder"], anomalous)


page()
