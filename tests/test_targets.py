"""The issue's targets on the real datasets, with every baseline printed (run `pytest -s tests/test_targets.py`).

Denoising (full MNIST, gaussian sigma 0.5): the denoising AE reaches >= 17.4 dB, +8 dB over the noisy input.
One-class MNIST (each digit normal in turn, all 10,000 test images scored): mean ROC-AUC >= 0.96, above PCA-16.
ECG5000 (normal beats of TRAIN, every TEST beat scored): ROC-AUC >= 0.99, above PCA-4.
The baselines must reproduce the issue author's measurements, which pins down the conventions (PSNR pooled over
all values after clipping; PCA fit on the clean / normal training samples; Isolation Forest with defaults).
Budget: about 3 minutes of one CPU core (one-layer MLPs, few epochs; see the recipes in aecore.apps).
"""
from __future__ import annotations

import time
from dataclasses import replace

import numpy as np
import pytest
import torch

from aecore import jobs
from aecore.apps import anomaly, denoise, roc
from aecore.apps.baselines import fit_pca, median_filter
from aecore.config import TrainConfig
from aecore.data import load_dataset
from aecore.jobs import ModelSpec
from helpers import shared_dataset

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("trained_once")]   # conftest: each recipe trains once


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """One torch thread, as aecore.jobs uses per job: on a busy 2-core machine two OpenMP threads spin at every
    barrier and these small models trained ~10x slower; on an idle one, one thread costs little here."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def real(name: str):
    data = load_dataset(name, data_dir=str(shared_dataset(name)), allow_download=False)
    assert data.source.startswith("local"), f"{name} must be the full local copy, got {data.source}"
    return data


@pytest.fixture(scope="module")
def mnist():
    return real("mnist")


@pytest.mark.heavy   # full MNIST: .ci/run runs it after the full run
def test_denoising_ae_gains_8_db_at_sigma_half(mnist):
    t0 = time.perf_counter()
    x, vr = mnist.x_test, mnist.value_range
    noisy = denoise.add_noise(x, "gaussian", 0.5, vr, seed=0)
    base = {"noisy input": denoise.psnr(x, noisy, vr), "median filter 3x3": denoise.psnr(x, median_filter(noisy), vr),
            "PCA-64": denoise.psnr(x, fit_pca(mnist.x_train, 64).reconstruct(noisy), vr)}
    cfg = denoise.denoiser_configs("gaussian", 0.5, latent_dim=64, hidden=denoise.HIDDEN)["denoising AE"]
    run = jobs.train_all([ModelSpec("dae", mnist, cfg, denoise.TRAIN)])["dae"]
    dae = denoise.psnr(x, denoise.methods({"dae": run.model})["dae"](noisy), vr)
    print(f"\nDenoising, MNIST test, gaussian sigma 0.5 (PSNR dB): "
          + ", ".join(f"{k} {v:.2f}" for k, v in base.items()) + f", denoising AE {dae:.2f} "
          f"({time.perf_counter() - t0:.0f} s)")
    # the issue author's baselines: 9.4 / 14.1 / 15.2 dB, reproduced by this PSNR convention
    assert base["noisy input"] == pytest.approx(9.4, abs=0.05)
    assert base["median filter 3x3"] == pytest.approx(14.1, abs=0.05)
    assert base["PCA-64"] == pytest.approx(15.2, abs=0.05)
    assert dae >= 17.4 and dae >= base["noisy input"] + 8


@pytest.mark.heavy   # ten models on full MNIST
def test_mnist_one_class_mean_auc_beats_pca16(mnist):
    t0 = time.perf_counter()
    rows = anomaly.AnomalyDetection().one_class(mnist)   # the image recipe, as `python -m aecore anomaly --one-class`
    methods = [k for k in rows[0] if k != "normal"]
    mean = {m: float(np.mean([r[m] for r in rows])) for m in methods}
    print(f"\nOne-class MNIST ROC-AUC by normal digit ({time.perf_counter() - t0:.0f} s):")
    for r in rows:
        print(f"  {r['normal']}: " + ", ".join(f"{m} {r[m]:.4f}" for m in methods))
    print("  mean: " + ", ".join(f"{m} {v:.4f}" for m, v in mean.items()))
    assert mean["PCA-16"] == pytest.approx(0.954, abs=0.002)              # the issue author's baselines
    assert mean["Isolation Forest"] == pytest.approx(0.858, abs=0.01)
    assert mean["autoencoder"] >= 0.96 and mean["autoencoder"] > mean["PCA-16"]


def test_ecg5000_auc_beats_pca4():
    t0 = time.perf_counter()
    data = real("ecg5000")
    variant, model, train = anomaly.recipe("sequence")
    normal = [0]                                                            # class 1: normal beats
    run = jobs.train_all([ModelSpec("ae", anomaly.normal_only(data, normal), model, train, variant)])["ae"]
    aucs = anomaly.auc_table(anomaly.score_all(run.model, data, normal), anomaly.is_anomaly(data.y_test, normal))
    print(f"\nECG5000 ROC-AUC ({variant}, {model.latent_dim}-d code, {time.perf_counter() - t0:.0f} s): "
          + ", ".join(f"{m} {a:.4f}" for m, a in aucs.items()))
    assert aucs["PCA-4"] == pytest.approx(0.986, abs=0.001)                 # the issue author's baselines
    assert aucs["Isolation Forest"] == pytest.approx(0.948, abs=0.002)
    assert aucs["autoencoder"] >= 0.99 and aucs["autoencoder"] > aucs["PCA-4"]


def test_ecg5000_lstm_is_measured_too():
    """The LSTM autoencoder the Sequences page teaches, on the same split. It does not reach the target (it learns
    slowly: ~0.984 after its 100 epochs); this guards that it still clearly beats Isolation Forest."""
    t0 = time.perf_counter()
    data = real("ecg5000")
    variant, model, train = anomaly.recipe("sequence", variant="lstm")
    run = jobs.train_all([ModelSpec("lstm", anomaly.normal_only(data, [0]), model, train, variant)])["lstm"]
    auc = roc.roc_auc(anomaly.recon_scores(run.model, data.x_test), anomaly.is_anomaly(data.y_test, [0]))
    print(f"\nECG5000 ROC-AUC of the LSTM autoencoder ({model.latent_dim}-d code, {train.epochs} epochs, "
          f"{time.perf_counter() - t0:.0f} s): {auc:.4f}")
    assert auc >= 0.97
