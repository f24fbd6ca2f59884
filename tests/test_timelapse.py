"""The time-lapse of the latent space: a fixed probe set recorded about FRAMES times while a job trains."""
from __future__ import annotations

import numpy as np
import pytest
from helpers import make_images

from aecore import jobs
from aecore.config import TrainConfig
from aecore.models import variant_config
from aecore.train import fit, new_run
from aecore.views import timelapse
from aecore.views.timelapse import MIN_FRAMES, Recorder, probe_coords, probe_index


def train_in_a_job(run, data):
    with jobs.pool_of(1) as pool:
        job = jobs.start(run, data, pool=pool, heartbeat_s=None)
        assert job.wait(60)
        return job.poll()


@pytest.mark.parametrize("latent_dim, method", [(2, "direct"), (5, "pca")])
def test_a_job_records_frames_of_the_probe_set(latent_dim, method, monkeypatch):
    monkeypatch.setattr(timelapse, "BUDGET", 1.0)   # tiny steps: the time budget would decide the count
    data = make_images()
    run = new_run(data, variant_config("vae", latent_dim=latent_dim), TrainConfig(epochs=4, batch_size=16), "vae")
    progress = train_in_a_job(run, data)
    tl = run.timelapse
    assert tl.method == method and len(tl.index) == len(data.x_test)   # a small split: all of it is the probe
    total = 4 * len(data.x_train) // 16
    assert 48 <= len(tl.frames) <= 51, "about 50 frames over the run"
    assert tl.frames[0].step == 0 and tl.frames[-1].step == total, "from the untrained model to the last step"
    assert all(f.coords.shape == (len(data.x_test), 2) and f.coords.dtype == np.float32 for f in tl.frames)
    assert [f.step for f in tl.frames] == sorted({f.step for f in tl.frames})
    assert progress.frames == tuple(tl.frames), "the job's poll hands them out"
    assert jobs.progress_of(run).frames == tuple(tl.frames), "and so does a run that is not training"
    assert tl.gif()[:6] == b"GIF89a"


def test_frames_stay_within_the_time_budget():
    data = make_images()
    run = new_run(data, variant_config("vae", latent_dim=2), TrainConfig(epochs=1, batch_size=16), "vae")
    ticks = iter(range(10_000))
    recorder = Recorder(run, data, frames=50, budget=0.05, clock=lambda: next(ticks))   # every record costs 1 tick
    assert recorder.maybe_record() is not None, "the first frame is due at once"
    for _ in fit(run, data):
        recorder.maybe_record()
    assert len(run.timelapse.frames) < 50 / 2, "1 tick a frame may only be spent every 20 ticks"


def test_every_run_gets_its_few_frames_whatever_they_cost():
    """Under the budget alone a short run's frame count hung on the machine's load (2 to 8 for one epoch of the 5k
    digits); MIN_FRAMES, evenly spaced, come whatever they cost."""
    data = make_images()
    run = new_run(data, variant_config("vae", latent_dim=2), TrainConfig(epochs=2, batch_size=16), "vae")
    ticks = iter(range(10**9))
    recorder = Recorder(run, data, budget=0.0, clock=lambda: next(ticks))   # no time at all for frames
    recorder.maybe_record()   # as a job does: before each step, so the first frame is the untrained model
    for _ in fit(run, data):
        recorder.maybe_record()
    recorder.finish()
    steps = [f.step for f in run.timelapse.frames]
    total = 2 * len(data.x_train) // 16
    assert len(steps) == MIN_FRAMES and steps[0] == 0 and steps[-1] == total
    gaps = np.diff(steps)
    assert gaps.max() - gaps.min() <= 1, f"evenly spaced over the run: {steps}"


def test_a_resumed_run_goes_on_with_its_probe():
    data = make_images()
    run = new_run(data, variant_config("vae", latent_dim=2), TrainConfig(epochs=1, batch_size=16), "vae")
    train_in_a_job(run, data)
    first = run.timelapse
    n = len(first.frames)
    run.train_config = TrainConfig(epochs=2, batch_size=16)
    train_in_a_job(run, data)
    assert run.timelapse is first and len(first.frames) > n


def test_pca_frames_are_aligned_to_the_one_before():
    data = make_images()
    run = new_run(data, variant_config("vanilla", latent_dim=6), TrainConfig(epochs=1), "vanilla")
    x = data.x_test
    a = probe_coords(run.model, x, None)
    flipped = probe_coords(run.model, x, None, previous=-a)     # the same codes, asked to match a reflection
    assert np.allclose(flipped, -a, atol=1e-4)


def test_probe_index_is_fixed_and_sorted():
    assert probe_index(10).tolist() == list(range(10))
    p = probe_index(70_000)
    assert len(p) == 2000 and np.all(np.diff(p) > 0) and np.array_equal(p, probe_index(70_000))
