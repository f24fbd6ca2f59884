"""Every `AECORE_*` environment variable, read here and nowhere else, with one message for a bad value.

A setting is read when it is needed (not at import), so a test or a script may set one between two calls. The
defaults stay with what they configure (DataLimits, ModelLimits, the store, the job pools): a caller passes its own.
`SETTINGS` names every variable and what it does; the README's table is the same list (tests/test_settings.py).
"""
from __future__ import annotations

import os
from pathlib import Path

SETTINGS: dict[str, str] = {
    # where the data is
    "AECORE_DATA_DIR": "a folder searched first for dataset files (itself or its `<dataset>/` subfolder)",
    "AECORE_CACHE_DIR": "where downloaded datasets are kept (default `~/.cache/latent-lab`)",
    "AECORE_SYSTEM_DATA_DIRS": "system folders searched for datasets, `os.pathsep`-separated (empty: none)",
    "AECORE_MNIST_URL": "a mirror's base URL for MNIST, tried instead of the built-in ones",
    "AECORE_FASHION_MNIST_URL": "a mirror's base URL for Fashion-MNIST",
    "AECORE_ECG5000_URL": "a mirror's base URL for ECG5000's two TSV files (there is no stable public one)",
    # what a file or a model may cost
    "AECORE_MAX_UPLOAD_MB": "an uploaded file, and what an archive expands to, in MB (default 200)",
    "AECORE_MAX_SAMPLES": "samples in a dataset, train and test (default 100,000)",
    "AECORE_MAX_FEATURES": "values per sample, in data and in a model (default 20,000)",
    "AECORE_MAX_DATA_MB": "a dataset once loaded as float32, in MB (default 256; full MNIST takes 209)",
    "AECORE_MAX_FILES": "images in a zip or folder (default 20,000)",
    "AECORE_MAX_PARAMS": "a model's weights (default 32 M)",
    "AECORE_MAX_ACTIVATIONS": "values a model's layers produce per sample (default 4 M)",
    "AECORE_MAX_MACS": "a model's multiply-adds per sample (default 500 M)",
    "AECORE_MAX_STEPS": "layers and LSTM time steps run one after another per sample (default 200,000)",
    # training jobs and the class
    "AECORE_MAX_JOBS": "models training at once on this server (default 2: one per core on a 2-core machine)",
    "AECORE_CPUS": "cores this server's training shares out (default: all of the machine's; set it where two replicas "
                   "or test workers share one machine)",
    "AECORE_MAX_JOBS_PER_STUDENT": "models one student may have training or waiting at once (default 10)",
    "AECORE_MAX_EPOCHS": "the most epochs one model may train on this server (default: no cap)",
    "AECORE_RAY_ADDRESS": "train on a Ray cluster: `auto`, or the head's `host:port` (default: this server)",
    "AECORE_RAY_CPUS_PER_JOB": "CPUs a model takes on the Ray cluster (default 1)",
    "AECORE_RAY_SHIP_CODE": "`0`: the Ray workers have this checkout on their path already (default: ship it)",
    # what the server keeps
    "AECORE_RUNS_DIR": "the run folders the Models page may load (default `runs/` beside app.py)",
    "AECORE_STORE_DIR": "the students' saved workspaces and shared models (default `~/.cache/latent-lab/sessions`)",
    "AECORE_STORE_MB": "that store in all, in MB, oldest evicted first (default 2,048)",
    "AECORE_STORE_QUOTA_MB": "one student's share of that store, in MB (default 64)",
}


class SettingError(ValueError):
    """An environment variable holds a value that cannot be used; the message names it and what it must be."""


def raw(name: str) -> str | None:
    """The variable's value as set (None when unset); a name missing from SETTINGS is a programming error."""
    if name not in SETTINGS:
        raise KeyError(f"{name} is not a setting: add it to aecore.settings.SETTINGS (and the README)")
    return os.environ.get(name)


def text(name: str, default: str = "") -> str:
    """The value without surrounding blanks, or `default` when unset or blank."""
    return (raw(name) or "").strip() or default


def path(name: str, default: str | Path) -> Path:
    """A folder or file: the value when set and not blank, else `default`; `~` expanded."""
    return Path(text(name) or default).expanduser()


def number(name: str, default: float, unit: str = "") -> float:
    """A number above 0 (`unit` only words the message: 'MB'), or `default` when unset or blank."""
    value = text(name)
    if not value:
        return default
    try:
        parsed = float(value)
    except ValueError:
        parsed = 0.0
    if not parsed > 0:   # also refuses nan
        raise SettingError(f"{name} must be a number{' of ' + unit if unit else ''} above 0, got {value!r}")
    return parsed


def whole(name: str, default: int | None) -> int | None:
    """A whole number of at least 1, or `default` when unset or blank."""
    value = text(name)
    if not value:
        return default
    try:
        parsed = int(value)
    except ValueError:
        parsed = 0
    if parsed < 1:
        raise SettingError(f"{name} must be a whole number of at least 1, got {value!r}")
    return parsed
