"""Fast UMAP: shape, reproducibility when seeded, progress, and where numba caches its kernels."""
import os
import subprocess
import sys

import numpy as np
import pytest

from aecore.views import umapx


@pytest.fixture(scope="module")
def blobs():
    rng = np.random.default_rng(0)
    centres = rng.normal(scale=5, size=(3, 6))
    return (centres[np.arange(150) % 3] + rng.normal(size=(150, 6))).astype(np.float32)


@pytest.mark.slow   # the first UMAP in a process compiles numba kernels
def test_embed_shape_finite_and_progress(blobs):
    seen = []
    coords = umapx.umap_embed(blobs, n_epochs=30, progress=seen.append)
    assert coords.shape == (150, 2) and coords.dtype == np.float32 and np.isfinite(coords).all()
    assert seen[0] == 0.0 and seen[-1] == 1.0 and seen == sorted(seen)


@pytest.mark.slow
def test_each_layout_epoch_reports_and_hands_the_gil_on(blobs, monkeypatch):
    """A report and a pause after every layout epoch: an epoch holds the GIL, and without the pause a page showing
    this progress did not redraw during the whole layout."""
    events = []
    monkeypatch.setattr(umapx, "hand_on_the_gil", lambda: events.append("pause"))
    umapx.umap_embed(blobs, n_epochs=30, progress=lambda f: events.append(f))
    layout = [i for i, e in enumerate(events) if e != "pause" and umapx.KNN_SHARE < e < 1.0]
    assert len(layout) >= 29                               # one per epoch (the last one reports 1.0)
    assert all(events[i + 1] == "pause" for i in layout)


@pytest.mark.slow
def test_seeded_runs_repeat(blobs):
    a = umapx.umap_embed(blobs, seed=3, n_epochs=30)
    b = umapx.umap_embed(blobs, seed=3, n_epochs=30)
    np.testing.assert_array_equal(a, b)


def test_fewer_epochs_for_large_data():
    assert umapx.default_epochs(70_000) == umapx.FAST_EPOCHS < umapx.default_epochs(5_000)


def test_pca_start_is_scaled_and_seeded(blobs):
    start = umapx.pca_start(blobs, seed=1)
    assert start.shape == (150, 2) and abs(np.abs(start).max() - 10) < 1e-2
    np.testing.assert_array_equal(start, umapx.pca_start(blobs, seed=1))


def test_rejects_too_few_points():
    with pytest.raises(ValueError):
        umapx.umap_embed(np.zeros((2, 4), np.float32))


@pytest.mark.slow   # a fresh process that imports numba
def test_numba_cache_folder_set_before_umap_import(tmp_path):
    """In a fresh process: importing aecore.views.umapx imports no numba; an unset NUMBA_CACHE_DIR becomes the given
    folder, and numba sees it."""
    env = {k: v for k, v in os.environ.items() if k != umapx.NUMBA_CACHE_ENV}
    code = ("from aecore.views import umapx, project; import sys; assert 'numba' not in sys.modules; "
            "p = umapx.configure_numba_cache(sys.argv[1]); "
            "import numba; assert numba.config.CACHE_DIR == str(p), numba.config.CACHE_DIR; print(p)")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "nb")], env=env, check=True,
                         capture_output=True, text=True, cwd=os.path.dirname(os.path.dirname(__file__)))
    assert out.stdout.strip() == str(tmp_path / "nb") and (tmp_path / "nb").is_dir()


def test_numba_cache_keeps_a_folder_already_chosen(tmp_path, monkeypatch):
    monkeypatch.setenv(umapx.NUMBA_CACHE_ENV, str(tmp_path / "theirs"))
    assert umapx.configure_numba_cache(tmp_path / "ours") == tmp_path / "theirs"


def test_place_takes_neighbours_positions():
    fit_codes = np.random.default_rng(0).normal(size=(40, 5)).astype(np.float32)
    embedding = fit_codes[:, :2] * 3
    np.testing.assert_allclose(umapx.place(fit_codes[:4], fit_codes, embedding, n_neighbors=1), embedding[:4])
    flat = np.tile([[1.0, -2.0]], (40, 1))
    np.testing.assert_allclose(umapx.place(fit_codes[:3] + 0.1, fit_codes, flat), flat[:3], atol=1e-6)


def test_the_bar_names_each_phase_of_the_work():
    """The neighbour graph reports no progress of its own: the bar's text says what runs while it waits."""
    from aecore.views.umapx import KNN_SHARE, phase
    assert phase(0.0) == phase(KNN_SHARE / 2 - 1e-6) == "finding each point's neighbours"
    assert phase(KNN_SHARE / 2) == phase(KNN_SHARE - 1e-6) == "building the neighbour graph"
    assert phase(KNN_SHARE) == phase(1.0) == "laying out the map"
