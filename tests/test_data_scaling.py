"""Tables are standardised, and anomaly detection refits that scaling on the normal training rows only, so no
method's features are scaled with statistics that include the anomalies it should find."""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
import torch

from aecore.apps import anomaly
from aecore.data import DataLimits, Dataset, load_dataset, load_file

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"


def npz(**arrays: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def table(seed: int = 0) -> tuple[dict, Dataset]:
    """60/20 rows of 3 features; class 1 rows sit far away, so statistics with and without them differ."""
    rng = np.random.default_rng(seed)
    y, y_test = np.arange(60) % 4 == 0, np.arange(20) % 4 == 0
    x, x_test = (rng.normal(size=(n, 3)) * [1, 2, 3] + 10 * labels[:, None] for n, labels in ((60, y), (20, y_test)))
    raw = dict(x=x, y=y.astype(int), x_test=x_test, y_test=y_test.astype(int))
    return raw, load_file(npz(**raw), "table.npz", DataLimits())


def breast_cancer():
    """scikit-learn's Wisconsin breast cancer table as a user would upload it (benign, the majority, is normal)."""
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer()
    rows = [",".join([*(f"f{i}" for i in range(30)), "label"])]
    rows += [",".join([*(repr(float(v)) for v in x), str(int(t))]) for x, t in zip(data.data, data.target)]
    return load_file(("\n".join(rows) + "\n").encode(), "breast_cancer.csv", DataLimits())


def test_restandardise_uses_only_the_given_rows_for_both_splits():
    raw, ds = table()
    normal = ds.y_train == 0
    fair = ds.restandardise(normal)
    fit = raw["x"][raw["y"] == 0]
    mean, std = fit.mean(0), fit.std(0)
    assert np.allclose(fair.x_train.numpy(), (raw["x"] - mean) / std, atol=1e-5)
    assert np.allclose(fair.x_test.numpy(), (raw["x_test"] - mean) / std, atol=1e-5)
    assert fair.value_range == (min(float(fair.x_train.min()), float(fair.x_test.min())),
                                max(float(fair.x_train.max()), float(fair.x_test.max())))
    assert fair.provenance == ds.provenance  # the same data as loaded, scaled another way


def test_images_and_sequences_are_never_rescaled():
    sines = load_dataset("sines")
    assert sines.scaling is None and sines.restandardise(sines.y_train == 0) is sines


def test_normal_only_and_score_all_scale_by_the_normal_rows():
    _, ds = table()
    normal = anomaly.normal_only(ds, [0]).x_train
    assert torch.allclose(normal.mean(0), torch.zeros(3), atol=1e-5)
    assert torch.allclose(normal.std(0, unbiased=False), torch.ones(3), atol=1e-4)


@pytest.mark.slow  # imports scikit-learn and builds a model
@pytest.mark.parametrize("name, at_least", [("breast_cancer", 0.90), ("cardio", 0.965)])
def test_pca4_on_tables_is_scored_fairly(name, at_least):
    """The issue measured PCA-4 at 0.855 (breast cancer) and 0.96 (ODDS cardio) with the anomalies in the scaling."""
    from aecore.train import new_run

    if name == "cardio":
        path = SHARED / "odds_anomaly" / "cardio.csv"
        if not path.exists():
            pytest.skip(f"{path} not present")
        data = load_dataset(str(path))
    else:
        data = breast_cancer()
    normal = anomaly.default_normal(data)
    variant, model, train = anomaly.recipe(data.kind, latent_dim=4)
    run = new_run(anomaly.normal_only(data, normal), model, train, variant)  # untrained: only the baselines matter
    aucs = anomaly.auc_table(anomaly.score_all(run.model, data, normal), anomaly.is_anomaly(data.y_test, normal))
    assert aucs["PCA-4"] >= at_least
