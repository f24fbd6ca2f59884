"""aecore.apps.features: balanced label budgets, classifier accuracy, the comparison table."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from helpers import trained_run

from aecore.apps import features


def test_labelled_subset_is_balanced_and_seeded():
    y = torch.tensor([0] * 50 + [1] * 30 + [2] * 20)
    idx = features.labelled_subset(y, 30, seed=0)
    assert len(idx) == 30 and len(set(idx.tolist())) == 30
    assert np.bincount(y.numpy()[idx]).tolist() == [10, 10, 10]
    assert np.array_equal(idx, features.labelled_subset(y, 30, seed=0))
    assert sorted(features.labelled_subset(y, None).tolist()) == list(range(100))


def test_accuracy_on_separable_data_is_one():
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1, 2], 20)
    x = rng.normal(size=(60, 3)) * 0.1 + np.eye(3)[y] * 5
    for clf in features.CLASSIFIERS:
        assert features.accuracy(x, y, x, y, clf) == 1.0
    with pytest.raises(ValueError, match="classifier must be one of"):
        features.accuracy(x, y, x, y, "svm")


def test_accuracy_rows_cover_every_combination():
    run, data = trained_run("vanilla", latent_dim=4, epochs=1)
    sets = features.feature_sets(run.model, data.x_train, data.x_test)
    assert list(sets) == ["autoencoder code (4-d)", "PCA (4-d)", "raw values (64-d)"]
    assert sets["PCA (4-d)"][0].shape == (len(data.x_train), 4)
    rows = features.accuracy_rows(sets, data.y_train, data.y_test, budgets=(30, None))
    assert len(rows) == 2 * 3 * 2
    assert {r["labels"] for r in rows} == {30, len(data.x_train)}
    raw_all = [r["accuracy"] for r in rows if r["features"].startswith("raw") and r["labels"] > 30]
    assert min(raw_all) > 0.9      # the bars are easy from their pixels: the table's numbers are real


def test_torch_classifiers_match_scikit_learns():
    """aecore.apps.classifiers fits scikit-learn's objective (logistic regression, C = 1, standardised) and votes
    as its k-NN: on the 8x8 digits, the same k-NN predictions and logistic regression within 0.01."""
    from sklearn.datasets import load_digits
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from aecore.apps import classifiers
    x, y = load_digits(return_X_y=True)
    train, test = classifiers.standardised(x[:1000], x[1000:])
    knn = make_pipeline(StandardScaler(), KNeighborsClassifier(5)).fit(x[:1000], y[:1000]).predict(x[1000:])
    assert np.array_equal(classifiers.nearest_neighbours(train, y[:1000], test), knn)
    ours = (classifiers.logistic_regression(train, y[:1000], test) == y[1000:]).mean()
    theirs = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)).fit(x[:1000], y[:1000])
    assert abs(ours - theirs.score(x[1000:], y[1000:])) < 0.01, ours


def test_features_constant_on_the_train_set_change_no_prediction():
    """`standardised` leaves out what does not vary on the train set (MNIST's border pixels): both classifiers
    predict exactly as with those columns kept at scale 1, as before, even where the test set varies there."""
    from aecore.apps import classifiers
    g = np.random.default_rng(0)
    train, test = g.normal(size=(300, 12)), g.normal(size=(80, 12))
    train[:, [0, 5]] = 0.0
    test[:, [0, 5]] = g.normal(size=(80, 2))
    y = (train[:, 1] + train[:, 2] > 0).astype(int) + (train[:, 3] > 1)
    kept_train, kept_test = classifiers.standardised(train, test)
    assert kept_train.shape == (300, 10) and kept_test.shape == (80, 10)
    t, u = torch.tensor(train, dtype=torch.float32), torch.tensor(test, dtype=torch.float32)
    mean, std = t.mean(0), t.std(0, unbiased=False)
    std = torch.where(std > 0, std, torch.ones_like(std))
    whole_train, whole_test = (t - mean) / std, (u - mean) / std
    for fit in (classifiers.logistic_regression, classifiers.nearest_neighbours):
        assert np.array_equal(fit(kept_train, y, kept_test), fit(whole_train, y, whole_test)), fit.__name__
