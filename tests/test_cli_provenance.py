"""Runs remember their data: `eval`, `encode` and `reconstruct` use the SAME data a run was trained on (found again
from the record in its config.json) or refuse with exit 2; `--dataset` names other data, and every JSON result
says which data and how many samples it used. `datasets --fetch` fills the cache for an offline classroom, from a
loopback mirror (never the internet)."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from helpers import ROOT, isolate_data, run_cli, serve, shared_dataset, write_bars

from aecore.runs.checkpoint import load_run, save_run

DATA_KEYS = {"name", "title", "origin", "path", "n", "split", "same_as_training"}
TRAIN = ("--variant", "vanilla", "--latent-dim", "2", "--hidden", "8", "--epochs", "1", "--batch-size", "32")


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    isolate_data(monkeypatch, tmp_path)


@pytest.fixture
def bars(tmp_path) -> Path:
    """tmp_path with data/bars.npz (200 labelled 8x8 bars: 160 train / 40 test) and `run`, trained on it by the
    CLI from inside data/ with a relative path, as a person would."""
    (tmp_path / "data").mkdir()
    write_bars(tmp_path / "data" / "bars.npz")
    result = run_cli("train", "--dataset", "bars.npz", *TRAIN, "--out", tmp_path / "run", cwd=tmp_path / "data")
    assert result.returncode == 0, result.stderr
    return tmp_path


def ok(result) -> dict:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_config_json_records_where_the_data_came_from(bars):
    record = json.loads((bars / "run" / "config.json").read_text())["data"]["provenance"]
    assert {k: record[k] for k in ("name", "origin", "path", "n_train", "n_test")} == {
        "name": "bars.npz", "origin": "file", "path": str(bars / "data" / "bars.npz"), "n_train": 160, "n_test": 40}
    assert len(record["test_digest"]) == 16
    assert "trained on bars.npz [160 train / 40 test, file]" in run_cli("train", "--dataset", bars / "data" / "bars.npz",
                                                                       *TRAIN, "--out", bars / "again").stdout


def test_a_run_finds_its_data_at_the_recorded_path_without_dataset(bars):
    out = ok(run_cli("eval", "run", cwd=bars))   # another folder: "bars.npz" alone would not be found here
    assert out["data"] == {"name": "bars.npz", "title": "bars.npz", "origin": "file",
                           "path": str(bars / "data" / "bars.npz"), "n": 40, "split": "test", "same_as_training": True}
    assert out["n"] == 40


def test_every_result_says_which_data_and_how_many_samples(bars):
    results = {"eval": ok(run_cli("eval", "run", cwd=bars)),
               "encode": ok(run_cli("encode", "run", "--split", "train", "--out", "codes.npy", cwd=bars)),
               "reconstruct": ok(run_cli("reconstruct", "run", "--n", "5", "--out", "recon.npy", cwd=bars))}
    assert all(set(r["data"]) == DATA_KEYS and r["data"]["name"] == "bars.npz" for r in results.values())
    assert [results[c]["data"]["n"] for c in results] == [40, 160, 5]
    assert results["encode"]["data"]["split"] == "train" and results["encode"]["shape"] == [160, 2]


def test_eval_after_the_data_is_gone_exits_2_and_loses_nothing(bars):
    before = snapshot(bars / "run")
    (bars / "data").rename(bars / "moved")
    for command in (("eval", "run"), ("encode", "run", "--out", "codes.npy"), ("reconstruct", "run", "--out", "r.npy")):
        result = run_cli(*command, cwd=bars)
        assert result.returncode == 2 and result.stdout == "" and "Traceback" not in result.stderr
        assert result.stderr.count("\n") == 1, result.stderr    # one line
        assert result.stderr.startswith("error: this run was trained on bars.npz [160 train / 40 test, file], but it "
                                        "is not on this computer"), result.stderr
        assert "pass --dataset NAME|PATH" in result.stderr and str(bars / "data" / "bars.npz") in result.stderr
    assert snapshot(bars / "run") == before and not (bars / "codes.npy").exists() and not (bars / "r.npy").exists()
    again = ok(run_cli("eval", "run", "--dataset", "moved/bars.npz", cwd=bars))   # the same data, found elsewhere
    assert again["data"]["same_as_training"] is True and again["data"]["path"] == str(bars / "moved" / "bars.npz")


def test_dataset_names_other_data_and_the_json_says_it_differs(bars):
    write_bars(bars / "other.npz", seed=1)
    result = run_cli("eval", "run", "--dataset", "other.npz", cwd=bars)
    out = ok(result)
    assert out["data"]["name"] == "other.npz" and out["data"]["same_as_training"] is False and out["data"]["n"] == 40
    assert "note: using other.npz [160 train / 40 test, file], not the data this run was trained on" in result.stderr


def test_the_offline_subset_is_refused_for_a_run_trained_on_full_mnist(tmp_path):
    """The bug report: a full-MNIST run was evaluated on the 1,000-image subset with only a warning."""
    assert run_cli("train", "--dataset", "mnist", "--offline", *TRAIN, "--out", "run", cwd=tmp_path).returncode == 0
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    config["data"]["provenance"] = {"name": "mnist", "origin": "local", "title": "MNIST", "path": str(tmp_path / "gone"),
                                    "n_train": 60000, "n_test": 10000, "test_digest": "0123456789abcdef"}
    (tmp_path / "run" / "config.json").write_text(json.dumps(config))
    refused = run_cli("eval", "run", "--offline", cwd=tmp_path)
    assert refused.returncode == 2 and refused.stdout == ""
    assert ("trained on MNIST [60,000 train / 10,000 test, local], but only MNIST (5k offline subset) [4,000 train / "
            "1,000 test, embedded] is here; fetch it with `python -m aecore datasets --fetch mnist`") in refused.stderr
    out = ok(run_cli("eval", "run", "--offline", "--dataset", "mnist", cwd=tmp_path))
    assert (out["data"]["origin"], out["data"]["n"], out["data"]["same_as_training"]) == ("embedded", 1000, False)


def test_an_old_run_without_provenance_still_loads_and_evaluates(bars):
    config = json.loads((bars / "run" / "config.json").read_text())
    del config["data"]["provenance"]
    (bars / "run" / "config.json").write_text(json.dumps(config))
    assert load_run(bars / "run").data_info.provenance is None
    result = run_cli("eval", bars / "run", cwd=bars / "data")   # by name, as before runs recorded their data
    assert ok(result)["data"]["same_as_training"] is None and "does not record which data" in result.stderr
    for demo in sorted((ROOT / "assets" / "demos").iterdir()):
        assert load_run(demo).model is not None


def test_a_loaded_run_keeps_its_record_when_saved_again(bars, tmp_path):
    run = load_run(bars / "run")
    save_run(run, tmp_path / "copy")
    assert load_run(tmp_path / "copy").data_info.provenance == run.data_info.provenance is not None


# --- datasets --fetch ------------------------------------------------------------------------------------------
def test_fetch_reports_each_dataset_and_exits_1_when_one_failed(tmp_path):
    result = run_cli("datasets", "--fetch", "sines", "--fetch", "fashion-mnist", "--cache-dir", tmp_path / "c")
    lines = result.stdout.splitlines()
    assert result.returncode == 1 and len(lines) == 3, result.stdout
    assert lines[0].startswith("built in") and "sines" in lines[0]
    assert lines[1].startswith("FAILED") and "could not fetch Fashion-MNIST" in lines[1]
    assert lines[2] == "1 built in, 1 failed" and "not found in" not in result.stdout   # folders only with --verbose
    verbose = run_cli("datasets", "--fetch", "fashion-mnist", "--cache-dir", tmp_path / "c", "--verbose")
    assert "not found in" in verbose.stdout and verbose.returncode == 1


def test_fetch_usage_errors_exit_2(tmp_path):
    assert run_cli("datasets", "--fetch", "imagenet").returncode == 2
    assert "drop --offline" in run_cli("datasets", "--fetch", "mnist", "--offline").stderr


def test_a_missing_dataset_is_one_line_naming_the_fetch_command(tmp_path):
    result = run_cli("train", "--dataset", "fashion-mnist", "--offline", *TRAIN, "--out", "run", cwd=tmp_path)
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert "`python -m aecore datasets --fetch fashion-mnist`" in result.stderr
    verbose = run_cli("train", "--dataset", "fashion-mnist", "--offline", *TRAIN, "--out", "run", "--verbose",
                      cwd=tmp_path)
    assert verbose.returncode == 2 and "not found in" in verbose.stderr   # the folders searched, on request


@pytest.mark.slow
def test_fetch_mnist_from_a_loopback_mirror_then_already_here(tmp_path, monkeypatch):
    shutil.copytree(shared_dataset("mnist"), tmp_path / "mirror")
    cache = tmp_path / "cache"
    with serve(tmp_path / "mirror") as url:
        monkeypatch.setenv("AECORE_MNIST_URL", url)
        first = run_cli("datasets", "--fetch", "mnist", "--cache-dir", cache)
        second = run_cli("datasets", "--fetch-all", "--cache-dir", cache, "--json")
    assert first.returncode == 0 and first.stdout.startswith("fetched") and "1 fetched" in first.stdout, first.stdout
    assert len(list((cache / "mnist").glob("*.gz"))) == 4
    reports = {r["name"]: r for r in json.loads(second.stdout)}
    assert reports["mnist"]["status"] == "present" and reports["mnist"]["where"] == str(cache / "mnist")
    assert reports["fashion-mnist"]["status"] == "failed" and second.returncode == 1


def test_a_classroom_run_refused_offline_works_again_after_fetch(tmp_path, monkeypatch):
    """ECG5000 from a folder; the folder goes; eval names the fetch command; after fetching it evaluates again."""
    shutil.copytree(shared_dataset("ecg5000"), tmp_path / "usb" / "ecg5000")
    assert run_cli("train", "--dataset", "ecg5000", "--data-dir", tmp_path / "usb", *TRAIN, "--out", "run",
                   cwd=tmp_path).returncode == 0
    assert ok(run_cli("eval", "run", cwd=tmp_path))["data"]["path"] == str(tmp_path / "usb" / "ecg5000")
    shutil.move(tmp_path / "usb" / "ecg5000", tmp_path / "mirror")
    refused = run_cli("eval", "run", cwd=tmp_path)
    assert refused.returncode == 2 and "`python -m aecore datasets --fetch ecg5000`" in refused.stderr
    with serve(tmp_path / "mirror") as url:
        monkeypatch.setenv("AECORE_ECG5000_URL", url)
        assert run_cli("datasets", "--fetch", "ecg5000").returncode == 0
    out = ok(run_cli("eval", "run", cwd=tmp_path))
    assert (out["data"]["origin"], out["data"]["n"], out["data"]["same_as_training"]) == ("cache", 4500, True)
