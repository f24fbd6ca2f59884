"""`python -m aecore project`: the 2-D coordinates of a split's codes, rows in the split's order (train, then test)."""
from __future__ import annotations

import json

import numpy as np
import pytest

from aecore.runs.checkpoint import load_run, save_run
from aecore.views.codes import encode_dataset
from aecore.data import load_dataset
from aecore.views.project import Projector
from helpers import run_cli as cli, trained_run, write_bars


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    """tiny.npz (labelled bars) and two runs on it: a 2-D VAE and a 4-D one."""
    folder = tmp_path_factory.mktemp("project")
    write_bars(folder / "tiny.npz")
    data = load_dataset(str(folder / "tiny.npz"))
    for name, dim in (("run2", 2), ("run4", 4)):
        run, _ = trained_run("vae", latent_dim=dim, epochs=1)
        save_run(run, folder / name)
    return folder, data


def project(folder, *args):
    result = cli("project", *args, "--dataset", "tiny.npz", cwd=folder)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("split", ["train", "test", "all"])
def test_direct_rows_are_the_codes_of_the_split_in_order(work, split):
    folder, data = work
    out = project(folder, "run2", "--method", "direct", "--split", split, "--out", f"{split}.npy")
    coords = np.load(folder / f"{split}.npy")
    n = {"train": len(data.x_train), "test": len(data.x_test), "all": len(data.x_train) + len(data.x_test)}[split]
    assert coords.shape == (n, 2) and out["n"] == n and out["method"] == "direct" and out["split"] == split
    expected = encode_dataset(load_run(folder / "run2").model, data, split).codes
    np.testing.assert_allclose(coords, expected, rtol=1e-5, atol=1e-6)
    assert out["seconds"] >= 0 and out["compile_s"] == 0


def test_pca_of_all_is_train_then_test(work):
    folder, data = work
    out = project(folder, "run4", "--method", "pca", "--out", "pca.npy")   # --split all is the default
    coords = np.load(folder / "pca.npy")
    codes = encode_dataset(load_run(folder / "run4").model, data, "all").codes
    assert out["n"] == len(codes) and coords.shape == (len(codes), 2)
    np.testing.assert_allclose(coords, Projector("pca", max_fit=len(codes)).fit_transform(codes), atol=1e-4)
    n_train = len(data.x_train)
    test_only = np.load(folder / project(folder, "run4", "--method", "pca", "--split", "test",
                                         "--out", "t.npy")["out"])
    assert test_only.shape == (len(data.x_test), 2) and len(coords) - n_train == len(test_only)


@pytest.mark.slow
def test_umap_reports_its_compile_time_apart(work):
    folder, data = work
    out = project(folder, "run4", "--method", "umap", "--split", "test", "--out", "u.npy")
    coords = np.load(folder / "u.npy")
    assert coords.shape == (len(data.x_test), 2) and np.isfinite(coords).all()
    assert out["method"] == "umap" and out["compile_s"] > 0 and out["seconds"] > 0


def test_direct_needs_a_small_code(work):
    folder, _ = work
    result = cli("project", "run4", "--dataset", "tiny.npz", "--method", "direct", "--out", "x.npy", cwd=folder)
    assert result.returncode == 2 and "pca or umap" in result.stderr
