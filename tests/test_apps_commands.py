"""aecore.cli.apps: the application subcommands on a tiny .npz file, through aecore.cli.main in this process."""
from __future__ import annotations

import argparse
import csv
import json

import numpy as np
import pytest

from aecore.apps import AnomalyDetection, Compression, Denoising, FeatureComparison, Schedule
from aecore.cli import apps as commands
from aecore.cli.apps import add_commands
from helpers import make_images, parse, run_cli, save_npz


def run(argv: list[str]) -> tuple[int, str]:
    result = run_cli(*argv)
    return result.returncode, result.stdout


@pytest.fixture(scope="module")
def bars(tmp_path_factory) -> str:
    return save_npz(make_images(), tmp_path_factory.mktemp("data") / "bars.npz")


def test_registers_the_four_subcommands():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command")
    add_commands(sub)
    assert {"denoise", "anomaly", "compress", "features"} <= set(sub.choices)


def test_denoise_json(bars):
    code, out = run(["denoise", "--dataset", bars, "--latent-dim", "8", "--epochs", "1", "--levels", "0.3",
                     "--level", "0.5", "--json"])
    result = json.loads(out)
    assert code == 0 and set(result["psnr"]) == {"noisy input", "median filter 3x3", "PCA-8", "denoising AE", "plain AE"}
    assert {r["level"] for r in result["curve"]} == {0.3, 0.5}


def test_anomaly_table_and_scores_csv(bars, tmp_path):
    out_csv = tmp_path / "scores.csv"
    code, out = run(["anomaly", "--dataset", bars, "--normal", "0", "--latent-dim", "4", "--epochs", "2",
                     "--scores", str(out_csv)])
    assert code == 0 and "ROC-AUC" in out and "Isolation Forest" in out and "PCA-4" in out
    rows = list(csv.DictReader(open(out_csv)))
    assert len(rows) == 48 and set(rows[0]) == {"index", "label", "anomalous", "autoencoder", "PCA-4", "Isolation Forest"}
    assert all(r["anomalous"] == str(int(r["label"] != "0")) for r in rows)


def test_anomaly_one_class_reports_a_mean(bars):
    code, out = run(["anomaly", "--dataset", bars, "--one-class", "--latent-dim", "2", "--epochs", "1", "--json"])
    result = json.loads(out)
    assert code == 0 and len(result["per_class"]) == 3
    assert result["mean"]["autoencoder"] == pytest.approx(np.mean([r["autoencoder"] for r in result["per_class"]]))


def test_anomaly_rejects_an_unknown_class(bars):
    result = run_cli("anomaly", "--dataset", bars, "--normal", "cats")   # a ValueError: exit 2 with its message
    assert result.returncode == 2 and "not a class" in result.stderr


def test_compress_json_has_exact_bytes(bars):
    code, out = run(["compress", "--dataset", bars, "--sizes", "2,4", "--latent-dim", "4", "--epochs", "1",
                     "--qualities", "20,80", "--json"])
    result = json.loads(out)
    ae = {r["format"]: r["bytes"] for r in result["rate_distortion"] if r["method"].startswith("autoencoder")}
    assert code == 0 and ae == {"float32": 16, "float16": 8, "8-bit": 4} and result["table_bytes_8bit"] == 32
    assert sorted({r["size"] for r in result["sweep"]}) == [2, 4]
    assert sum(r["method"] == "JPEG" for r in result["rate_distortion"]) == 2


def test_features_table(bars):
    code, out = run(["features", "--dataset", bars, "--latent-dim", "4", "--epochs", "1", "--labels", "30,all"])
    assert code == 0 and "autoencoder code (4-d)" in out and "raw values (64-d)" in out


def test_flags_left_out_give_the_application_objects_defaults():
    """The CLI builds the same objects the pages do, and its defaults are theirs, not literals of its own."""
    assert commands.denoising(parse(["denoise", "--dataset", "x"])) == Denoising()
    assert commands.compression(parse(["compress", "--dataset", "x"])) == Compression()
    assert commands.feature_comparison(parse(["features", "--dataset", "x"])) == FeatureComparison()
    assert commands.anomaly_detection(parse(["anomaly", "--dataset", "x"]), make_images()) == AnomalyDetection()


def test_flags_given_land_in_the_object():
    args = parse(["compress", "--dataset", "x", "--sizes", "2,4", "--latent-dim", "4", "--epochs", "1",
                  "--lr", "0.01", "--seed", "3"])
    assert commands.compression(args) == Compression((2, 4), 4, schedule=Schedule(1, None, 0.01, 3))
    args = parse(["anomaly", "--dataset", "x", "--normal", "vertical,0", "--variant", "vae"])
    assert commands.anomaly_detection(args, make_images()) == AnomalyDetection((1, 0), "vae")
