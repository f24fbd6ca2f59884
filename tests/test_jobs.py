"""Background jobs on tiny data: start/poll/stop/resume, the queue, divergence, the heartbeat, previews.

The job contract: every test that takes `pool` or `make_pool` runs against both backends, the in-process
threads and a local Ray cluster (tests/backends.py; the Ray runs are marked slow)."""
from __future__ import annotations

import time
from contextlib import nullcontext

import numpy as np
import pytest
import torch
from backends import make_pool, pool, ray_cluster  # noqa: F401  (fixtures)
from helpers import make_images, make_sequences, tiny_run

from aecore import jobs, plots
from aecore.config import TrainConfig
from aecore.train import fit


def wait_for(cond, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.005)


def test_start_returns_at_once_and_finishes(pool):
    run, data = tiny_run(epochs=2)
    t0 = time.perf_counter()
    job = jobs.start(run, data, pool=pool)
    assert time.perf_counter() - t0 < 0.5
    assert job.wait(30)
    progress = job.poll()
    assert progress.status == "done" and progress.error is None
    assert progress.step == run.step == 2 * 6    # 192 training samples / 32 per batch, 2 epochs
    assert progress.fraction == 1.0 and progress.total_epochs == 2
    assert [t["epoch"] for t in progress.test_history] == [1, 2]
    assert progress.test_loss == run.test_loss
    assert not run.model.training   # left in eval mode for the explore pages


def test_history_comes_in_increments(pool):
    run, data = tiny_run(epochs=30)
    job = jobs.start(run, data, pool=pool)
    seen, polls = [], 0
    while True:
        active = job.active
        progress = job.poll(since=len(seen))
        assert progress.history_end == len(seen) + len(progress.history)
        seen.extend(progress.history)
        polls += 1
        if not active:
            break
        time.sleep(0.01)
    assert polls > 2
    assert seen == run.history   # every step exactly once, in order
    assert job.poll(since=len(seen)).history == []
    assert job.poll(since=None).history == []


def test_stop_within_a_step_keeps_a_usable_model_and_resume_finishes(pool):
    run, data = tiny_run(epochs=200)
    job = jobs.start(run, data, pool=pool)
    wait_for(lambda: job.poll().step >= 3)
    job.stop()
    assert job.wait(2)
    stopped_at = run.step
    progress = job.poll()
    assert progress.status == "stopped" and progress.error is None and not run.done
    assert len(run.history) == stopped_at
    time.sleep(0.05)
    assert run.step == stopped_at   # nothing trains after a stop
    with torch.no_grad():
        out = run.model(data.x_test[:4])
    assert out.shape == data.x_test[:4].shape and torch.isfinite(out).all()

    run.train_config = TrainConfig(epochs=int(run.epoch) + 1, batch_size=32, lr=3e-3)   # a short rest of the run
    again = jobs.start(run, data, pool=pool)
    assert again is not job
    assert again.wait(30)
    assert again.poll().status == "done" and run.done
    assert run.step > stopped_at and len(run.history) == run.step


def test_queue_with_one_slot(make_pool):
    pool = make_pool(1)
    first_run, data = tiny_run(epochs=500)
    second_run, _ = tiny_run(epochs=1)
    first = jobs.start(first_run, data, pool=pool)
    wait_for(lambda: first.status == "running", 60)   # a Ray worker may take seconds to start
    second = jobs.start(second_run, data, pool=pool)
    p = second.poll()
    assert p.status == "queued" and p.queue_position == 1 and p.step == 0
    assert "queue" in p.summary
    assert pool.counts == (1, 1)
    assert p.running == 1 and first.poll().running == 0   # the page's queue notice reads it from the Progress
    first.stop()
    assert second.wait(30)
    assert second.poll().status == "done" and first.poll().status == "stopped"


def test_stopping_a_queued_job_never_starts_it(make_pool):
    pool = make_pool(1)
    first_run, data = tiny_run(epochs=500)
    second_run, _ = tiny_run(epochs=1)
    first = jobs.start(first_run, data, pool=pool)
    wait_for(lambda: first.status == "running", 60)
    second = jobs.start(second_run, data, pool=pool)
    second.stop()
    assert second.stopping and not first.stopping
    assert second.poll().status == "stopped" and second_run.step == 0
    assert pool.counts == (1, 0)
    first.stop()


def test_starting_an_active_run_returns_its_job(pool):
    run, data = tiny_run(epochs=500)
    job = jobs.start(run, data, pool=pool)
    assert jobs.start(run, data, pool=pool) is job
    job.stop()


def test_divergence_fails_with_its_message_and_finite_weights(pool):
    run, data = tiny_run("vanilla", epochs=50, lr=1e8)
    job = jobs.start(run, data, pool=pool)
    assert job.wait(30)
    progress = job.poll()
    assert progress.status == "failed"
    assert "loss became" in progress.error and "smaller learning rate" in progress.error
    assert all(torch.isfinite(p).all() for p in run.model.parameters())
    assert progress.preview is not None   # what the last good weights reconstruct


def test_a_job_nobody_polls_stops_itself(pool):
    run, data = tiny_run(epochs=10_000)
    job = jobs.start(run, data, pool=pool, heartbeat_s=0.3)
    assert job.wait(10)
    progress = job.poll()
    assert progress.status == "stopped" and "no page asked" in progress.error


def test_polling_keeps_a_job_alive(pool):
    run, data = tiny_run(epochs=10_000)
    job = jobs.start(run, data, pool=pool, heartbeat_s=0.3)
    wait_for(lambda: job.poll(since=None).status == "running", 60)
    for _ in range(8):
        time.sleep(0.1)
        assert job.poll(since=None).status == "running"
    job.stop()


def test_image_preview_rows(pool):
    run, data = tiny_run("denoising", epochs=1)
    job = jobs.start(run, data, pool=pool)
    assert job.wait(30)
    preview = job.poll().preview
    assert preview.rows == ("input", "corrupted", "reconstruction")
    h, w = data.shape[1:]
    n = min(jobs.PREVIEW_N, len(data.x_test))
    assert preview.grid.dtype == np.uint8
    assert preview.grid.shape == (3 * (h + 1) - 1, n * (w + 1) - 1)
    assert preview.step == run.step


def test_sequence_preview_holds_values():
    data = make_sequences()
    run, _ = tiny_run("lstm", epochs=1, data=data)
    preview = jobs.preview_for(run, data)
    assert preview.grid is None and preview.rows == ("input", "reconstruction")
    assert preview.values[0].shape == preview.values[1].shape == (jobs.PREVIEW_N, *data.shape)
    assert len(plots.series_preview(preview.values, preview.rows).data) == 2 * 4


def test_preview_does_not_change_the_training_mode():
    run, data = tiny_run()
    run.model.train()
    jobs.preview_for(run, data)
    assert run.model.training


def test_lock_for_holds_the_model_between_steps(pool):
    run, data = tiny_run(epochs=10_000)
    assert isinstance(jobs.lock_for(run, pool), nullcontext)
    job = jobs.start(run, data, pool=pool)
    wait_for(lambda: job.poll().step > 0)
    t0 = time.perf_counter()
    with jobs.lock_for(run, pool):
        step = run.step
        time.sleep(0.05)
        assert run.step == step   # no step while we hold it
    assert time.perf_counter() - t0 < 1.0   # and we got in promptly
    job.stop()


def test_max_jobs_from_environment(monkeypatch):
    monkeypatch.setenv("AECORE_MAX_JOBS", "3")
    assert jobs.JobPool().max_jobs == 3
    monkeypatch.setenv("AECORE_MAX_JOBS", "zero")
    with pytest.raises(ValueError, match="AECORE_MAX_JOBS"):
        jobs.default_max_jobs()


def test_start_refuses_data_of_another_shape(pool):
    run, _ = tiny_run()
    with pytest.raises(ValueError, match="shape"):
        jobs.start(run, make_images(size=10), pool=pool)


def test_loss_curve_is_light_and_splits_vae_parts():
    run, data = tiny_run("vae", epochs=2)
    for _ in fit(run, data):
        pass
    long = run.history * 400   # ~5k steps
    fig = plots.loss_curve(long, run.test_history, variational=True)
    names = [t.name for t in fig.data]
    assert {"train loss", "train reconstruction", "train KL", "test loss", "test KL"} <= set(names)
    assert max(len(t.x) for t in fig.data) <= plots.MAX_POINTS
    assert len(plots.loss_curve([], [], False).data) == 0


def test_wait_first_step(pool):
    run, data = tiny_run(epochs=10_000)
    job = jobs.start(run, data, pool=pool)
    assert job.wait_first_step(10)
    progress = job.poll()
    assert progress.step >= 1 and progress.preview is not None and progress.history
    job.stop()


def test_wait_first_step_returns_at_once_when_queued(make_pool):
    pool = make_pool(1)
    first_run, data = tiny_run(epochs=10_000)
    first = jobs.start(first_run, data, pool=pool)
    wait_for(lambda: first.status == "running", 60)
    second = jobs.start(tiny_run(epochs=1)[0], data, pool=pool)
    t0 = time.perf_counter()
    assert not second.wait_first_step(5), (first.poll(None), second.poll(None))
    assert time.perf_counter() - t0 < 1
    assert first.status == "running" and second.status == "queued"
    first.stop()


def test_stacked_summary_counts_each_phase_on_its_own(pool):
    """Asked for 2 epochs, a stacked AE pretrains 3 layers (1 epoch each) first: the summary says so, and then
    counts the 2 epochs asked for, never 'Epoch 5.0 of 5'."""
    run, data = tiny_run("stacked", epochs=2)
    assert run.total_epochs == 5   # the bar still spans the whole schedule
    summaries = []
    for _ in fit(run, data):
        summaries.append(jobs.progress_of(run).where)
    assert summaries[0].startswith("Pretraining layer 1 of 3, epoch ") and summaries[0].endswith(" of 1")
    assert "Pretraining layer 3 of 3, epoch 1.0 of 1" in summaries
    assert summaries[-1] == "Epoch 2.0 of 2"
    job = jobs.start(run, data, pool=pool)   # a finished run polled by a job: the same words
    job.wait(10)
    assert job.poll().summary.startswith("Epoch 2.0 of 2")
