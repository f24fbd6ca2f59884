"""Fair shares of the trainers (issue 18, gap 5): jobs per student and epochs per job, in both backends (the
in-process pool and, marked slow, a local Ray cluster: tests/backends.py)."""
from __future__ import annotations

import pytest
from backends import make_pool, pool, ray_cluster  # noqa: F401  (fixtures)
from helpers import tiny_run

from aecore import jobs
from aecore.jobs import ClassLimits, JobLimitError
from aecore.jobs.group import ModelSpec

ALICE, BOB = "a" * 32, "b" * 32


def test_a_student_past_their_share_is_refused_and_others_are_not(pool):
    limits = ClassLimits(jobs_per_student=2)
    started = [jobs.start(tiny_run(epochs=200)[0], tiny_run()[1], pool=pool, heartbeat_s=None, owner=ALICE,
                          limits=limits) for _ in range(2)]
    run, data = tiny_run(epochs=200)
    with pytest.raises(JobLimitError) as err:
        jobs.start(run, data, pool=pool, heartbeat_s=None, owner=ALICE, limits=limits)
    assert "at most 2 at once" in str(err.value) and "AECORE_MAX_JOBS_PER_STUDENT" in str(err.value)
    other = jobs.start(run, data, pool=pool, heartbeat_s=None, owner=BOB, limits=limits)   # Bob is not held up
    assert other.active and pool.owned(ALICE) == 2 and pool.owned(BOB) == 1
    started[0].stop()   # a job told to stop no longer counts, even before its last step ends
    again = jobs.start(tiny_run(epochs=200)[0], data, pool=pool, heartbeat_s=None, owner=ALICE, limits=limits)
    assert again.active and pool.owned(ALICE) == 2
    for job in (*started, other, again):
        job.stop()


def test_a_job_over_the_class_epoch_cap_is_refused_before_it_starts(pool):
    run, data = tiny_run(epochs=5)
    with pytest.raises(JobLimitError) as err:
        jobs.start(run, data, pool=pool, heartbeat_s=None, limits=ClassLimits(max_epochs=3))
    assert "at most 3 per model (AECORE_MAX_EPOCHS)" in str(err.value)
    assert pool.counts == (0, 0) and run.step == 0
    assert jobs.start(run, data, pool=pool, limits=ClassLimits(max_epochs=5)).wait(60)


def test_a_group_past_the_share_is_refused_whole(pool, monkeypatch):
    monkeypatch.setenv("AECORE_MAX_JOBS_PER_STUDENT", "2")
    run, data = tiny_run()
    specs = [ModelSpec(str(i), data, run.model_config, run.train_config, "vanilla") for i in range(3)]
    with pytest.raises(JobLimitError):
        jobs.Group.start(specs, heartbeat_s=None, pool=pool, owner=ALICE)
    assert pool.owned(ALICE) == 0 and pool.counts == (0, 0)   # none of the three was queued
    group = jobs.Group.start(specs[:2], heartbeat_s=None, pool=pool, owner=ALICE)
    assert all(job.wait(60) for job in group.jobs.values())


def test_the_limits_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("AECORE_MAX_JOBS_PER_STUDENT", "3")
    monkeypatch.setenv("AECORE_MAX_EPOCHS", "50")
    assert ClassLimits.from_env() == ClassLimits(jobs_per_student=3, max_epochs=50)
    monkeypatch.setenv("AECORE_MAX_EPOCHS", "lots")
    with pytest.raises(ValueError, match="AECORE_MAX_EPOCHS must be a whole number"):
        ClassLimits.from_env()
    monkeypatch.delenv("AECORE_MAX_EPOCHS")
    monkeypatch.delenv("AECORE_MAX_JOBS_PER_STUDENT")
    assert ClassLimits.from_env() == ClassLimits()   # a laptop: 10 jobs, no epoch cap
