"""Features: are an autoencoder's codes useful inputs for a classifier when labels are scarce?

Logistic regression and k-NN are trained on a few labelled training samples (balanced across classes),
using the codes, PCA codes of the same size, or the raw values, and scored on the test split.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from .. import infer
from ..models import Autoencoder
from .baselines import fit_pca

BUDGETS = (100, 1000, None)        # labelled training samples; None = all of them
CLASSIFIERS = ("logistic regression", "k-NN (k=5)")
LATENT_DIM = 16                    # the code size compared with PCA codes of the same size


def labelled_subset(y: Tensor, n: int | None, seed: int = 0) -> np.ndarray:
    """Indices of n training samples, as balanced across classes as possible (None: all), in a seeded order."""
    y = np.asarray(y)
    order = np.random.default_rng(seed).permutation(len(y))
    if n is None or n >= len(y):
        return order
    by_class = [order[y[order] == c] for c in np.unique(y)]
    picked = [idx[r] for r in range(max(len(i) for i in by_class)) for idx in by_class if r < len(idx)]  # round robin
    return np.asarray(picked[:n])


def feature_sets(model: Autoencoder, x_train: Tensor, x_test: Tensor) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """(train, test) features: the autoencoder's code, PCA of the same size fit on x_train, and the raw values."""
    k = model.config.latent_dim
    pca = fit_pca(x_train, k)
    return {
        f"autoencoder code ({k}-d)": (infer.encode_all(model, x_train).numpy(), infer.encode_all(model, x_test).numpy()),
        f"PCA ({k}-d)": (pca.transform(x_train).numpy(), pca.transform(x_test).numpy()),
        f"raw values ({x_train[0].numel()}-d)": (x_train.flatten(1).numpy(), x_test.flatten(1).numpy()),
    }


def accuracy(train: np.ndarray, y_train: np.ndarray, test: np.ndarray, y_test: np.ndarray, classifier: str) -> float:
    """Test accuracy of one classifier fit on (train, y_train); features are standardised on the train set."""
    from sklearn.linear_model import LogisticRegression   # imported here: sklearn takes a second to import
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if classifier == "logistic regression":
        clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))
    elif classifier == CLASSIFIERS[1]:
        clf = make_pipeline(StandardScaler(), KNeighborsClassifier(n_neighbors=min(5, len(train))))
    else:
        raise ValueError(f"classifier must be one of {', '.join(CLASSIFIERS)}; got {classifier!r}")
    return float((clf.fit(train, y_train).predict(test) == y_test).mean())


def accuracy_rows(features: dict[str, tuple[np.ndarray, np.ndarray]], y_train: Tensor, y_test: Tensor,
                  budgets: tuple[int | None, ...] = BUDGETS, classifiers: tuple[str, ...] = CLASSIFIERS,
                  seed: int = 0) -> list[dict]:
    """Rows {features, classifier, labels, accuracy}: every feature set x classifier x label budget."""
    y_tr, y_te = np.asarray(y_train), np.asarray(y_test)
    rows = []
    for budget in budgets:
        idx = labelled_subset(y_tr, budget, seed)
        for name, (train, test) in features.items():
            for clf in classifiers:
                rows.append({"features": name, "classifier": clf, "labels": len(idx),
                             "accuracy": accuracy(train[idx], y_tr[idx], test, y_te, clf)})
    return rows
