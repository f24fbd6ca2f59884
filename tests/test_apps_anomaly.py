"""aecore.apps.anomaly and .roc: ROC maths against scikit-learn, thresholds, the one-class split, and every score."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.metrics import roc_auc_score, roc_curve as sk_roc_curve

from aecore.apps import anomaly, roc
from helpers import make_images, make_sequences, trained_run


def test_perfect_reversed_and_constant_scores():
    labels = np.array([0, 0, 1, 1, 0, 1], bool)
    perfect = labels.astype(float) + 0.1 * np.arange(6)
    assert roc.roc_auc(perfect, labels) == 1.0 == roc_auc_score(labels, perfect)
    assert roc.roc_auc(-perfect, labels) == 0.0
    assert roc.roc_auc(np.ones(6), labels) == 0.5       # all tied: the diagonal


@pytest.mark.parametrize("seed", range(5))
def test_auc_and_curve_match_sklearn_with_ties(seed):
    rng = np.random.default_rng(seed)
    labels = rng.random(300) < 0.3
    scores = np.round(rng.normal(size=300) + labels, 1)     # rounding makes many ties
    assert roc.roc_auc(scores, labels) == pytest.approx(roc_auc_score(labels, scores), abs=1e-12)
    fpr, tpr, thr = roc.roc_curve(scores, labels)
    sk_fpr, sk_tpr, _ = sk_roc_curve(labels, scores, drop_intermediate=False)
    assert np.allclose(fpr, sk_fpr) and np.allclose(tpr, sk_tpr)
    assert thr[0] == np.inf and np.all(np.diff(thr) < 0)


def test_roc_needs_both_classes():
    with pytest.raises(ValueError, match="both normal and anomalous"):
        roc.roc_auc(np.arange(4.0), np.zeros(4, bool))


def test_precision_recall_at_threshold():
    scores = np.array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6])
    labels = np.array([0, 0, 1, 0, 1, 1], bool)
    at = roc.at_threshold(scores, labels, 0.35)           # flags 0.4, 0.5, 0.6: two of three are anomalies
    assert (at.flagged, at.precision, at.recall, at.false_positive_rate) == (3, pytest.approx(2 / 3), pytest.approx(2 / 3), pytest.approx(1 / 3))
    none = roc.at_threshold(scores, labels, 1.0)
    assert none.flagged == 0 and np.isnan(none.precision) and none.recall == 0.0


def test_most_anomalous_is_highest_first():
    assert roc.most_anomalous(np.array([0.3, 0.9, 0.1, 0.5]), 3).tolist() == [1, 3, 0]


def test_normal_only_keeps_normal_training_samples_and_the_whole_test_split():
    data = make_images()
    normal = anomaly.normal_only(data, [1])
    assert set(normal.y_train.tolist()) == {1} and len(normal.x_train) == int((data.y_train == 1).sum())
    assert torch.equal(normal.x_test, data.x_test)
    assert anomaly.is_anomaly(torch.tensor([0, 1, 2]), [1]).tolist() == [True, False, True]
    with pytest.raises(ValueError, match="every class"):
        anomaly.normal_only(data, [0, 1, 2])
    with pytest.raises(ValueError, match="at least one"):
        anomaly.normal_only(data, [])


def test_default_normal_is_the_most_frequent_class():
    data = make_images()
    assert anomaly.default_normal(data) == [int(torch.bincount(data.y_train).argmax())]


def test_recon_scores_are_per_sample_mse():
    run, data = trained_run("vanilla", latent_dim=2, epochs=1)
    x = data.x_test[:5]
    expected = (x - run.model(x).detach()).square().flatten(1).mean(1)
    assert np.allclose(anomaly.recon_scores(run.model, x), expected.numpy(), atol=1e-6)


def test_elbo_scores_are_positive_nats_and_only_for_vaes():
    run, data = trained_run("vae", latent_dim=2, epochs=1)
    scores = anomaly.elbo_scores(run.model, data.x_test)
    assert scores.shape == (len(data.x_test),) and (scores > 0).all()
    assert np.array_equal(scores, anomaly.elbo_scores(run.model, data.x_test))   # seeded: reproducible
    vanilla, _ = trained_run("vanilla", epochs=1)
    with pytest.raises(ValueError, match="only VAEs"):
        anomaly.elbo_scores(vanilla.model, data.x_test)


def test_pca_scores_are_zero_on_the_fitted_subspace():
    x = torch.randn(50, 2) @ torch.randn(2, 6)           # rank 2 data
    assert np.allclose(anomaly.pca_scores(x, x, 2), 0, atol=1e-8)
    off = x[:5] + 3 * torch.randn(5, 6)
    assert (anomaly.pca_scores(x, off, 2) > 0.1).all()


def test_score_all_has_every_method_and_finite_aucs():
    run, data = trained_run("vae", latent_dim=2, epochs=1)
    scores = anomaly.score_all(run.model, data, [0])
    assert list(scores) == ["autoencoder", "VAE −ELBO", "PCA-2", "Isolation Forest"]
    aucs = roc.auc_table(scores, anomaly.is_anomaly(data.y_test, [0]))
    assert all(0.0 <= a <= 1.0 for a in aucs.values())


def test_sequences_work_with_the_lstm():
    data = make_sequences()
    run, _ = trained_run("lstm", latent_dim=2, epochs=1)
    scores = anomaly.score_all(run.model, data, [0])
    assert scores["autoencoder"].shape == (len(data.x_test),)
