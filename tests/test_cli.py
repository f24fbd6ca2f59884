"""`python -m aecore` on a tiny .npz: results numpy can check, and clean errors.

The CLI runs in this process (`aecore.cli.main`, see helpers.run_cli): a subprocess per call paid a ~2 s
torch import each. A few true `python -m aecore` runs in fresh processes are marked slow.
"""
from __future__ import annotations

import json
import pickle
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from aecore.runs.checkpoint import load_run, save_run
from aecore.cli import build_parser
from aecore.config import TrainConfig
from aecore.data import load_dataset
from aecore.infer import encode_all, evaluate
from helpers import CliResult, ROOT, module_env, run_cli as cli, run_module, trained_run, write_bars

CORPUS = ROOT / "tests" / "corpus"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def assert_user_error(result: CliResult | subprocess.CompletedProcess, message: str, code: int = 2) -> None:
    assert result.returncode == code, result.stderr
    assert "error:" in result.stderr and message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr + result.stdout


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    """A folder with tiny.npz (labelled 8x8 bars) and a cvae run trained on it by the CLI."""
    folder = tmp_path_factory.mktemp("cli")
    write_bars(folder / "tiny.npz")
    result = cli("train", "--dataset", "tiny.npz", "--variant", "cvae", "--latent-dim", "3", "--epochs", "2",
                 "--batch-size", "32", "--lr", "3e-3", "--hidden", "64", "--out", "run", cwd=folder)
    assert result.returncode == 0, result.stderr
    return folder


@pytest.fixture(scope="module")
def data(work):
    return load_dataset(str(work / "tiny.npz"))


def test_train_flags_default_to_the_configs():
    args = build_parser().parse_args(["train", "--dataset", "d", "--variant", "vae", "--out", "o"])
    t = TrainConfig()
    assert (args.epochs, args.batch_size, args.lr, args.seed, args.device) == (t.epochs, t.batch_size, t.lr, t.seed, t.device)


def test_train_writes_a_run_folder(work, data):
    cfg = json.loads((work / "run" / "config.json").read_text())
    assert cfg["variant"] == "cvae" and cfg["model"]["latent_dim"] == 3 and cfg["model"]["hidden"] == [64]
    assert cfg["data"]["name"] == "tiny.npz" and cfg["epoch"] == 2
    history = json.loads((work / "run" / "history.json").read_text())
    batches = -(-len(data.x_train) // 32)
    assert len(history["steps"]) == 2 * batches and [t["epoch"] for t in history["test"]] == [1, 2]


def test_eval_prints_one_json_object_with_the_metrics(work, data):
    result = cli("eval", "run", cwd=work)   # the dataset defaults to the run's own
    assert result.returncode == 0, result.stderr
    metrics = json.loads(result.stdout)
    assert set(metrics) == {"dataset", "n", "data", "mse", "psnr", "bce", "elbo", "kl"}
    assert metrics["dataset"] == "tiny.npz" and metrics["n"] == len(data.x_test)
    expected = evaluate(load_run(work / "run").model, data.x_test, data.y_test)
    for key, value in expected.items():
        assert metrics[key] == pytest.approx(value, rel=1e-5), key


def test_eval_of_a_deterministic_model_has_no_elbo(tmp_path):
    run, data = trained_run("vanilla", epochs=1)
    write_bars(tmp_path / "bars.npz")
    save_run(run, tmp_path / "run")
    result = cli("eval", "run", "--dataset", "bars.npz", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert set(json.loads(result.stdout)) == {"dataset", "n", "data", "mse", "psnr", "bce"}


def test_encode_writes_the_codes(work, data):
    result = cli("encode", "run", "--out", "codes.npy", cwd=work)
    assert result.returncode == 0, result.stderr
    codes = np.load(work / "codes.npy")
    assert codes.shape == (len(data.x_test), 3) and codes.dtype == np.float32
    expected = encode_all(load_run(work / "run").model, data.x_test, data.y_test).numpy()
    np.testing.assert_allclose(codes, expected, rtol=1e-5, atol=1e-6)


def test_reconstruct_writes_npy_and_png(work, data):
    result = cli("reconstruct", "run", "--n", "5", "--out", "out/recon.npy", cwd=work)
    assert result.returncode == 0, result.stderr
    recon = np.load(work / "out" / "recon.npy")
    assert recon.shape == (5, 1, 8, 8) and 0 <= recon.min() and recon.max() <= 1
    assert (work / "out" / "recon.png").read_bytes().startswith(PNG_MAGIC)
    assert json.loads(result.stdout)["shape"] == [5, 1, 8, 8]


def test_sample_a_chosen_class(work):
    result = cli("sample", "run", "--n", "7", "--label", "1", "--seed", "3", "--out", "s.npy", cwd=work)
    assert result.returncode == 0, result.stderr
    samples = np.load(work / "s.npy")
    assert samples.shape == (7, 1, 8, 8) and 0 <= samples.min() and samples.max() <= 1
    assert (work / "s.png").read_bytes().startswith(PNG_MAGIC)
    again = cli("sample", "run", "--n", "7", "--label", "1", "--seed", "3", "--out", "t.npy", cwd=work)
    assert again.returncode == 0 and np.array_equal(np.load(work / "t.npy"), samples)


def test_datasets_lists_the_builtins(tmp_path):
    result = cli("datasets", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert {"mnist", "digits"} <= {r["name"] for r in rows}
    assert all({"name", "title", "kind", "will_use"} <= set(r) for r in rows)
    table = cli("datasets", cwd=tmp_path)
    assert table.returncode == 0 and "will use" in table.stdout and "mnist" in table.stdout


@pytest.mark.slow
def test_bench_prints_a_table_then_json(tmp_path):
    """A benchmark (a matmul peak, 60k samples), so in a fresh process and marked slow."""
    result = run_module("bench", "--quick", "--steps", "2", "--repeats", "1", "--cases", "vae", cwd=tmp_path,
                        timeout=300)
    assert result.returncode == 0, result.stderr
    *table, last = result.stdout.strip().splitlines()
    report = json.loads(last)
    assert [c["case"] for c in report["cases"]] == ["vae"] and report["matmul_peak_gflops"] > 0
    row = report["cases"][0]
    assert row["fit_samples_per_s"] > 0 and row["bare_samples_per_s"] > 0 and row["ceiling"] > 0
    assert any(line.startswith("vae ") for line in table)


@pytest.mark.slow
def test_application_subcommands_run_from_python_m_aecore(work):
    result = run_module("anomaly", "--dataset", "tiny.npz", "--normal", "0", "--latent-dim", "2", "--epochs", "1", "--json",
                 cwd=work)
    assert result.returncode == 0, result.stderr
    aucs = json.loads(result.stdout)["roc_auc"]
    assert set(aucs) == {"autoencoder", "PCA-2", "Isolation Forest"} and all(0 <= v <= 1 for v in aucs.values())


# --- failures ----------------------------------------------------------------------------------------------
def test_a_diverging_run_saves_good_weights_and_exits_1(work):
    result = cli("train", "--dataset", "tiny.npz", "--variant", "vae", "--epochs", "5", "--lr", "10",
                 "--batch-size", "32", "--out", "diverged", cwd=work)
    assert_user_error(result, "smaller learning rate", code=1)
    run = load_run(work / "diverged")   # loading checks every weight is finite
    assert run.step >= 1


@pytest.mark.slow
def test_ctrl_c_saves_what_it_has(tmp_path):
    write_bars(tmp_path / "tiny.npz")
    proc = subprocess.Popen([sys.executable, "-m", "aecore", "train", "--dataset", "tiny.npz", "--variant", "vanilla",
                             "--epochs", "100000", "--batch-size", "32", "--out", "run"],
                            cwd=tmp_path, env=module_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    seen, started = bytearray(), threading.Event()

    def watch():   # tqdm redraws with \r, so read bytes, not lines
        while chunk := proc.stderr.read1(4096):
            seen.extend(chunk)
            if b"samples/s" in seen:   # the progress bar is up: training has started
                started.set()

    threading.Thread(target=watch, daemon=True).start()
    try:
        assert started.wait(120), seen.decode(errors="replace")
        proc.send_signal(signal.SIGINT)
        assert proc.wait(60) == 130
    finally:
        proc.kill()
    time.sleep(0.1)
    assert b"saved to run" in seen and b"Traceback" not in seen
    run = load_run(tmp_path / "run")
    assert run.step >= 10 and not run.done


@pytest.fixture(scope="module")
def other_files(tmp_path_factory):
    """Inputs for the bad-input cases: unlabelled data, 6x6 images, a pickle, a damaged run folder."""
    folder = tmp_path_factory.mktemp("bad")
    write_bars(folder / "tiny.npz")
    write_bars(folder / "unlabelled.npz", labels=False)
    write_bars(folder / "small.npz", size=6)
    (folder / "model.pt").write_bytes(pickle.dumps({"weights": [1, 2, 3]}))
    run, _ = trained_run("vanilla", epochs=1)
    save_run(run, folder / "vanilla")
    save_run(run, folder / "broken")
    (folder / "broken" / "config.json").write_text("{oops")
    (folder / "a_file").write_text("not a folder")
    return folder


TRAIN = ("train", "--dataset", "tiny.npz", "--epochs", "1", "--out", "x")
BAD_INPUTS = {
    "no such dataset": (("train", "--dataset", "nope.npz", "--variant", "vae", "--out", "x"), "neither a built-in"),
    "latent 0": ((*TRAIN, "--variant", "vae", "--latent-dim", "0"), "latent_dim must be at least 1"),
    "negative lr": ((*TRAIN, "--variant", "vae", "--lr", "-1"), "lr must be > 0"),
    "zero epochs": ((*TRAIN[:3], "--epochs", "0", "--variant", "vae", "--out", "x"), "epochs must be at least 1"),
    "masking over 1": ((*TRAIN, "--variant", "denoising", "--noise", "masking", "--noise-level", "2"), "fraction"),
    "conv too deep": ((*TRAIN, "--variant", "conv", "--hidden", "8,8,8,8"), "too many"),
    "cvae without labels": (("train", "--dataset", "unlabelled.npz", "--variant", "cvae", "--out", "x"), "labelled"),
    "bad hidden": ((*TRAIN, "--variant", "vae", "--hidden", "4x"), "comma-separated"),
    "unknown variant": ((*TRAIN, "--variant", "wat"), "invalid choice"),
    "no run folder": (("eval", "missing"), "not a folder"),
    "broken config": (("eval", "broken"), "config.json is not valid JSON"),
    "pickled run": (("eval", "model.pt"), "pickled checkpoints are not accepted"),
    "other shape": (("eval", "vanilla", "--dataset", "small.npz"), "shape"),
    "dataset gone": (("eval", "vanilla"), "pass --dataset"),
    "sample a plain AE": (("sample", "vanilla", "--out", "s.npy"), "variational"),
    "sample zero": (("sample", "vanilla", "--n", "0", "--out", "s.npy"), "--n must be at least 1"),
    "unwritable out": (("encode", "vanilla", "--dataset", "tiny.npz", "--out", "a_file/codes.npy"), "a_file"),
}


@pytest.mark.parametrize("case", BAD_INPUTS, ids=list(BAD_INPUTS))
def test_bad_input_exits_2_with_a_message(other_files, case):
    assert_user_error(cli(*BAD_INPUTS[case][0], cwd=other_files), BAD_INPUTS[case][1])


@pytest.mark.slow
def test_a_bad_input_exits_2_from_python_m_aecore(other_files):
    """The same through a real process: the exit code and message reach the shell, and no traceback."""
    assert_user_error(run_module(*BAD_INPUTS["broken config"][0], cwd=other_files), BAD_INPUTS["broken config"][1])


def test_a_conditional_vae_needs_a_label(work):
    assert_user_error(cli("sample", "run", "--out", "s.npy", cwd=work), "needs the class")
    assert_user_error(cli("sample", "run", "--label", "9", "--out", "s.npy", cwd=work), "--label must be")


# --- the data engineer's corpus of bad files -----------------------------------------------------------------
EXPECTED = json.loads((CORPUS / "EXPECTED.json").read_text()) if (CORPUS / "EXPECTED.json").exists() else {}


@pytest.mark.skipif(not EXPECTED, reason="tests/corpus/EXPECTED.json is absent")
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_file_is_refused_with_its_message(tmp_path, name):
    result = cli("train", "--dataset", CORPUS / name, "--variant", "vanilla", "--epochs", "1",
                 "--out", tmp_path / name, cwd=tmp_path)
    assert_user_error(result, EXPECTED[name])
