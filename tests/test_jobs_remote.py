"""The Ray backend's own parts: a Run crossing as bytes (transfer), the worker's frames (no Ray needed), backend
selection (ray never imported without AECORE_RAY_ADDRESS; an unreachable cluster falls back with one log line),
and on a local cluster: fresh weights under the lock, a worker killed mid-job, a group of models."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time

import pytest
import torch
from safetensors.torch import load as load_safetensors
from backends import ray_cluster  # noqa: F401  (a fixture)
from helpers import ROOT, make_images

from aecore.views import explore
from aecore import jobs
from aecore.config import TrainConfig
from aecore.jobs import transfer, worker
from aecore.models import variant_config
from aecore.train import fit, new_run


def tiny_run(variant="vanilla", epochs=2, **model):
    data = make_images()
    return new_run(data, variant_config(variant, latent_dim=2, **model),
                   TrainConfig(epochs=epochs, batch_size=32, lr=3e-3), variant), data


def wait_for(cond, timeout=30.0):
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


@pytest.mark.parametrize("variant,stop_at", [("vanilla", 9), ("stacked", 5)])
def test_a_packed_run_continues_exactly_like_the_original(variant, stop_at):
    """Optimizer moments (the run's and a pretraining stage's) cross too, so a resume on a worker is exact."""
    run, data = tiny_run(variant, epochs=2)
    for _ in fit(run, data, max_steps=stop_at):
        pass
    copy = transfer.unpack(transfer.pack(run), "cpu")
    assert (copy.id, copy.step, copy.epoch, copy.batch) == (run.id, run.step, run.epoch, run.batch)
    for r in (run, copy):
        for _ in fit(r, data):
            pass
    assert torch.equal(run.model.head.weight, copy.model.head.weight)
    assert run.test_history == copy.test_history


def test_a_snapshot_restores_weights_and_counters_in_place():
    run, data = tiny_run()
    for _ in fit(run, data, max_steps=3):
        pass
    snap = transfer.take_snapshot(run)
    model, before = run.model, run.model.head.weight.detach().clone()
    for _ in fit(run, data, max_steps=4):
        pass
    transfer.restore(run, snap)
    assert run.model is model and torch.equal(run.model.head.weight, before) and run.step == snap.step == 3


def test_worker_frames_carry_every_step_once_and_end_with_the_optimizers():
    run, data = tiny_run(epochs=3)
    frames = list(worker.frames(transfer.pack(run), data, take=set, preview_every_s=0.0))
    steps = [s for f in frames for s in f.steps]
    assert [s.n for s in steps] == list(range(1, 19))   # 6 steps an epoch, 3 epochs, each once, in order
    last = frames[-1]
    assert last.final and last.progress.status == "done" and last.counters == (18, 3, 0)
    assert last.snapshot.optimizer is not None and last.snapshot.step == 18
    assert [t["epoch"] for t in last.test_history] == [1, 2, 3]
    assert frames[0].preview is not None and all(f.progress.preview is None for f in frames)


def test_worker_frames_carry_the_time_lapse_once_and_go_on_with_the_runs_own():
    run, data = tiny_run(epochs=3)
    frames = list(worker.frames(transfer.pack(run), data, take=set, preview_every_s=0.0))
    started = [f.timelapse for f in frames if f.timelapse is not None]
    assert len(started) == 1 and not started[0].frames, "the new time-lapse's probe once, without frames"
    probe = [p for f in frames for p in f.probe]
    assert probe and [p.step for p in probe] == sorted({p.step for p in probe}), "each frame once, in order"
    assert probe[0].step == 0 and probe[-1].step == 18 and all(f.progress.frames == () for f in frames)
    # a resume: the server sends its time-lapse along, and the worker adds to it instead of starting anew
    tl = started[0]
    tl.frames.extend(probe)
    run.step, run.epoch, run.train_config = 18, 3, TrainConfig(epochs=4, batch_size=32, lr=3e-3)
    again = list(worker.frames(transfer.pack(run), data, take=set, preview_every_s=0.0, timelapse=tl))
    assert all(f.timelapse is None for f in again)
    more = [p for f in again for p in f.probe]
    assert more and more[0].step > 18 and again[0].probe_start == len(probe)


def test_worker_stops_on_order_and_says_so():
    run, data = tiny_run(epochs=10_000)
    orders = iter([set(), {"snapshot"}, {"stop"}])
    frames = list(worker.frames(transfer.pack(run), data, take=lambda: next(orders, set())))
    assert frames[2].snapshot is not None and not frames[2].final   # the page asked for the current weights
    assert frames[-1].final and frames[-1].progress.status == "stopped" and len(frames) == 4


def python_with(env: dict, code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=180,
                          env={**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT), **env})


TRAIN_ONE = """
import json, sys
sys.path.insert(0, "tests")
from helpers import make_images
from aecore import jobs
from aecore.config import TrainConfig
from aecore.models import variant_config
from aecore.train import new_run
data = make_images()
run = new_run(data, variant_config("vanilla", latent_dim=2), TrainConfig(epochs=1, batch_size=32))
job = jobs.start(run, data)
ok = job.wait(60)
print(json.dumps({"ray": "ray" in sys.modules, "job": type(job).__name__, "done": ok and run.done,
                  "status": jobs.backend_status()}))
"""


@pytest.mark.slow   # a fresh Python process, or seconds of real polling: the full suite runs it
def test_without_the_variable_ray_is_never_imported():
    out = python_with({"AECORE_RAY_ADDRESS": ""}, TRAIN_ONE)
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report == {"ray": False, "job": "Job", "done": True,
                      "status": "Training runs on this server (set AECORE_RAY_ADDRESS to use a Ray cluster)."}


@pytest.mark.slow   # a fresh Python process, or seconds of real polling: the full suite runs it
def test_an_unreachable_cluster_falls_back_with_one_log_line():
    with socket.socket() as s:   # a port nobody listens at
        s.bind(("127.0.0.1", 0))
        address = f"127.0.0.1:{s.getsockname()[1]}"
    out = python_with({"AECORE_RAY_ADDRESS": address}, TRAIN_ONE)
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["job"] == "Job" and report["done"]
    assert report["status"].startswith(f"The Ray cluster at {address} could not be reached")
    assert "training runs on this server instead" in report["status"]
    logged = [line for line in out.stderr.splitlines() if "could not be reached" in line]
    assert logged == [report["status"]], out.stderr


@pytest.mark.slow
def test_the_status_line_names_the_cluster(ray_cluster, monkeypatch):
    from aecore.jobs import backend
    monkeypatch.setenv(backend.ADDRESS_ENV, "auto")
    monkeypatch.setattr(backend, "_RESOLVED", True)
    monkeypatch.setattr(backend, "_POOL", ray_cluster.RayPool())
    assert jobs.backend_status() == "Training runs on the Ray cluster at auto: 2 CPUs on 1 machine(s), 1 per model."
    assert jobs.default_pool() is backend._POOL


@pytest.mark.slow
def test_the_lock_brings_the_workers_current_weights(ray_cluster):
    pool = ray_cluster.RayPool()
    run, data = tiny_run(epochs=10_000)
    job = jobs.start(run, data, pool=pool)
    wait_for(lambda: job.poll().step > 0, 60)
    first, at_first = explore.snapshot(run, job.lock)
    time.sleep(0.5)
    second, at_second = explore.snapshot(run, job.lock)
    assert at_second > at_first and not torch.equal(first.head.weight, second.head.weight)
    job.stop()
    assert job.wait(10) and len(run.history) == run.step


@pytest.mark.slow
def test_a_killed_worker_fails_that_job_only_and_leaves_the_last_good_weights(ray_cluster):
    pool = ray_cluster.RayPool()
    (victim, data), (other, _) = tiny_run(epochs=10_000), tiny_run(epochs=60)
    doomed, fine = jobs.start(victim, data, pool=pool), jobs.start(other, data, pool=pool)
    wait_for(lambda: doomed.poll().step > 30 and doomed._good is not None, 60)
    good = doomed._good
    os.kill(doomed.pid, signal.SIGKILL)
    assert doomed.wait(30)
    progress = doomed.poll()
    assert progress.status == "failed" and "stopped" in progress.error and "last good weights" in progress.error
    last = doomed._good   # the newest snapshot that reached the server
    assert victim.step == last.step >= good.step and len(victim.history) == last.history_len   # consistent: resumable
    assert torch.equal(victim.model.head.weight, load_safetensors(last.weights)["head.weight"])
    assert all(torch.isfinite(p).all() for p in victim.model.parameters()) and progress.preview is not None
    assert fine.wait(120) and fine.poll().status == "done" and other.done   # the other student's job went on
    victim.train_config = TrainConfig(epochs=victim.epoch + 1, batch_size=32, lr=3e-3)
    again = jobs.start(victim, data, pool=pool)                              # and Resume works
    assert again.wait(120) and again.poll().status == "done" and victim.done


@pytest.mark.slow
def test_a_job_on_the_cluster_keeps_its_time_lapse_and_a_resume_goes_on_with_it(ray_cluster):
    """Issue 13: the space forming plays back for a model trained on the cluster as for one trained here."""
    pool = ray_cluster.RayPool()
    run, data = tiny_run(epochs=3)
    job = jobs.start(run, data, pool=pool, heartbeat_s=None)
    assert job.wait(120) and job.poll().status == "done"
    tl = run.timelapse
    steps = [f.step for f in tl.frames]
    assert tl.method == "direct" and steps[0] == 0 and steps[-1] == run.step == 18 and steps == sorted(set(steps))
    assert job.poll().frames == tuple(tl.frames) == jobs.progress_of(run).frames
    first = list(tl.frames)
    run.train_config = TrainConfig(epochs=4, batch_size=32, lr=3e-3)
    again = jobs.start(run, data, pool=pool, heartbeat_s=None)
    assert again.wait(120) and again.poll().status == "done"
    assert run.timelapse.frames[:len(first)] == first and run.timelapse.frames[-1].step == run.step == 24
    assert (run.timelapse.index == tl.index).all(), "the same probe"


@pytest.mark.slow
def test_a_group_trains_on_the_cluster(ray_cluster):
    data = make_images()
    train = TrainConfig(epochs=2, batch_size=32, eval_every_epoch=False)
    specs = [jobs.ModelSpec(f"k{k}", data, variant_config("vanilla", latent_dim=k, hidden=(16,)), train) for k in (2, 4)]
    group = jobs.Group.start(specs, heartbeat_s=None, pool=ray_cluster.RayPool())
    for job in group.jobs.values():
        assert job.wait(120)
    assert group.complete and group.progress().fraction == 1.0
    reference = jobs.train_all(specs)   # the same weights as trained here
    assert all(torch.equal(group.runs[n].model.head.weight, reference[n].model.head.weight) for n in reference)
