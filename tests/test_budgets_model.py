"""Budgets before work (issue 18): a model's declared sizes are checked against the limits before anything is
allocated, on every path a model is built by: training, the Models page upload, run folders, the store behind
shared links, the CLI. Hostile runs are generated here by tests/corpus/checkpoints/make_checkpoints.py."""
from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import time
import zipfile
from dataclasses import replace

import pytest
from helpers import ROOT

from aecore import cli
from aecore.budget import ModelLimits, ModelTooLarge, check_model, model_cost
from aecore.config import ModelConfig
from aecore.models import MODELS, build_model, variant_config
from aecore.runs import checkpoint
from aecore.runs.checkpoint import (
    CheckpointError,
    load_run,
    load_run_bytes,
    run_files,
    runs_from_files,
)
from aecore.runs.store import WorkspaceStore
from aecore.train import Step


def _generators():
    path = ROOT / "tests" / "corpus" / "checkpoints" / "make_checkpoints.py"
    spec = importlib.util.spec_from_file_location("make_checkpoints", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make = _generators()


@pytest.fixture(scope="module")
def files():
    return make.tiny_files()


def refused(blob: bytes, *needles: str) -> str:
    t0 = time.perf_counter()
    with pytest.raises(CheckpointError) as err:
        load_run_bytes(blob, "hostile.zip")
    assert time.perf_counter() - t0 < 2, "refused only after work"
    for needle in needles:
        assert needle in str(err.value)
    return str(err.value)


# --- the model a config declares ------------------------------------------------------------------------------
def test_a_few_kb_zip_declaring_a_16_gib_sample_is_refused_before_it_is_built(files):
    blob = make.zipped(make.huge_conv(files))
    assert len(blob) < 10_000
    message = refused(blob, "1x65536x65536", "4,294,967,296 values per sample", "AECORE_MAX_FEATURES")
    assert "\n" not in message


def test_an_lstm_of_50_million_steps_is_refused(files):
    refused(make.zipped(make.long_lstm(files)), "50000000x1", "AECORE_MAX_FEATURES")


def test_a_run_folder_is_held_to_the_same_budget(files, tmp_path):
    for name, blob in make.huge_conv(files).items():
        (tmp_path / name).write_bytes(blob)
    with pytest.raises(CheckpointError, match="AECORE_MAX_FEATURES"):
        load_run(tmp_path)


def test_a_shared_model_over_the_budget_is_not_served(files, tmp_path):
    """The store behind ?follow= links rebuilds runs with runs_from_files: an entry over the budget (saved where
    the limits were raised, or written by hand) is refused, as an unreadable entry is."""
    store = WorkspaceStore(tmp_path)
    store.save("a" * 32, runs_from_files(files), {})
    assert store.load("a" * 32).run is not None
    folder = tmp_path / ("a" * 32)
    for name, blob in make.long_lstm(files).items():
        (folder / name).write_bytes(blob)
    assert store.load("a" * 32) is None


@pytest.mark.parametrize("command", [["sample", "--n", "4"], ["eval"]])
def test_the_cli_says_one_line_and_exits_2(files, tmp_path, capsys, command):
    path = tmp_path / "conv.zip"
    path.write_bytes(make.zipped(make.huge_conv(files)))
    out = ["--out", str(tmp_path / "x.npy")] if command[0] == "sample" else []
    argv = [command[0], str(path), *command[1:], *out]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "AECORE_MAX_FEATURES" in err


def test_the_cli_in_a_fresh_process_has_no_traceback(files, tmp_path):
    path = tmp_path / "lstm.zip"
    path.write_bytes(make.zipped(make.long_lstm(files)))
    done = subprocess.run([sys.executable, "-m", "aecore", "sample", str(path), "--n", "4", "--out",
                           str(tmp_path / "x.npy")], capture_output=True, text=True, cwd=ROOT, timeout=120, check=False)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip().count("\n") == 0 and "AECORE_MAX_FEATURES" in done.stderr
    assert not (tmp_path / "x.npy").exists()


@pytest.mark.parametrize("cfg, shape, var", [
    (ModelConfig(hidden=(10**9,)), (1, 28, 28), "AECORE_MAX_PARAMS"),                     # a huge width
    (ModelConfig(latent_dim=10**8, hidden=(64,)), (1, 28, 28), "AECORE_MAX_PARAMS"),      # a huge latent
    (ModelConfig(architecture="conv", hidden=(4096, 4096)), (1, 28, 28), "AECORE_MAX_PARAMS"),
    (ModelConfig(architecture="conv", hidden=(600,)), (1, 128, 128), "AECORE_MAX_ACTIVATIONS"),
    (ModelConfig(architecture="conv", hidden=(64, 512)), (1, 128, 128), "AECORE_MAX_MACS"),
    (ModelConfig(architecture="lstm", hidden=(8,) * 6, loss="mse", output="identity"), (19_000, 1), "AECORE_MAX_STEPS"),
])
def test_every_limit_refuses_a_model_before_a_layer_is_built(cfg, shape, var, monkeypatch):
    monkeypatch.setenv("AECORE_MAX_FEATURES", "100000")   # past the sample-size limit, to reach the others
    t0 = time.perf_counter()
    with pytest.raises(ModelTooLarge, match=var):
        build_model(cfg, shape, (-1.0, 1.0) if cfg.loss == "mse" else (0.0, 1.0))
    assert time.perf_counter() - t0 < 0.5


def test_the_environment_variables_raise_the_limits(monkeypatch):
    cfg = ModelConfig(hidden=(40_000,))
    with pytest.raises(ModelTooLarge, match="AECORE_MAX_PARAMS"):
        check_model(cfg, (1, 28, 28))
    monkeypatch.setenv("AECORE_MAX_PARAMS", "100000000")
    assert check_model(cfg, (1, 28, 28)).params == 2 * 784 * 40_000 + 40_000 * 2 * 2 + 40_000 + 2 + 40_000 + 784
    assert ModelLimits.from_env().max_params == 100_000_000


@pytest.mark.parametrize("name", sorted(MODELS))
def test_the_cost_counts_exactly_the_weights_pytorch_builds(name):
    shape = {"lstm": (140, 1)}.get(name, (1, 28, 28))
    value_range = (-1.0, 1.0) if name == "lstm" else (0.0, 1.0)
    model = build_model(variant_config(name, latent_dim=5), shape, value_range, n_classes=10)
    assert model_cost(model.config, shape).params == sum(p.numel() for p in model.parameters())


def test_every_variant_on_every_kind_of_legitimate_data_fits_the_default_budget():
    """MNIST and 3x64x64 colour images, ECG5000's 140-step heartbeats, a 20,000-feature vector."""
    for name, variant in MODELS.items():
        for shape in [(1, 28, 28), (3, 64, 64), (140, 1), (20_000,)]:
            kind = {3: "image", 2: "sequence", 1: "vector"}[len(shape)]
            if kind not in variant.kinds or (variant.defaults.get("architecture") == "lstm") != (kind == "sequence"):
                continue
            check_model(replace(variant_config(name), latent_dim=32, n_classes=10), shape, ModelLimits())


# --- checkpoint archives: a total budget, each file once ------------------------------------------------------
def test_duplicate_member_names_are_refused_before_any_is_unpacked(files):
    blob = make.duplicated(files, "history.json", 5, 20 * 2**20)
    refused(blob, "history.json more than once")


def test_the_run_files_together_get_one_budget(files, tmp_path, monkeypatch):
    monkeypatch.setattr(checkpoint, "MAX_CHECKPOINT_BYTES", 3 * 2**20)
    padded = {**files, "history.json": json.dumps({"steps": [], "test": [], "pad": "x" * (2 * 2**20)}).encode(),
              "model.safetensors": files["model.safetensors"] + b" " * (2 * 2**20)}
    refused(make.zipped(padded, zipfile.ZIP_STORED), "together", "over the 3 MiB limit for a run")
    for name, blob in padded.items():
        (tmp_path / name).write_bytes(blob)
    with pytest.raises(CheckpointError, match="together"):
        load_run(tmp_path)


def test_a_history_over_its_byte_limit_is_not_parsed(files, monkeypatch):
    monkeypatch.setitem(checkpoint.MAX_FILE_BYTES, "history.json", 2**20)
    refused(make.zipped(make.long_history(files, 2)), "history.json would unpack to", "over the 1 MiB limit")


# --- histories: a bounded length ---------------------------------------------------------------------------------
def long_run(files, n: int, per_epoch: int = 500):
    run = runs_from_files(files)
    run.history = [Step(i + 1, (i + 1) / per_epoch, {"loss": 100.0 - i / n}, 1000.0, 0.0,
                        "pretrain 1/1" if i < 10 else "train",
                        {"loss": 1.0} if (i + 1) % per_epoch == 0 else None) for i in range(n)]
    return run


def test_a_long_history_is_saved_thinned_and_keeps_what_matters(files):
    from aecore.runs.history import MAX_STEPS

    run = long_run(files, 3 * MAX_STEPS)
    blob = run_files(run)["history.json"]
    saved = json.loads(blob)["steps"]
    assert len(saved) <= MAX_STEPS and len(blob) < 5 * 2**20
    assert sum(s["test"] is not None for s in saved) == 3 * MAX_STEPS // 500     # every epoch's end
    assert saved[0]["n"] == 1 and saved[-1]["n"] == 3 * MAX_STEPS                # first and last
    assert next(s["n"] for s in saved if s["phase"] == "train") == 11            # each phase's first step
    assert len(run.history) == 3 * MAX_STEPS                                     # training's own record untouched
    loaded = runs_from_files({**run_files(run)})
    assert len(loaded.history) == len(saved)


def test_a_loaded_history_longer_than_the_cap_is_thinned(files):
    from aecore.runs.history import MAX_STEPS

    run = long_run(files, 2 * MAX_STEPS)
    history = {"steps": [s.__dict__ for s in run.history], "test": []}
    loaded = runs_from_files({**files, "history.json": json.dumps(history).encode()})
    assert len(loaded.history) <= MAX_STEPS
    assert loaded.history[-1].n == 2 * MAX_STEPS


def test_the_bundled_demos_still_load():
    demos = [p for p in sorted((ROOT / "assets" / "demos").iterdir()) if (p / "config.json").is_file()]
    assert demos, "no bundled demos found"
    for folder in demos:
        assert load_run(folder).model is not None


def test_the_browser_decoder_is_held_to_the_server_s_budget(monkeypatch):
    """A model built where the limits were raised (the CLI) is not shipped to a browser under the default ones."""
    from aecore.views.decoder_export import export_decoder

    cfg = ModelConfig(hidden=(64,))
    monkeypatch.setenv("AECORE_MAX_FEATURES", "30000")
    model = build_model(cfg, (30_000,), (-1.0, 1.0))
    assert export_decoder(model).spec["shape"] == [30_000]
    monkeypatch.delenv("AECORE_MAX_FEATURES")
    with pytest.raises(ModelTooLarge, match="AECORE_MAX_FEATURES"):
        export_decoder(model)


def test_a_ray_worker_gets_the_whole_history_to_count_steps_as_the_server_does(files):
    from aecore.jobs.transfer import pack, unpack
    from aecore.runs.history import MAX_STEPS

    run = long_run(files, MAX_STEPS + 100)
    assert len(unpack(pack(run), "cpu").history) == MAX_STEPS + 100


def test_the_models_page_shows_the_limit_and_keeps_the_current_model(files):
    from helpers import trained_run
    from page_helpers import seed_workspace, ws
    from streamlit.testing.v1 import AppTest

    run, data = trained_run("vae", epochs=1)
    at = AppTest.from_file(str(ROOT / "pages" / "models.py"), default_timeout=30)
    seed_workspace(at, run, data)
    at.run()
    at.file_uploader(key="model_upload").set_value(("conv.zip", make.zipped(make.huge_conv(files)), "application/zip"))
    at.run()
    assert not at.exception
    assert "AECORE_MAX_FEATURES" in at.error[0].value and "1x65536x65536" in at.error[0].value
    assert ws(at).run is run


def test_a_model_over_the_budget_is_refused_on_the_train_page_with_its_limit(monkeypatch):
    from helpers import make_images
    from page_helpers import seed_workspace, ws
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("AECORE_MAX_PARAMS", "1000")   # far below the sidebar model on any data
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    at.session_state["dataset"] = "upload"
    seed_workspace(at, data=make_images())
    at.run()
    at.button(key="train_go").click().run()
    assert not at.exception
    assert any("AECORE_MAX_PARAMS" in e.value for e in at.error)
    assert ws(at).job is None
