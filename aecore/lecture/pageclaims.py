"""Each application page's default is a claim: what the page trains when a student presses its button without
touching the form, and what its text promises about the result, checked like a lesson's claim.

    result = check_page("imputation", load_dataset("mnist"))
    result.passed, result.values   # {"mean fill": {"hidden_mse": 0.0637}, "autoencoder": {"hidden_mse": 0.0219}}

The claims are data (assets/claims/<page>.json, in aecore.lecture.claims's format with "app"); the page's defaults are
built here once (`page_default`), and the pages read their widgets' defaults from the same objects.
"""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ..apps import (AnomalyDetection, Compression, Denoising, FeatureComparison, Imputation, Schedule,
                   SequenceReconstruction, run)
from ..apps import sequences
from .claims import Claim, LessonCheck, parse_claim
from ..data.dataset import Dataset

FEATURES_TEST = 2000   # the Features page scores this many test samples: k-NN on all 10,000 is slow, same story


def opening(app, data: Dataset, seed: int):
    """`app` with the epochs its own recipe gives for `data` written into its schedule, for the form to show: the
    same number its CLI subcommand trains when --epochs is not given (apps.experiment.FromRecipe)."""
    return replace(app, schedule=Schedule(app.train_config(data).epochs, seed=seed))


# page -> (the claim's app, the object the page's form opens with for this data and seed)
DEFAULTS: dict[str, tuple[str, Callable[[Dataset, int], Any]]] = {
    "denoise": ("denoise", lambda d, s: opening(Denoising(), d, s)),
    "anomaly": ("anomaly", lambda d, s: AnomalyDetection(schedule=Schedule(seed=s))),
    "compression": ("compress", lambda d, s: opening(Compression((2, 8, 32), 8), d, s)),
    "features": ("features", lambda d, s: opening(FeatureComparison(max_test=FEATURES_TEST), d, s)),
    "imputation": ("impute", lambda d, s: opening(Imputation(), d, s)),
    "sequences": ("sequences", lambda d, s: SequenceReconstruction(schedule=Schedule(sequences.TRAIN.epochs, seed=s))),
}


def page_default(page: str, data: Dataset, seed: int = 0):
    """The application object `pages/<page>.py` trains when its form is left as it opens."""
    return DEFAULTS[page][1](data, seed)


def load_page_claims(folder: str | Path) -> dict[tuple[str, str | None], Claim]:
    """(page, dataset name or None) -> the claim of the page's default, from <folder>/<page>.json, or from
    <page>.<dataset>.json for what the page honestly shows on that data only (ValueError naming the file)."""
    claims = {}
    for path in sorted(Path(folder).glob("*.json")):
        page, _, dataset = path.stem.partition(".")
        if page not in DEFAULTS:
            raise ValueError(f"{path.name}: no application page is called {page!r} ({', '.join(DEFAULTS)})")
        claim = parse_claim(json.loads(path.read_text()))
        if claim.app != DEFAULTS[page][0]:
            raise ValueError(f"{path.name}: the {page} page's claim must name app {DEFAULTS[page][0]!r}")
        claims[page, dataset or None] = claim
    return claims


def claim_for(claims: dict[tuple[str, str | None], Claim], page: str, data: Dataset) -> Claim:
    """The claim a page's default makes on this data: its own for the data's name, else the page's."""
    return claims.get((page, data.name)) or claims[page, None]


def check_page(page: str, claim: Claim, data: Dataset, seed: int = 0):
    """Train the page's default models on `data`, measure, and check the claim (a LessonCheck)."""
    exp = page_default(page, data, seed)
    values = measure(exp, run(exp, data), data)
    return LessonCheck(f"the {page} page's default", data.title, values,
                       [(c.describe(), c.holds(values)) for c in claim.checks])


def measure(exp, result, data: Dataset) -> dict[str, dict[str, float]]:
    """method -> metric -> value, in the names claims use (aecore.lecture.claims.APPS), for any application's result."""
    if isinstance(exp, Denoising):
        return {m: {"psnr": v} for m, v in result.at(exp.level).items()}
    if isinstance(exp, AnomalyDetection):
        return {m: {"roc_auc": v} for m, v in result.aucs.items()}
    if isinstance(exp, Compression):
        return {f"{r['method']} {r['size']}": {"psnr": r["psnr"]} for r in result.sweep}
    if isinstance(exp, FeatureComparison):
        return {feature_run(r, len(data.x_train)): {"accuracy": r["accuracy"]} for r in result}
    if isinstance(exp, Imputation):
        return {"mean fill": {"hidden_mse": result.baseline}, "autoencoder": {"hidden_mse": result.final}}
    if isinstance(exp, SequenceReconstruction):
        return {**sequence_runs(result.errors, data), **sequence_runs(result.baseline, data, "PCA, ")}
    raise TypeError(f"no claim metrics for {type(exp).__name__}")


def feature_run(row: dict, n_train: int) -> str:
    """'code, k-NN (k=5), 100 labels': a Features row's name in a claim, the same on every dataset."""
    kind = {"autoencoder": "code", "PCA": "PCA", "raw": "raw"}[row["features"].split()[0]]
    labels = "all" if row["labels"] == n_train else f"{row['labels']}"
    return f"{kind}, {row['classifier']}, {labels} labels"


def sequence_runs(errors: np.ndarray, data: Dataset, prefix: str = "") -> dict[str, dict[str, float]]:
    """The mean error per value of the most common training class's test sequences, and of all the others."""
    y = data.y_test.numpy()
    common = int(np.bincount(data.y_train.numpy()).argmax())
    return {f"{prefix}most common class": {"mean_error": float(errors[y == common].mean())},
            f"{prefix}other classes": {"mean_error": float(errors[y != common].mean())}}
