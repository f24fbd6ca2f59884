"""Each application's default run shows its concept on the default data (the embedded 5k digits) and on full MNIST
or ECG5000 where they are present. Denoising's is a lesson claim (tests/test_lessons.py: the denoising lesson)."""
from __future__ import annotations

import numpy as np
import pytest
from helpers import ON_MNIST, one_thread, shared_dataset

from aecore.apps import Compression, FeatureComparison, SequenceReconstruction, run
from aecore.apps.experiment import Schedule
from aecore.data import load_dataset

PAGE_TEST = 2000   # pages/features.py scores this many test samples
pytestmark = pytest.mark.usefixtures("trained_once")   # conftest: a recipe on the same data trains once a session


@pytest.fixture(autouse=True)
def single_thread():
    with one_thread():
        yield


def code_wins(rows: list[dict], labels: int) -> dict[str, tuple[float, float]]:
    """classifier -> (the code's accuracy, the best baseline's) with this many labels."""
    out = {}
    for clf in dict.fromkeys(r["classifier"] for r in rows):
        at = [r for r in rows if r["classifier"] == clf and r["labels"] == labels]
        code = next(r["accuracy"] for r in at if r["features"].startswith("autoencoder"))
        out[clf] = (code, max(r["accuracy"] for r in at if not r["features"].startswith("autoencoder")))
    return out


@pytest.mark.slow
@pytest.mark.parametrize("which", ON_MNIST)
def test_features_codes_beat_pca_and_pixels_with_100_labels(which, request):
    """Measured: embedded 0.794 / 0.763 against at best 0.761 / 0.649; full MNIST (3 epochs) 0.767 / 0.716
    against 0.728 / 0.535 (logistic regression / k-NN) on the machine that wrote this test. Which 100 samples are
    labelled is drawn from the seed and moves the raw pixels' score by 0.05; on today's machine seed 0 gave the
    code 0.737 against 0.728 and seed 1 0.722 against 0.678: the margin is asked of the mean over two draws."""
    data = request.getfixturevalue(which)
    margins: dict[str, list[float]] = {}
    for seed in (0, 1):
        exp = FeatureComparison(budgets=(100, 1000), max_test=PAGE_TEST, schedule=Schedule(seed=seed))
        rows = run(exp, data)
        for clf, (code, best) in code_wins(rows, 100).items():
            margins.setdefault(clf, []).append(code - best)
        assert exp.verdict(rows).startswith(("The code beats", "With 100 labels the code beats")), exp.verdict(rows)
    for clf, m in margins.items():
        assert np.mean(m) > 0.01, (clf, m)


def test_features_verdict_is_honest_when_the_code_loses():
    rows = [{"features": f, "classifier": "k-NN (k=5)", "labels": n, "accuracy": a}
            for n, accs in ((100, (0.5, 0.6, 0.7)), (1000, (0.8, 0.85, 0.9)))
            for f, a in zip(("autoencoder code (2-d)", "PCA (2-d)", "raw values (784-d)"), accs)]
    text = FeatureComparison().verdict(rows)
    assert text.startswith("Here the code does not help") and "raw values (784-d) with k-NN (k=5) (0.700" in text


@pytest.mark.slow
def test_sequences_rebuild_normal_beats_far_better_than_the_rest():
    """Measured at the default 20 epochs: normal 0.319 against 0.708 for the other classes (seeds 1, 2 alike);
    the LSTM recipe's 100 epochs gave 0.241 against 0.192."""
    data = load_dataset("ecg5000", data_dir=str(shared_dataset("ecg5000").parent), allow_download=False)
    errors, y = run(SequenceReconstruction(), data).errors, data.y_test.numpy()
    normal = int(np.bincount(data.y_train.numpy()).argmax())
    assert errors[y == normal].mean() < 0.6 * errors[y != normal].mean()


@pytest.mark.slow
@pytest.mark.parametrize("which, sizes", [("embedded_mnist", Compression().sizes),
                                           pytest.param("full_mnist", (2, 8, 16), marks=pytest.mark.heavy)])
def test_compression_codes_beat_pca_with_few_numbers(which, sizes, request):
    """Measured on the embedded digits (dB, AE / PCA): 2: 13.6 / 12.5, 8: 16.3 / 14.3, 16: 16.9 / 15.9; PCA wins
    from 32 numbers on, which the sweep shows too."""
    data = request.getfixturevalue(which)
    exp = Compression(sizes=tuple(sizes), qualities=(5, 50))
    result = run(exp, data)
    psnr = {(r["method"], r["size"]): r["psnr"] for r in result.sweep}
    for size in (s for s in sizes if s <= 16):
        assert psnr["autoencoder", size] > psnr["PCA", size] + 0.5, (size, psnr)
    ae8, jpeg = result.jpeg_match()
    assert ae8["bytes"] < jpeg["bytes"]   # the 8-bit code is smaller than even the smallest JPEG


def test_features_verdict_names_every_baseline_that_ties_or_beats_the_code():
    """The issue's screen: with all labels PCA's k-NN 0.962 beat the code's 0.952 while the verdict named only the
    raw values' logistic-regression tie (0.902 each), as a baseline that "catches up"."""
    acc = {(100, "logistic regression"): (0.80, 0.70, 0.75), (100, "k-NN (k=5)"): (0.78, 0.70, 0.65),
           (60000, "logistic regression"): (0.902, 0.880, 0.902), (60000, "k-NN (k=5)"): (0.952, 0.962, 0.950)}
    rows = [{"features": f, "classifier": clf, "labels": n, "accuracy": a} for (n, clf), accs in acc.items()
            for f, a in zip(("autoencoder code (32-d)", "PCA (32-d)", "raw values (784-d)"), accs)]
    text = FeatureComparison().verdict(rows)
    assert text.startswith("With 100 labels the code beats") and "catches up" not in text
    pca = text.index("PCA (32-d) with k-NN (k=5) (0.962 against the code's 0.952)")
    assert pca < text.index("raw values (784-d) with logistic regression (0.902 against the code's 0.902, a tie)")


def _images(n_train: int):
    import torch

    from aecore.data.dataset import Dataset
    x = torch.zeros(n_train + 10, 1, 2, 2)
    return Dataset("tiny", "Tiny", x[:n_train], None, x[n_train:], None, "image")


@pytest.mark.parametrize("n_train", [100, 10_001])   # the small-data rule's two sides (apps.experiment.SMALL_DATA)
def test_the_page_and_the_cli_default_to_the_same_epochs(n_train):
    """One source (issue 21): each page opens its form on the epochs its application object's recipe gives for the
    data, and the CLI subcommand without --epochs trains that very number. The claims were measured with 3 epochs
    for Compression, Features and Imputation on full MNIST and 5 for Denoising, 20 on the 5k digits."""
    from aecore.cli import build_parser
    from aecore.cli.apps import compression, denoising, feature_comparison
    from aecore.cli.rebuild import imputation
    from aecore.lecture.pageclaims import page_default

    data = _images(n_train)
    cli = {"denoise": ("denoise", denoising), "compression": ("compress", compression),
           "features": ("features", feature_comparison), "imputation": ("impute", imputation)}
    full = {"denoise": 5, "compression": 3, "features": 3, "imputation": 3}
    for page, (command, build) in cli.items():
        args = build_parser().parse_args([command, "--dataset", "digits"])
        page_epochs = page_default(page, data).schedule.epochs
        assert build(args).train_config(data).epochs == page_epochs == (20 if n_train <= 10_000 else full[page]), page
