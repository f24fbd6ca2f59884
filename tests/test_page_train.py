"""AppTest of the Train page: the whole app with tiny uploaded data, and the page alone with seeded state."""
from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path

import pytest
from helpers import make_images, one_thread, trained_run
from page_helpers import seed_workspace, ws
from streamlit.testing.v1 import AppTest

from aecore import jobs
from aecore.config import TrainConfig
from aecore.models import variant_config
from aecore.train import new_run

ROOT = Path(__file__).resolve().parents[1]
APP, PAGE = str(ROOT / "app.py"), str(ROOT / "pages" / "train.py")


@pytest.fixture(autouse=True)
def stop_jobs_after(monkeypatch):
    """Each test gets its own default pool (2 slots), and nothing keeps training after it."""
    pool = jobs.JobPool(2)
    monkeypatch.setattr(jobs.pool, "_POOL", pool)
    yield pool
    for job in pool._running + pool._queue:
        job.stop()
    for job in list(pool._running):
        job.wait(10)


def app(**state) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    at.session_state["dataset"] = "upload"
    seed_workspace(at, data=make_images())
    for k, v in state.items():
        at.session_state[k] = v
    return at.run()


def page(run=None, data=None, job=None, **state) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=30)
    seed_workspace(at, run, data, job)
    for k, v in state.items():
        at.session_state[k] = v
    return at.run()


def rerun_until(at: AppTest, cond, timeout: float = 30) -> AppTest:
    deadline = time.monotonic() + timeout
    while not cond(at):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)
        at.run()
    return at


def buttons(at: AppTest) -> dict[str, bool]:
    """label -> enabled, of the page's buttons (the sidebar has its own, such as Share)"""
    return {b.label: not b.disabled for b in at.main.button}


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_app_opens_on_the_train_page():
    at = app()
    assert not at.exception
    assert at.title[0].value == "Train"
    assert buttons(at) == {"Train": True, "Stop": False, "Resume": False, "Reset": False}
    assert "No model yet" in at.caption[0].value


@pytest.mark.slow
def test_train_runs_to_the_end_and_shows_aecore_numbers():
    at = app(epochs=3, batch_size=32)
    at.button(key="train_go").click().run()
    assert not at.exception
    job = ws(at).job
    assert job.run is ws(at).run   # (on tiny data it may be done already: Stop is tested below)
    rerun_until(at, lambda a: not ws(a).job.active)
    at.run()   # the full rerun that follows the end of training
    assert not at.exception
    run = ws(at).run
    assert job.poll().status == "done" and run.epoch == 3
    assert metric(at, "Test loss") == f"{run.test_loss:.2f}"
    assert f"test loss {run.test_loss:.2f}" in at.caption[0].value   # the banner
    assert f"{run.epoch} epochs" in at.caption[0].value
    assert len(ws(at).train_view.steps[1]) == len(run.history) == run.step   # every step, once
    chart = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert {"train loss", "train reconstruction", "train KL", "test loss"} <= {t["name"] for t in chart["data"]}
    assert len(at.get("image")) == 1, "the reconstruction grid"
    assert buttons(at) == {"Train": True, "Stop": False, "Resume": False, "Reset": True}


def test_stop_then_resume():
    at = app(epochs=200, batch_size=16, variant="vanilla")
    at.button(key="train_go").click().run()
    rerun_until(at, lambda a: ws(a).run.step > 0)
    at.button(key="train_stop").click().run()
    assert not at.exception
    run, job = ws(at).run, ws(at).job
    assert job.poll().status == "stopped" and not run.done
    assert buttons(at) == {"Train": True, "Stop": False, "Resume": True, "Reset": True}
    assert "stopped" in at.get("progress")[-1].proto.text
    step = run.step
    at.button(key="train_resume").click().run()
    resumed = ws(at).job
    assert resumed is not job and resumed.run is run and resumed.active
    rerun_until(at, lambda a: ws(a).run.step > step)
    assert ws(at).run is run   # the same model continued, not a new one
    at.button(key="train_stop").click().run()


def test_resume_needs_the_same_settings():
    at = app(epochs=200, batch_size=16, variant="vanilla")
    at.button(key="train_go").click().run()
    at.button(key="train_stop").click().run()
    assert buttons(at)["Resume"]
    at.session_state["latent_dim"] = 3   # another model: Resume would not continue the same one
    at.run()
    assert not buttons(at)["Resume"]


def test_reset_forgets_the_run():
    at = app(epochs=200, batch_size=16)
    at.button(key="train_go").click().run()
    job = ws(at).job
    at.button(key="train_reset").click().run()
    assert not at.exception
    assert ws(at).run is None and ws(at).job is None
    assert job.poll().status == "stopped"
    assert buttons(at)["Train"] and not buttons(at)["Reset"]


def status_line_script():
    import sys

    import streamlit as st
    sys.path.insert(0, st.session_state["root"])
    from face.sidebar import training_status_ui
    with st.sidebar:
        training_status_ui()


@pytest.mark.slow   # a fresh Python process, or seconds of real polling: the full suite runs it
def test_sidebar_status_line_polls_the_job():
    """The sidebar's status line: progress off the Train page, and the job's heartbeat there. (Tested on its
    own: in AppTest 1.67, reruns of an app with a pages/ folder drop the entrypoint's sidebar.)"""
    data = make_images()
    run = new_run(data, variant_config("vanilla"), TrainConfig(epochs=500, batch_size=16))
    at = AppTest.from_function(status_line_script, default_timeout=30)
    at.session_state["root"] = str(ROOT)
    workspace = seed_workspace(at)
    at.run()   # a process's first AppTest run scans the installed components: >1 s on a busy machine, so before the job
    job = workspace.job = jobs.start(run, data, heartbeat_s=1.0)
    for _ in range(4):   # 2 s: without these polls the job would stop itself after 1 s
        at.run()
        assert not at.exception
        time.sleep(0.5)
    status = [p.proto.text for p in at.sidebar.get("progress")]
    assert len(status) == 1 and status[0].startswith("Training: Epoch")
    assert job.poll(since=None).status == "running"


def test_divergence_is_shown_as_an_error():
    data = make_images()
    run = new_run(data, variant_config("vanilla", latent_dim=2), TrainConfig(epochs=50, batch_size=32, lr=1e8))
    job = jobs.start(run, data)
    assert job.wait(30)
    at = page(run, data, job, dataset="upload")
    assert not at.exception
    assert "loss became" in at.error[0].value
    assert len(at.get("image")) == 1, "what the last good weights reconstruct"


@pytest.mark.slow
def test_queue_position_is_shown(monkeypatch):
    monkeypatch.setattr(jobs.pool, "_POOL", jobs.JobPool(1))   # the fixture's teardown still sees the 2-slot pool
    pool = jobs.pool._POOL
    data = make_images()
    blocker = jobs.start(new_run(data, variant_config("vanilla"), TrainConfig(epochs=500, batch_size=16)), data)
    try:
        at = app(epochs=1, batch_size=32)
        at.button(key="train_go").click().run()
        assert not at.exception
        assert ws(at).job.status == "queued"
        assert "number 1 in the queue" in at.info[0].value
        said = [p.proto.text for p in at.get("progress")] + [i.value for i in at.info]
        assert sum("queue" in t for t in said) == 1, f"the queue said once: {said}"
        blocker.stop()
        rerun_until(at, lambda a: not ws(a).job.active)
        assert ws(at).job.poll().status == "done"
    finally:
        for job in pool._running + pool._queue:
            job.stop()


def test_a_loaded_run_shows_its_history_and_reconstructions():
    with one_thread():
        run, data = trained_run("vae")
    at = page(run, data, dataset="upload")
    assert not at.exception
    assert metric(at, "Test loss") == f"{run.test_loss:.2f}"
    assert len(at.get("image")) == 1
    assert buttons(at)["Train"] and buttons(at)["Reset"] and not buttons(at)["Stop"]


def test_settings_that_cannot_build_a_model_show_why():
    at = app(variant="cvae")
    ws(at).upload.data = replace(make_images(), y_train=None, y_test=None, label_names=())
    at.run()
    at.button(key="train_go").click().run()
    assert not at.exception
    assert any("conditional" in e.value for e in at.error)
    assert ws(at).job is None
