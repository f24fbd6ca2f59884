"""Shared fixtures: tiny synthetic data, the real datasets when present, data lookups kept off this machine, and a
job pool of a test's own. What tests import lives in helpers.py and page_helpers.py: no test imports conftest or
another test (tests/test_suite_imports.py checks)."""
from __future__ import annotations

import functools
import os
import sys
import tempfile
from pathlib import Path

import pytest
import torch
from helpers import ROOT, isolate_data, make_images, make_sequences, shared_dataset

from aecore.data.dataset import Dataset

# One torch thread in this process and every thread it starts (AppTest's script threads too), as aecore.jobs gives
# each job on 2 cores: the tests' models are tiny, and with two threads each step waits at OpenMP barriers for a
# core the busy machine gives elsewhere (numpy's and scikit-learn's threads are left as they are). Measured side
# by side under load 11 (tests/test_robust_security.py and test_page_generate.py, -m "not slow"): 28.8 s CPU and
# 129 s with torch's default two threads, 19.6 s and 103 s with one.
torch.set_num_threads(1)

# Under pytest-xdist each worker trains with its share of the cores (aecore.jobs.runtime.cores): with all of them,
# the claim files' side-by-side training and the other worker's tests asked for three cores of two.
if os.environ.get("PYTEST_XDIST_WORKER_COUNT"):
    workers = int(os.environ["PYTEST_XDIST_WORKER_COUNT"])
    os.environ.setdefault("AECORE_CPUS", str(max(1, (os.cpu_count() or 1) // workers)))

# The app keeps students' workspaces in a store (face.persist, aecore.runs.store): the tests' go to a folder of their
# own, never the user's cache. Set before any app runs, since the store is built once per process.
os.environ.setdefault("AECORE_STORE_DIR", str(Path(tempfile.mkdtemp(prefix="latentlab-store-"))))


# The files that train the claim recipes (tests/trained_once.py keeps each trained model in its process).
CLAIM_FILES = {"test_lessons.py", "test_apps_defaults.py", "test_page_claims.py", "test_targets.py"}


def xdist_group(item) -> str:
    """The browser tests run in one worker, one after another (one app server and one chromium for them all, and a
    core for them while the other worker trains), the claim files in one worker (each recipe trained once), and any
    other file whole in one worker (its module's fixtures set up once)."""
    if item.path.parent.name == "e2e":
        return "browser"
    return "claims" if item.path.name in CLAIM_FILES else item.path.name


@pytest.hookimpl(tryfirst=True)   # before xdist's own hook, which reads the groups into the tests' ids
def pytest_collection_modifyitems(config, items):
    for item in items:
        item.add_marker(pytest.mark.xdist_group(xdist_group(item)))


@pytest.fixture(autouse=True)
def _components_scanned_once():
    """Streamlit's AppTest scans every installed package's metadata for v2 components at each new AppTest's first
    run (0.35 s, ~435 packages, none with one); the packages do not change while the tests run, so once is enough.
    Measured: test_robust_uploads.py spent 98 of its 131 profiled seconds in 78 such scans. The scanner module
    loads with the first AppTest run; from the next test on, its scan is remembered."""
    scanner = sys.modules.get("streamlit.components.v2.manifest_scanner")
    if scanner is not None and not hasattr(scanner.scan_component_manifests, "cache_info"):
        scan = functools.lru_cache(maxsize=None)(scanner.scan_component_manifests)
        scanner.scan_component_manifests = functools.wraps(scan)(lambda *a, **k: list(scan(*a, **k)))
        scanner.scan_component_manifests.cache_info = scan.cache_info
    yield


@pytest.fixture
def isolated(monkeypatch, tmp_path):
    """No user data dir, no system folders, a fresh cache, and download URLs that can only fail fast (helpers.
    isolate_data); a module takes it with `pytestmark = pytest.mark.usefixtures("isolated")`."""
    isolate_data(monkeypatch, tmp_path)


@pytest.fixture
def tiny_images() -> Dataset:
    return make_images()


@pytest.fixture
def tiny_sequences() -> Dataset:
    return make_sequences()


@pytest.fixture(scope="session")
def embedded_mnist() -> Dataset:
    """The 5k offline digits: what `mnist` is on a machine without the full files (whatever this one has)."""
    from aecore.data import load_dataset

    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("AECORE_DATA_DIR", raising=False)
        data = load_dataset("mnist", allow_download=False, cache_dir=str(ROOT / "no-cache-here"))
    assert data.title == "MNIST (5k offline subset)"
    return data


@pytest.fixture(scope="session")
def full_mnist() -> Dataset:
    """Full MNIST (60k / 10k) from the shared folder; the test is skipped without it."""
    from aecore.data import load_dataset

    return load_dataset("mnist", data_dir=str(shared_dataset("mnist").parent), allow_download=False)


@pytest.fixture
def own_job_pool(monkeypatch):
    """A default job pool of this test's own (2 slots), and nothing left training after it."""
    from aecore import jobs

    pool = jobs.JobPool(2)
    monkeypatch.setattr(jobs.pool, "_POOL", pool)
    yield pool
    for job in pool._running + pool._queue:
        job.stop()
    for job in list(pool._running):
        job.wait(10)


@pytest.fixture(scope="session")
def _models_trained_so_far():
    from trained_once import TrainedOnce
    return TrainedOnce()


@pytest.fixture
def trained_once(monkeypatch, _models_trained_so_far):
    """Models of the same recipe on the same data trained (and scored) once per session (tests/trained_once.py):
    for the claim tests, which train the same recipes on full MNIST; a module takes it with usefixtures."""
    from aecore import apps, jobs
    from aecore.lecture import lessons

    monkeypatch.setattr(jobs, "train_all", _models_trained_so_far.train_all)
    monkeypatch.setattr(lessons, "train_runs", _models_trained_so_far.train_runs)
    for app in (apps.AnomalyDetection, apps.Compression, apps.Denoising, apps.FeatureComparison, apps.Imputation,
                apps.SequenceReconstruction):
        monkeypatch.setattr(app, "evaluate", _models_trained_so_far.evaluate(app.evaluate))
    return _models_trained_so_far
