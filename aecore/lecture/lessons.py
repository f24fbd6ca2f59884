"""Check a lesson's claim headless: train what the lesson trains, measure, and say whether the promise held.

    result = check_lesson(preset, load_dataset("mnist"))
    result.passed, result.values   # {"2 numbers": {"test_loss": 160.1}, "32 numbers": {"test_loss": 121.4}}

The metrics are defined here (aecore.lecture.claims.METRICS names them), on the test split, the way a student would see
them: the Train page's test loss, the codes the Latent page plots, the PSNR table of the Denoising page.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import torch

from .. import infer
from ..activations import locality
from ..apps import AnomalyDetection, Denoising
from ..apps import run as run_app
from ..data.dataset import Dataset
from ..jobs.group import side_by_side
from ..pca import fit_pca
from ..train import Diverged, Run, evaluate_losses, fit, new_run
from ..views.units import firing_rate, pool_firing
from . import share
from .claims import Claim, LessonCheck
from .pageclaims import measure
from .presets import Preset

ACTIVE_VARIANCE = 0.01   # a code number is in use when it varies this much over the test set (Burda et al. 2016)
NEAR_ZERO = 0.1          # |z| below this counts as switched off: it shows as 0.0x in the Latent page's code readout
GAP_GRID = 20            # grid points per axis over the middle of a 2-number code
GAP_QUANTILES = (0.02, 0.98)   # the box the grid spans: the middle 96% of the codes along each axis
GAP_SAMPLES = 1000       # test codes gaps are judged among: as many on full MNIST as on the 5k subset's test split


@dataclass
class Trained:
    """One run of a claim, trained to the end (or to where it diverged)."""

    run: Run
    diverged: bool
    seconds: float           # wall-clock training time
    cpu_seconds: float       # CPU time: what it takes on an idle core when torch uses one thread, as a job does


def check_lesson(preset: Preset, data: Dataset) -> LessonCheck:
    """Train a lesson's runs (or its page's models) on `data`, measure what its claim names, check it."""
    claim = preset.claim
    if claim is None:
        raise ValueError(f"lesson {preset.name!r} states no claim")
    seconds: dict[str, float] = {}
    if claim.app:
        values = measure_app(preset.experiment(int(preset.settings.get("seed", share.SETTINGS["seed"].default))), data)
    else:
        values = {}
        for name, trained in train_runs({n: {**preset.settings, **o} for n, o in claim.runs.items()}, data).items():
            seconds[name] = trained.cpu_seconds
            values[name] = {m: RUN_METRICS[m](trained, data) for m in _metrics_of(claim, name)}
    return LessonCheck(preset.name, data.title, values, [(c.describe(), c.holds(values)) for c in claim.checks],
                       seconds)


def train_runs(settings: dict[str, dict], data: Dataset) -> dict[str, Trained]:
    """Train what the sidebar would with each of these settings, side by side as the dashboard's jobs do
    (jobs.side_by_side). The models are built first, in order, so each seeded start is what it would be alone."""
    runs = {name: _new_run(s, data) for name, s in settings.items()}
    return dict(zip(runs, side_by_side(lambda run: _fit(run, data), list(runs.values()))))


def _new_run(settings: dict, data: Dataset) -> Run:
    variant, model_cfg, train_cfg = share.configs(settings, data.kind)
    return new_run(data, model_cfg, train_cfg, variant)


def _fit(run: Run, data: Dataset) -> Trained:
    """Train `run` to the end in this thread (a diverged run keeps its last good weights)."""
    t0, cpu0, diverged = time.perf_counter(), time.thread_time(), False
    try:
        for _ in fit(run, data):
            pass
    except Diverged:
        diverged = True
    run.model.eval()
    return Trained(run, diverged, time.perf_counter() - t0, time.thread_time() - cpu0)


def _metrics_of(claim: Claim, run: str) -> list[str]:
    """The metrics the claim's checks read from one run."""
    return list(dict.fromkeys(c.metric for c in claim.checks if run in (c.run, c.other)))


# --- metrics of one trained run ----------------------------------------------------------------------------
def test_losses(t: Trained, data: Dataset) -> dict[str, float]:
    """The test loss parts the Train page shows at the end (measured afresh after a divergence)."""
    if t.run.test_history and not t.diverged:
        return t.run.test_history[-1]
    return evaluate_losses(t.run.model, data.x_test, data.y_test if t.run.model_config.conditional else None)


@torch.no_grad()
def active_dims(t: Trained, data: Dataset) -> float:
    """How many code numbers vary across the test set by more than ACTIVE_VARIANCE."""
    return float((_codes(t, data).var(0) > ACTIVE_VARIANCE).sum())


@torch.no_grad()
def near_zero(t: Trained, data: Dataset) -> float:
    """The fraction of code numbers within NEAR_ZERO of zero, over all test samples."""
    return float((_codes(t, data).abs() < NEAR_ZERO).float().mean())


@torch.no_grad()
def gap_fraction(t: Trained, data: Dataset) -> float:
    """The fraction of a GAP_GRID x GAP_GRID grid over the middle of a 2-number code with none of the first
    GAP_SAMPLES test codes within one grid cell: the empty gaps a decoder was never taught to fill. The codes
    are whitened first, so a rotated or stretched copy of the same cloud (a linear AE's PCA code) scores the same."""
    z = infer.encode_all(t.run.model, data.x_test[:GAP_SAMPLES]).double()
    if z.shape[1] != 2:
        raise ValueError("gap_fraction is defined for 2-number codes")
    z = z - z.mean(0)
    values, vectors = torch.linalg.eigh(z.T @ z / len(z))
    z = z @ vectors / values.clamp_min(1e-12).sqrt()     # (N, 2), unit variance along both axes
    lo, hi = torch.quantile(z, GAP_QUANTILES[0], dim=0), torch.quantile(z, GAP_QUANTILES[1], dim=0)
    unit = (z - lo) / (hi - lo).clamp_min(1e-9)
    ticks = (torch.arange(GAP_GRID, dtype=z.dtype) + 0.5) / GAP_GRID
    nearest = torch.cdist(torch.cartesian_prod(ticks, ticks), unit).min(1).values
    return float((nearest > 1.0 / GAP_GRID).float().mean())


@torch.no_grad()
def mse_vs_pca(t: Trained, data: Dataset) -> float:
    """Test squared error over PCA's with as many components, fit on the training split (1 = as good as PCA)."""
    x = data.x_test
    ae = (infer.reconstruct(t.run.model, x) - x).square().mean()
    pca = fit_pca(data.x_train, t.run.model_config.latent_dim)
    return float(ae / (pca.reconstruct(x) - x).square().mean())


def peak_ratio(t: Trained) -> float:
    """The highest training loss over the first one: how far the loss leapt before it settled (or diverged)."""
    losses = [sum(step.losses.values()) for step in t.run.history]
    return max(losses) / losses[0]


def peak_step(t: Trained) -> float:
    """The step (1 = the first) at which the training loss was highest: where the chart's leap is."""
    losses = [sum(step.losses.values()) for step in t.run.history]
    return float(losses.index(max(losses)) + 1)


def late_peak_ratio(t: Trained) -> float:
    """The highest training loss in the last epoch over the first step's: at most 1 once the loss has settled."""
    steps = t.run.history
    last = [sum(s.losses.values()) for s in steps if s.epoch > steps[-1].epoch - 1]
    return max(last) / sum(steps[0].losses.values())


def unused_units(t: Trained, data: Dataset) -> float:
    """The share of the first layer's units that fire for none of the test samples the Inside view judges them on
    (aecore.views.units.unit_pool): the faint squares of its weight grid."""
    return float((pool_firing(t.run.model, data) == 0).double().mean())


def unit_fire_rate(t: Trained, data: Dataset) -> float:
    """The mean share of those test samples that a first-layer unit firing at all fires for."""
    return firing_rate(pool_firing(t.run.model, data))


def _codes(t: Trained, data: Dataset) -> torch.Tensor:
    return infer.encode_all(t.run.model, data.x_test, data.y_test)


RUN_METRICS: dict[str, Callable[[Trained, Dataset], float]] = {
    "test_loss": lambda t, d: test_losses(t, d)["loss"],
    "test_recon": lambda t, d: test_losses(t, d)["recon"],
    "test_kl": lambda t, d: test_losses(t, d).get("kl", 0.0),
    "active_dims": active_dims,
    "near_zero": near_zero,
    "gap_fraction": gap_fraction,
    "mse_vs_pca": mse_vs_pca,
    "locality": lambda t, d: locality(t.run.model, d.x_train),
    "unused_units": unused_units,
    "unit_fire_rate": unit_fire_rate,
    "diverged": lambda t, d: float(t.diverged),
    "peak_ratio": lambda t, d: peak_ratio(t),
    "peak_step": lambda t, d: peak_step(t),
    "late_peak_ratio": lambda t, d: late_peak_ratio(t),
    "first_test_loss": lambda t, d: t.run.test_history[0]["loss"],
}


# --- application lessons -------------------------------------------------------------------------------------
def measure_app(exp: Denoising | AnomalyDetection, data: Dataset) -> dict[str, dict[str, float]]:
    """method -> metric -> value for an application lesson: its page's models trained as the lesson sets the
    form, with the epochs the page opens with for this data (aecore.apps.experiment.default_epochs)."""
    return measure(exp, run_app(exp, data), data)
