"""aecore.cli.rebuild: `python -m aecore impute` and `sequences` on tiny data, the baseline beside the autoencoder."""
from __future__ import annotations

import argparse
import json

import numpy as np
import pytest

from aecore.apps import Imputation, Schedule, SequenceReconstruction
from aecore.cli import rebuild
from helpers import make_images, make_sequences, run_cli


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    rebuild.add_commands(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(argv)


def save_npz(data, path) -> str:
    np.savez(path, x=data.x_train.numpy(), y=data.y_train.numpy(), x_test=data.x_test.numpy(), y_test=data.y_test.numpy())
    return str(path)


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("data")
    return {"bars": save_npz(make_images(), folder / "bars.npz"), "waves": save_npz(make_sequences(), folder / "w.npz")}


def test_impute_json_puts_the_mean_fill_beside_the_autoencoder(files):
    out = run_cli("impute", "--dataset", files["bars"], "--epochs", "2", "--iterations", "2", "--json")
    result = json.loads(out.stdout)
    assert out.returncode == 0 and result["iterations"] == 2 and result["mask"] == "random"
    assert [r["iteration"] for r in result["curve"]][:3] == [0, 1, 2] and len(result["curve"]) == 11
    assert result["mean_fill_mse"] == result["curve"][0]["hidden_mse"]
    assert result["autoencoder_mse"] == result["curve"][2]["hidden_mse"]
    assert result["best_mse"] == min(r["hidden_mse"] for r in result["curve"][1:])
    assert result["change"] == pytest.approx(result["autoencoder_mse"] / result["mean_fill_mse"] - 1)
    assert result["data"]["n"] == result["test_samples"] == 48 and result["hidden_values"] > 0


def test_impute_table_and_bad_iterations(files):
    out = run_cli("impute", "--dataset", files["bars"], "--epochs", "1", "--mask", "block")
    assert out.returncode == 0 and "mean fill (baseline)" in out.stdout and "autoencoder, 3 iterations" in out.stdout
    out = run_cli("impute", "--dataset", files["bars"], "--iterations", "0")
    assert out.returncode == 2 and "--iterations must be at least 1" in out.stderr


def test_sequences_json_has_pca_beside_the_lstm_per_class(files):
    out = run_cli("sequences", "--dataset", files["waves"], "--epochs", "1", "--json")
    result = json.loads(out.stdout)
    assert out.returncode == 0 and set(result["mean_error"]) == {"autoencoder", "PCA"}
    assert len(result["per_class"]) == 2
    assert all({"mean error", "PCA error"} <= set(r) for r in result["per_class"])
    out = run_cli("sequences", "--dataset", files["bars"], "--epochs", "1")
    assert out.returncode == 2 and "not made of sequences" in out.stderr


def test_flags_left_out_give_the_pages_objects():
    assert rebuild.imputation(parse(["impute", "--dataset", "x"])) == Imputation()
    assert rebuild.sequence_reconstruction(parse(["sequences", "--dataset", "x"])) == SequenceReconstruction()
    args = parse(["impute", "--dataset", "x", "--mask", "block", "--fraction", "0.5", "--epochs", "4", "--seed", "2"])
    assert rebuild.imputation(args) == Imputation(mask="block", fraction=0.5, schedule=Schedule(4, seed=2))
