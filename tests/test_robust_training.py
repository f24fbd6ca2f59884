"""Faults during training, through the Train page (AppTest) and the jobs API the page uses: a diverging loss,
a Stop in the middle of an epoch, a browser tab that goes away. And the sessions of one server: their models
are their own, only read-only things are shared, and training goes through the one bounded pool.
"""
from __future__ import annotations

import ast
import gc
import hashlib
import re
import threading
import time
import weakref
from dataclasses import replace
from pathlib import Path

import pytest
import torch
from helpers import make_images, make_sequences
from page_helpers import seed_workspace, ws
from streamlit.testing.v1 import AppTest

from aecore import jobs
from aecore.config import TrainConfig
from aecore.data import load_dataset
from aecore.models import build_model, variant_config
from aecore.runs import resume
from aecore.runs.checkpoint import load_run_bytes, run_zip
from aecore.train import fit, new_run

ROOT = Path(__file__).resolve().parents[1]
APP, TRAIN = str(ROOT / "app.py"), str(ROOT / "pages" / "train.py")
LATENT, GENERATE = str(ROOT / "pages" / "latent.py"), str(ROOT / "pages" / "generate.py")


@pytest.fixture(autouse=True)
def own_pool(monkeypatch):
    """Each test gets a fresh default pool (2 slots), and nothing keeps training after it."""
    pool = jobs.JobPool(2)
    monkeypatch.setattr(jobs.pool, "_POOL", pool)
    yield pool
    for job in pool._running + pool._queue:
        job.stop()
    for job in list(pool._running):
        job.wait(10)


def long_training() -> dict:
    """Settings for a run that outlasts any test: the sidebar's maximum of 200 epochs on 2,000 samples."""
    return {"epochs": 200, "batch_size": 16, "data": make_images(n=2000)}


def app(**state) -> AppTest:
    """The whole app on tiny uploaded images, with these widget values; opens on the Train page."""
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["dataset"] = "upload"
    seed_workspace(at, data=state.pop("data", None) or make_images())
    for k, v in state.items():
        at.session_state[k] = v
    return at.run()


def rerun_until(at: AppTest, cond, timeout: float = 60) -> AppTest:
    deadline = time.monotonic() + timeout
    while not cond(at):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)
        at.run()
    return at


def weights(model) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def same(a: dict, b: dict, atol: float = 0.0) -> bool:
    return a.keys() == b.keys() and all(torch.allclose(a[k], b[k], atol=atol, rtol=0) for k in a)


def good_step(message: str) -> int:
    return int(re.search(r"last good weights from step (\d+)", message).group(1))


def replay(run, data, steps: int) -> dict[str, torch.Tensor]:
    """The weights a fresh run with the same settings has after `steps` steps (fit is seeded)."""
    again = new_run(data, run.model_config, replace(run.train_config, lr=run.train_config.lr), run.variant)
    for _ in fit(again, data, max_steps=steps):
        pass
    return weights(again.model)


# --- a seeded start --------------------------------------------------------------------------------------------
def test_a_seeded_run_starts_from_its_own_weights_while_other_threads_build_models():
    """torch's generator is one per process: another session's model, a demo loaded, a training snapshot or the
    server's warm-up, built between a run's seed and its weights, changed them (a replay of a diverged run did not
    match its kept weights, seen once in a full run)."""
    data = make_images()
    cfg, train = variant_config("vanilla", latent_dim=2), TrainConfig(seed=3)
    alone = weights(new_run(data, cfg, train).model)
    stop = threading.Event()

    def others():
        while not stop.is_set():
            build_model(cfg, data.shape)

    threads = [threading.Thread(target=others) for _ in range(2)]
    for t in threads:
        t.start()
    try:
        assert all(same(weights(new_run(data, cfg, train).model), alone) for _ in range(30))
    finally:
        stop.set()
        for t in threads:
            t.join()


# --- a diverging loss ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("variant", ["vae", "vanilla", "conv", "linear"])
def test_lr_10_on_the_train_page_stops_with_a_message_and_keeps_the_last_good_weights(variant):
    at = app(variant=variant, lr=10.0, epochs=20, batch_size=32)
    at.button(key="train_go").click().run()
    rerun_until(at, lambda a: not ws(a).job.active)
    at.run()
    assert not at.exception
    run, job, data = ws(at).run, ws(at).job, ws(at).upload.data
    progress = job.poll()
    assert progress.status == "failed", f"{variant} at lr=10 trained to the end: {run.history[-1].losses}"
    shown = [e.value for e in at.error]
    assert any("smaller learning rate" in e and "now 10" in e for e in shown), shown
    assert all(torch.isfinite(p).all() for p in run.model.parameters())
    assert same(weights(run.model), replay(run, data, good_step(progress.error)), atol=1e-5)
    assert len(at.get("image")) == 1, "what the last good weights reconstruct"
    assert not run.done


def test_after_a_divergence_a_smaller_learning_rate_resumes_the_same_model():
    """The page offers Resume after a divergence; resuming (what its button does, with the sidebar's new
    learning rate: resume.prepare_resume + jobs.start) continues the same model to the end."""
    at = app(variant="vae", lr=10.0, epochs=3, batch_size=32)
    at.button(key="train_go").click().run()
    rerun_until(at, lambda a: not ws(a).job.active)
    at.run()   # the job may have ended after the last run drew the page: draw it once more, as the page does
    run, data = ws(at).run, ws(at).upload.data
    assert not at.button(key="train_resume").disabled
    resume.prepare_resume(run, replace(run.train_config, lr=1e-3))
    job = jobs.start(run, data)
    assert job.wait(60) and job.poll().status == "done" and run.done
    assert all(torch.isfinite(p).all() for p in run.model.parameters())
    assert run.history[-1].losses["loss"] < 100


def test_a_diverging_job_fails_with_its_message_and_a_preview(own_pool):
    data = make_images()
    run = new_run(data, variant_config("vanilla", latent_dim=2), TrainConfig(epochs=20, batch_size=32, lr=10.0))
    job = jobs.start(run, data)
    assert job.wait(60)
    progress = job.poll()
    assert progress.status == "failed" and "smaller learning rate" in progress.error
    assert progress.preview is not None
    assert torch.isfinite(torch.as_tensor(progress.preview.grid, dtype=torch.float)).all()
    assert same(weights(run.model), replay(run, data, good_step(progress.error)), atol=1e-5)
    assert own_pool.counts == (0, 0)   # its slot is free again


def test_a_healthy_learning_rate_is_never_called_divergent():
    """The guard against an exploding (finite) loss must not stop ordinary runs, spiky ones included."""
    for data, variant, lr in [(make_images(), "vanilla", 3e-2), (make_images(), "stacked", 1e-2),
                              (make_sequences(), "lstm", 1e-2),
                              (load_dataset("digits", allow_download=False), "vae", 3e-2)]:
        run = new_run(data, variant_config(variant, latent_dim=2), TrainConfig(epochs=3, batch_size=32, lr=lr))
        for _ in fit(run, data):
            pass
        assert run.done


# --- Stop in the middle of an epoch ---------------------------------------------------------------------------
@pytest.fixture
def stopped_mid_epoch():
    """A VAE stopped by the Train page's Stop button part-way through an epoch."""
    at = app(variant="vae", epochs=50, batch_size=16, lr=1e-3)
    at.button(key="train_go").click().run()
    run = ws(at).run
    for _ in range(10):   # a Stop lands on an epoch boundary 1 time in 12: then resume and stop again
        step = run.step
        rerun_until(at, lambda a, step=step: run.step >= step + 3)
        at.button(key="train_stop").click().run()
        assert not at.exception and ws(at).job.poll().status == "stopped"
        if run.batch > 0:
            break
        at.button(key="train_resume").click().run()
    return at, run, ws(at).upload.data


def test_a_run_stopped_mid_epoch_is_complete_and_finite(stopped_mid_epoch):
    at, run, data = stopped_mid_epoch
    assert 0 < run.batch and not run.done
    assert len(run.history) == run.step and run.history[-1].n == run.step
    step = run.step
    time.sleep(0.2)
    assert run.step == step   # nothing trains after Stop
    with torch.no_grad():
        out = run.model(data.x_test[:4])
    assert torch.isfinite(out).all()


@pytest.mark.parametrize("page", [LATENT, GENERATE])
def test_a_run_stopped_mid_epoch_can_be_explored(stopped_mid_epoch, page):
    _, run, data = stopped_mid_epoch
    at = AppTest.from_file(page, default_timeout=60)
    seed_workspace(at, run, data)
    at.session_state["dataset"] = "upload"
    if page == LATENT:   # as after the atlas' first drawing: its frame has asked for the rest (the whole page)
        at.session_state["latent_atlas"] = {"need": [], "nonce": "drawn"}
    at.run()
    assert not at.exception
    assert len(at.get("plotly_chart")) + len(at.get("image")) >= 1


def test_a_run_stopped_mid_epoch_saves_reloads_and_resumes(stopped_mid_epoch):
    _, run, data = stopped_mid_epoch
    loaded = load_run_bytes(run_zip(run), "stopped.zip")
    assert same(weights(loaded.model), weights(run.model))
    assert (loaded.step, loaded.epoch, loaded.batch) == (run.step, run.epoch, run.batch)
    assert len(loaded.history) == len(run.history)
    resume.prepare_resume(loaded, replace(loaded.train_config, epochs=loaded.epoch + 1))
    job = jobs.start(loaded, data)
    assert job.wait(60) and job.poll().status == "done"
    assert loaded.batch == 0 and loaded.step > run.step   # it finished the interrupted epoch


# --- a browser tab that goes away -----------------------------------------------------------------------------
def collected(ref: weakref.ref, timeout: float = 5.0) -> bool:
    """Whether the object dies within `timeout`: a job's thread and a script run finish a moment after they
    report the end, and hold their objects until then."""
    deadline = time.monotonic() + timeout
    while ref() is not None and time.monotonic() < deadline:
        gc.collect()
        time.sleep(0.05)
    return ref() is None


def test_a_closed_tab_ends_its_job_and_frees_its_run(own_pool):
    """Train from the page, then stop polling (the tab is closed): the job stops itself after its heartbeat,
    and once the session is dropped nothing holds the Run any more."""
    at = app(variant="vanilla", **long_training())
    at.button(key="train_go").click().run()
    job = ws(at).job
    rerun_until(at, lambda a: ws(a).run.step > 0)
    assert job.heartbeat_s == 120.0   # the page's: two minutes without a poll
    job.heartbeat_s = 0.5             # the same path, without waiting two minutes
    ref = weakref.ref(ws(at).run)
    del at                            # the tab is gone: no more reruns, no more polls
    assert job.wait(30), "the job kept training with nobody watching"
    progress = job.poll()
    assert progress.status == "stopped" and "no page asked" in progress.error
    assert own_pool.counts == (0, 0)
    del job, progress
    assert collected(ref), "nothing should hold the Run of a session that is gone"


@pytest.mark.slow   # a fresh Python process, or seconds of real polling: the full suite runs it
def test_polling_from_any_page_keeps_the_job_alive(own_pool):
    """Off the Train page the sidebar's status line polls: a job watched that way keeps training."""
    data = make_images()
    run = new_run(data, variant_config("vanilla"), TrainConfig(epochs=100_000, batch_size=16))
    job = jobs.start(run, data, heartbeat_s=0.5)
    for _ in range(10):
        time.sleep(0.2)
        job.poll(since=None)   # what face.sidebar.training_status_ui does
    assert job.poll(since=None).status == "running"
    job.stop()


def test_reset_frees_the_run():
    at = app(variant="vanilla", **long_training())
    at.button(key="train_go").click().run()
    rerun_until(at, lambda a: ws(a).run.step > 0)
    ref, job = weakref.ref(ws(at).run), ws(at).job
    at.button(key="train_reset").click().run()
    assert not at.exception and job.poll().status == "stopped"
    assert job.wait(10)
    del job
    assert collected(ref), "the session (still open) should no longer hold the model anywhere"


# --- many sessions, one server --------------------------------------------------------------------------------
STREAMLIT_SIDE = [ROOT / "app.py", *sorted((ROOT / "face").glob("*.py")), *sorted((ROOT / "pages").glob("*.py"))]


def cached_functions() -> dict[str, list[str]]:
    """`module:function` for every st.cache_resource / st.cache_data function in app.py, face/ and pages/."""
    found: dict[str, list[str]] = {"cache_resource": [], "cache_data": []}
    for path in STREAMLIT_SIDE:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef):
                for dec in node.decorator_list:
                    target = dec.func if isinstance(dec, ast.Call) else dec
                    if isinstance(target, ast.Attribute) and target.attr in found:
                        found[target.attr].append(f"{path.stem}:{node.name}")
    return found


# Everything st.cache_resource may hold: one object shared by every session, so read-only things only.
SHARED_READ_ONLY = {
    "datasets:load_builtin": "built-in datasets; pages never write into their tensors",
    "lecture:lesson_presets": "the lesson presets, parsed JSON",
    "lecture:demo_files": "bytes of the bundled demo checkpoints; each session builds its own Run from them",
    "lecture:_demo": "a bundled demo read and checked once; no session gets it, only copies (lecture.load_demo, "
                     "test_robust_shared_caches::test_every_session_gets_a_demo_of_its_own)",
    "warmup:start": "the server's warm-up threads (no model); what they prepare goes into the caches below",
    "caches:umap_lock": "one lock for every session: one UMAP at a time on the server",
    "caches:_umap_task": "the UMAP of one model state's codes (keyed by its content fingerprint), computed once "
                         "in the background; its result is never written to",
    "caches:_thumbs_task": "a dataset's hover pictures as bytes, the same for every session, packed once in the "
                           "background; its result is never written to",
    "experiment:_evaluation": "an application's measuring of one set of trained models (keyed by their content "
                              "fingerprints, the data and the settings), run once in the background; its result is "
                              "never written to",
    "export:_downloads": "one model state's export files as bytes (keyed by its content fingerprint and the dataset)",
    "caches:browser_decoder": "one model state's decoder exported as a spec and bytes (keyed by its content "
                              "fingerprint)",
    "caches:kl_figure": "Latent space's KL bar chart of one model state (keyed by its KL values); st.plotly_chart "
                        "only reads it (it converts the figure to a new dict)",
    "caches:_unit_views": "what each unit of one model state stands for (keyed by its content fingerprint and the "
                          "data): its top samples as indices and bytes, what it paints; never written to",
    "caches:_first_layer": "the first layer's weight grid of one model state and which of its units fire (keyed by "
                           "its content fingerprint and the data); never written to",
    "caches:browser_network": "one model state's whole network exported as a spec and bytes (keyed by its content "
                              "fingerprint)",
    "persist:store": "a handle on the workspace store's folder (no state in memory)",
    "follow:shares": "a handle on the shared models' folder (no state in memory)",
}


def test_cache_resource_holds_only_read_only_things():
    assert sorted(cached_functions()["cache_resource"]) == sorted(SHARED_READ_ONLY)


def test_no_model_or_run_is_a_cache_key():
    """st.cache_data hashes its arguments: a model, a Run or a tensor must be passed `_underscored`."""
    for path in STREAMLIT_SIDE:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef) and any(
                    "cache_" in ast.unparse(d) for d in node.decorator_list):
                for arg in node.args.args:
                    if any(word in arg.arg for word in ("model", "run", "_x", "data", "codes")) \
                            and arg.arg not in ("run_id", "run_ids", "data_key", "model_key"):
                        assert arg.arg.startswith("_"), f"{path.name}:{node.name}({arg.arg}) is hashed"


def test_training_never_writes_into_a_shared_dataset(own_pool):
    """A built-in is one object for every session (st.cache_resource): training, previews and encoding
    must leave its tensors as they were, noise-corrupting variants included."""
    data = load_dataset("digits", allow_download=False)
    digest = lambda: hashlib.blake2b(b"".join(t.numpy().tobytes() for t in (data.x_train, data.x_test))).hexdigest()  # noqa: E731
    before = digest()
    for variant in ("denoising", "vae", "sparse"):
        run = new_run(data, variant_config(variant, latent_dim=2), TrainConfig(epochs=1, batch_size=64))
        job = jobs.start(run, data)
        assert job.wait(60) and job.poll().status == "done"
        jobs.preview_for(run, data)
    assert digest() == before


def test_two_sessions_train_their_own_models_through_one_pool(own_pool):
    a = app(variant="vanilla", latent_dim=2, seed=1, **long_training())
    b = app(variant="vae", latent_dim=5, seed=2, **long_training())
    for at in (a, b):
        at.button(key="train_go").click().run()
    run_a, run_b = ws(a).run, ws(b).run
    assert run_a is not run_b and run_a.model is not run_b.model
    assert (run_a.model_config.latent_dim, run_b.model_config.latent_dim) == (2, 5)
    assert own_pool.counts == (2, 0)
    a.button(key="train_stop").click().run()
    step_b = run_b.step
    rerun_until(b, lambda at: ws(at).run.step > step_b)   # b trains on while a is stopped
    assert ws(a).job.poll().status == "stopped" and ws(b).job.active
    b.button(key="train_stop").click().run()


def test_the_pool_size_comes_from_the_environment_and_the_rest_queue(monkeypatch):
    monkeypatch.setenv("AECORE_MAX_JOBS", "1")
    monkeypatch.setattr(jobs.pool, "_POOL", None)   # the server's pool is created on first use, from the environment
    sessions = [app(variant="vanilla", **long_training()) for _ in range(3)]
    for at in sessions:
        at.button(key="train_go").click().run()
    pool = jobs.default_pool()
    try:
        assert pool.max_jobs == 1 and pool.counts == (1, 2)
        assert [ws(at).job.status for at in sessions] == ["running", "queued", "queued"]
        assert "number 1 in the queue" in sessions[1].info[0].value
        assert "number 2 in the queue" in sessions[2].info[0].value
        assert "1 model(s) are training on this server" in sessions[2].info[0].value   # Progress.running
        sessions[0].button(key="train_stop").click().run()
        rerun_until(sessions[1], lambda at: ws(at).job.status == "running")
        sessions[2].run()
        assert "number 1 in the queue" in sessions[2].info[0].value
    finally:
        for at in sessions:
            ws(at).job.stop()
        for at in sessions:
            ws(at).job.wait(10)


def test_an_exploding_finite_loss_restores_the_latest_snapshot(monkeypatch):
    """A loss that stays finite but jumps a million-fold is a divergence too: the weights go back to the
    last snapshot taken before it, exactly."""
    from aecore import train
    monkeypatch.setattr(train, "SNAPSHOT_EVERY", 2)
    data = make_images()
    run = new_run(data, variant_config("vanilla"), TrainConfig(epochs=3, batch_size=32))
    real_loss, calls = run.model.loss, []

    def exploding(x, y=None):
        out = real_loss(x, y)
        calls.append(1)
        return {**out, "loss": out["loss"] * 1e7} if len(calls) == 6 else out   # step 6's loss

    monkeypatch.setattr(run.model, "loss", exploding)
    seen = {0: weights(run.model)}
    with pytest.raises(train.Diverged, match="smaller learning rate") as err:
        for step in fit(run, data):
            seen[step.n] = weights(run.model)
    assert err.value.good_step == 4 and run.step == 5
    assert same(weights(run.model), seen[4])
