"""The models an application needs, trained together: in the foreground (CLI, tests) or as background jobs (pages).

An application names its models with `ModelSpec`s (e.g. a denoising AE and a plain AE of the same size);
`train_all` runs them to the end here, `start_all` queues them in the shared job pool and `progress`
sums their progress into one bar.
"""
from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TypeVar

import torch

from ..config import ModelConfig, TrainConfig
from ..data.dataset import Dataset
from ..train import Run, fit, new_run
from .backend import default_pool, start
from .limits import ClassLimits
from .protocol import format_seconds
from .runtime import HEARTBEAT_S, Job, cores, threads_per_job

T, R = TypeVar("T"), TypeVar("R")

# model names -> how a sentence names them ("the models for bottlenecks 2 and 8")
Describe = Callable[[list[str]], str]


@dataclass(frozen=True)
class ModelSpec:
    """One model to train for an application: what it is called on the page, its configs and its data."""

    name: str
    data: Dataset
    model: ModelConfig
    train: TrainConfig
    variant: str = "custom"


@dataclass(frozen=True)
class GroupProgress:
    fraction: float                # 0..1, by epochs over all models
    summary: str                   # one line for a progress bar
    finished: bool                 # every job has ended (done, stopped or failed)
    errors: tuple[str, ...]        # "name: why" for each failed or self-stopped job


@dataclass
class Group:
    """A page's models training together in the background, with the settings they were started from."""

    specs: list[ModelSpec]
    runs: dict[str, Run]
    jobs: dict[str, Job] = field(default_factory=dict)
    params: dict = field(default_factory=dict)     # what the page needs to redraw results (noise, data key, ...)
    describe: Describe | None = None               # names -> words for the progress line; None: `name_models`

    @classmethod
    def start(cls, specs: list[ModelSpec], params: dict | None = None, heartbeat_s: float | None = HEARTBEAT_S,
              pool=None, describe: Describe | None = None, owner: str | None = None) -> Group:
        """Build a fresh run per spec and queue them all; returns at once. Refused whole (JobLimitError) when the
        owner's share of jobs cannot take them all."""
        runs = build_runs(specs)
        return cls(specs, runs, start_all(runs, specs, heartbeat_s, pool, owner), dict(params or {}), describe)

    def progress(self) -> GroupProgress:
        return progress(self.jobs, self.describe)

    @property
    def finished(self) -> bool:
        """No job is queued or running."""
        return not any(job.active for job in self.jobs.values())

    @property
    def complete(self) -> bool:
        """Every model trained to the end of its schedule (not stopped or failed on the way)."""
        return self.finished and all(run.done for run in self.runs.values())

    def stop(self) -> None:
        for job in self.jobs.values():
            job.stop()

    def models(self) -> dict:
        """name -> trained model, in evaluation mode."""
        return {name: run.model.eval() for name, run in self.runs.items()}


def build_runs(specs: list[ModelSpec]) -> dict[str, Run]:
    """A fresh, seeded Run per spec."""
    return {s.name: new_run(s.data, s.model, s.train, s.variant) for s in specs}


def side_by_side(fn: Callable[[T], R], items: list[T]) -> list[R]:
    """[fn(item) for item in items], one at a time per core with one torch thread each, as the dashboard's jobs
    train (on 2 cores: twice as fast as one after another). A single item runs in this thread, as set up."""
    workers = min(len(items), cores())
    if workers <= 1:
        return [fn(item) for item in items]

    def one(item: T) -> R:
        torch.set_num_threads(threads_per_job(workers))   # this thread's own setting
        return fn(item)

    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(one, items))   # raises the first error a thread met


def train_all(specs: list[ModelSpec], on_step: Callable[[str, float], None] | None = None) -> dict[str, Run]:
    """Train every spec to the end, side by side (`side_by_side`); `on_step(name, fraction_of_that_model)` reports
    progress from the training threads. The runs are built first, in order, so each seeded start is what it would
    be alone, and training draws only from each model's own generators: the same weights as one after another."""
    runs = build_runs(specs)

    def train(spec: ModelSpec) -> None:
        run = runs[spec.name]
        for step in fit(run, spec.data):
            if on_step is not None:
                on_step(spec.name, step.epoch / max(run.total_epochs, 1))
        run.model.eval()

    side_by_side(train, specs)
    return runs


def start_all(runs: dict[str, Run], specs: list[ModelSpec], heartbeat_s: float | None = HEARTBEAT_S,
              pool=None, owner: str | None = None) -> dict[str, Job]:
    """Queue every run in the shared job pool (at most a core's worth train at once); returns name -> Job.
    The class's limits are checked for all of them first, so a group is never started in part."""
    pool, limits, data = pool or default_pool(), ClassLimits.from_env(), {s.name: s.data for s in specs}
    for run in runs.values():
        limits.check_epochs(run)
    if owner is not None:
        limits.check_student(pool.owned(owner), len(runs))
    return {name: start(run, data[name], pool=pool, heartbeat_s=heartbeat_s, owner=owner, limits=limits)
            for name, run in runs.items()}


def join_and(words: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return " and ".join(filter(None, [", ".join(words[:-1]), words[-1]])) if words else ""


def name_models(names: list[str]) -> str:
    """Models named in a sentence: 'the denoising AE and the plain AE'."""
    return join_and([f"the {n}" for n in names])


def time_left(polls: dict, done: float, total: int) -> str:
    """" · 1.5 of 6 epochs · about 40 s left" while every model trains (side by side: the slowest one's estimate)."""
    etas = [p.eta_s for p in polls.values() if p.status == "running"]
    left = f" · about {format_seconds(max(etas))} left" if etas and None not in etas else ""
    return f" · {done:.1f} of {total} epochs{left}"


def progress(jobs_by_name: dict[str, Job], describe: Describe | None = None) -> GroupProgress:
    """One bar for a group of jobs (polling is also each job's heartbeat); `describe` names models in words."""
    describe = describe or name_models
    polls = {name: job.poll(since=None) for name, job in jobs_by_name.items()}
    done = sum(min(p.epoch, p.total_epochs) for p in polls.values())
    total = sum(p.total_epochs for p in polls.values())
    running = [n for n, p in polls.items() if p.status == "running"]
    queued = [n for n, p in polls.items() if p.status == "queued"]
    errors = tuple(f"{n}: {p.error}" for n, p in polls.items() if p.error)
    if running:
        summary = f"Training {describe(running)}" + (f" ({len(queued)} more waiting for a free trainer)" if queued
                                                     else time_left(polls, done, total))
    elif queued:
        summary = f"Waiting for a free trainer to train {describe(queued)}: the server trains a few models at a time"
    else:
        summary = "Finished"
    return GroupProgress(done / max(total, 1), summary, not running and not queued, errors)
