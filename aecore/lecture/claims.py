"""A lesson's promise as data: which runs to compare, which number to measure, and which way it must go.

A preset's optional "claim" object (checked by `parse_claim`; run by `aecore.lecture.lessons.check_lesson`):

    "claim": {
      "runs": {"2 numbers": {}, "32 numbers": {"latent_dim": 32}},     # settings over the lesson's, per run
      "checks": [{"metric": "test_loss", "run": "32 numbers", "below": "2 numbers", "margin": 20}],
      "notes": "what was measured, where, when"                           # the claim's comments
    }

A check compares one run's metric with another run's ("below"/"above", at least `margin` apart) or with a
number ("at_most"/"at_least"). An application claim ("app": one of APPS) trains what its page trains, with the
page's defaults (and a lesson's form), and its checks name the page's methods ("denoising AE", "noisy input").
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import share

# metric -> what it measures; `aecore.lecture.lessons` computes them (see there for the definitions)
METRICS = {
    "test_loss": "the test loss after training (nats per digit for BCE)",
    "test_recon": "the reconstruction part of the test loss",
    "test_kl": "the KL part of a VAE's test loss (nats)",
    "active_dims": "code numbers that vary across test samples (variance of the code > 0.01; Burda et al. 2016)",
    "near_zero": "the fraction of code numbers within 0.1 of zero, over the test samples",
    "gap_fraction": "the fraction of a grid over the middle of a whitened 2-number code with no test code nearby",
    "mse_vs_pca": "test squared error over that of PCA with as many components (1 = as good as PCA)",
    "locality": "mean share of each first-layer unit's squared weights in its top 10% of the inputs that vary "
                "(strokes: large)",
    "unused_units": "the share of the first layer's ReLU units that fire for none of 1,000 test samples",
    "unit_fire_rate": "the mean share of those test samples that a first-layer unit firing at all fires for",
    "diverged": "1 if training stopped because the loss exploded, else 0",
    "peak_ratio": "the highest training loss over the first one (how far the loss leapt before it settled)",
    "peak_step": "the step (1 = the first) with the highest training loss",
    "late_peak_ratio": "the highest training loss in the last epoch over the first step's (<= 1: it has settled)",
    "first_test_loss": "the test loss after the first epoch",
    "psnr": "PSNR (dB) of each method on the test samples at the training noise level",
    "roc_auc": "ROC-AUC of each detector on the test split",
    "accuracy": "test accuracy of a classifier on some features with some labels ('code, k-NN (k=5), 100 labels')",
    "hidden_mse": "squared error on the hidden values of the test samples, mean fill or autoencoder",
    "mean_error": "reconstruction error per value of the most common class's test sequences, or of the others",
}
# applications (a lesson's or a page's default: aecore.lecture.pageclaims) and the metrics they measure
APPS = {"denoise": ("psnr",), "anomaly": ("roc_auc",), "compress": ("psnr",), "features": ("accuracy",),
        "impute": ("hidden_mse",), "sequences": ("mean_error",)}
COMPARE = ("below", "above")        # against another run, `margin` apart
BOUND = ("at_most", "at_least")     # against a number
CLAIM_KEYS = ("runs", "checks", "notes", "app")
CHECK_KEYS = ("metric", "run", "margin", "times", *COMPARE, *BOUND)


class ClaimError(ValueError):
    """A claim that cannot be checked; the message says what is wrong."""


@dataclass(frozen=True)
class Check:
    """One inequality: `run`'s metric below/above `times` another run's (by at least `margin`), or at most/at
    least a number."""

    metric: str
    run: str
    op: str                  # one of COMPARE or BOUND
    other: str | float       # a run's name (COMPARE) or a number (BOUND)
    margin: float = 0.0
    times: float = 1.0       # COMPARE against this multiple of the other run's value: 1.1 allows 10% more

    def holds(self, values: dict[str, dict[str, float]]) -> bool:
        """Whether the measured values (run -> metric -> value) satisfy this check."""
        mine = values[self.run][self.metric]
        ref = values[self.other][self.metric] * self.times if self.op in COMPARE else self.other
        if self.op == "below":
            return mine <= ref - self.margin
        if self.op == "above":
            return mine >= ref + self.margin
        return mine <= ref if self.op == "at_most" else mine >= ref

    def describe(self) -> str:
        """'test_loss of "32 numbers" below "2 numbers" by at least 20'."""
        text = f'{self.metric} of "{self.run}" {self.op.replace("_", " ")} '
        if self.op in BOUND:
            return text + f"{self.other:g}"
        times = f"{self.times:g} × " if self.times != 1 else ""
        return text + f'{times}"{self.other}"' + (f" by at least {self.margin:g}" if self.margin else "")


@dataclass(frozen=True)
class Claim:
    """What a lesson promises, in a form `aecore.lecture.lessons.check_lesson` can measure."""

    checks: tuple[Check, ...]
    runs: dict[str, dict[str, Any]] = field(default_factory=dict)   # name -> settings over the lesson's
    app: str | None = None   # an application lesson: its page's models, not sidebar runs
    notes: str = ""

    @property
    def changed(self) -> list[str]:
        """The settings the lesson asks the lecturer to change (those the runs override), in order."""
        return list(dict.fromkeys(k for overrides in self.runs.values() for k in overrides))


def parse_claim(data: Any) -> Claim:
    """Check a preset's "claim" object and return it as a Claim (ClaimError on any problem)."""
    if not isinstance(data, dict):
        raise ClaimError(f"claim must be an object, got {type(data).__name__}")
    _keys("claim", data, CLAIM_KEYS)
    app = data.get("app")
    if app is not None and app not in APPS:
        raise ClaimError(f"claim app must be one of {', '.join(APPS)}, got {app!r}")
    runs = {} if app else _runs(data.get("runs"))
    if app and "runs" in data:
        raise ClaimError("an application claim measures its page's methods: it has no runs")
    checks = data.get("checks")
    if not isinstance(checks, list) or not checks:
        raise ClaimError("claim checks must be a non-empty list")
    parsed = tuple(_check(c, runs, app) for c in checks)
    notes = data.get("notes", "")
    if not isinstance(notes, str):
        raise ClaimError("claim notes must be text")
    return Claim(parsed, runs, app, " ".join(notes.split()))


def _runs(data: Any) -> dict[str, dict[str, Any]]:
    if not isinstance(data, dict) or not data:
        raise ClaimError("claim runs must be an object of run name -> settings overrides")
    runs = {}
    for name, overrides in data.items():
        if not isinstance(overrides, dict):
            raise ClaimError(f"claim run {name!r}: expected an object of settings, got {type(overrides).__name__}")
        good, errors = share.check_settings(overrides)
        if errors:
            raise ClaimError(f"claim run {name!r}: " + "; ".join(errors))
        if "dataset" in good:
            raise ClaimError(f"claim run {name!r}: a claim must hold on whatever data the lesson opens; "
                             "do not change the dataset")
        runs[name] = good
    return runs


def _check(data: Any, runs: dict[str, dict], app: str | None) -> Check:
    if not isinstance(data, dict):
        raise ClaimError(f"a check must be an object, got {type(data).__name__}")
    _keys("check", data, CHECK_KEYS)
    metric, run = data.get("metric"), data.get("run")
    allowed = APPS[app] if app else [m for m in METRICS if m not in {m for ms in APPS.values() for m in ms}]
    if metric not in allowed:
        raise ClaimError(f"check metric must be one of {', '.join(allowed)}, got {metric!r}")
    ops = [op for op in (*COMPARE, *BOUND) if op in data]
    if len(ops) != 1:
        raise ClaimError(f"a check needs exactly one of {', '.join((*COMPARE, *BOUND))}, got {ops or 'none'}")
    op, other = ops[0], data[ops[0]]
    names = [run] + ([other] if op in COMPARE else [])
    for name in names:
        if not isinstance(name, str) or (not app and name not in runs):
            raise ClaimError(f"check run {name!r} is not one of the claim's runs ({', '.join(runs) or 'none'})")
    if op in BOUND and (isinstance(other, bool) or not isinstance(other, (int, float))):
        raise ClaimError(f"{op} needs a number, got {other!r}")
    margin, times = _number(data, "margin", 0.0, op), _number(data, "times", 1.0, op)
    return Check(metric, run, op, float(other) if op in BOUND else other, margin, times)


def _number(data: dict, key: str, default: float, op: str) -> float:
    """A check's margin or times: a number >= 0, given only with "below" or "above"."""
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0 or (key in data and op in BOUND):
        raise ClaimError(f"{key} must be a number >= 0, and only with {' or '.join(COMPARE)}; got {value!r}")
    return float(value)


def _keys(what: str, data: dict, allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise ClaimError(f"unknown {what} keys {', '.join(unknown)} (known: {', '.join(allowed)})")


@dataclass(frozen=True)
class LessonCheck:
    """What checking a lesson's claim measured, and whether each check held."""

    lesson: str
    dataset: str                                   # the data's title: "MNIST" or "MNIST (5k offline subset)"
    values: dict[str, dict[str, float]]            # run (or method) -> metric -> value
    checks: list[tuple[str, bool]]                 # (the check in words, whether it held)
    seconds: dict[str, float] = field(default_factory=dict)   # run -> training CPU time (s)

    @property
    def passed(self) -> bool:
        return all(ok for _, ok in self.checks)

    def report(self) -> str:
        """A few lines for a test failure or the terminal."""
        lines = [f"{self.lesson} on {self.dataset}: {'holds' if self.passed else 'FAILS'}"]
        lines += [f"  {name}: " + ", ".join(f"{m} {v:.4g}" for m, v in vals.items())
                  + (f" ({self.seconds[name]:.1f} s CPU)" if name in self.seconds else "")
                  for name, vals in self.values.items()]
        return "\n".join(lines + [f"  [{'ok' if ok else 'no'}] {text}" for text, ok in self.checks])
