"""The one shared thing: a pool that bounds how many jobs train at once, and `start`, which queues a job in it.

A `JobPool` runs at most `AECORE_MAX_JOBS` jobs at once (default 2: one per core on the 2-core machine this
app is sized for); the others wait in a queue and can see their position. The default pool is module-level
state created lazily on the first `start` (nothing happens at import). It is safe to share between Streamlit
sessions because it only holds job handles behind its own lock; each Job and its Run belong to one session.
Tests pass their own `JobPool` to `start` (or `pool_of`).

With AECORE_RAY_ADDRESS set, the default pool is the Ray backend instead (backend.py, cluster.py): a `RayPool`
has the same surface (`start_job`, `active_job`, `position`, `counts`, `max_jobs`) and its jobs the same handle.
"""
from __future__ import annotations

import os
import threading
from contextlib import contextmanager, nullcontext
from typing import Iterator

from ..data.dataset import Dataset
from ..train import Run
from . import backend
from .limits import ClassLimits, counted
from .runtime import HEARTBEAT_S, PREVIEW_EVERY_S, Job


def default_max_jobs() -> int:
    """`AECORE_MAX_JOBS` from the environment, else 2 (one trainer per core on a 2-core machine)."""
    raw = os.environ.get("AECORE_MAX_JOBS", "2")
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"AECORE_MAX_JOBS must be a whole number, got {raw!r}") from None
    if value < 1:
        raise ValueError(f"AECORE_MAX_JOBS must be at least 1, got {value}")
    return value


class JobPool:
    """At most `max_jobs` jobs train at once; the rest wait in order. Thread-safe."""

    def __init__(self, max_jobs: int | None = None):
        self.max_jobs = max_jobs if max_jobs is not None else default_max_jobs()
        if self.max_jobs < 1:
            raise ValueError(f"max_jobs must be at least 1, got {self.max_jobs}")
        self._lock = threading.Lock()
        self._running: list[Job] = []
        self._queue: list[Job] = []

    def submit(self, job: Job) -> None:
        with self._lock:
            self._queue.append(job)
            self._dispatch()

    def cancel(self, job: Job) -> bool:
        """Take a job out of the queue; False if it was not waiting (running or ended)."""
        with self._lock:
            if job in self._queue:
                self._queue.remove(job)
                return True
            return False

    def finished(self, job: Job) -> None:
        with self._lock:
            if job in self._running:
                self._running.remove(job)
            self._dispatch()

    def position(self, job: Job) -> int:
        """1-based place in the queue among jobs waiting; 0 when not waiting."""
        with self._lock:
            return self._queue.index(job) + 1 if job in self._queue else 0

    def start_job(self, run: Run, data: Dataset, heartbeat_s: float | None, preview_every_s: float,
                  threads: int | None, owner: str | None = None, limits: ClassLimits | None = None) -> Job:
        """Queue a new Job on `run` (see `start`); refused (JobLimitError) past the owner's share of jobs."""
        job = Job(run, data, self, heartbeat_s, preview_every_s, threads)
        job.owner = owner
        with self._lock:
            if owner is not None:
                (limits or ClassLimits.from_env()).check_student(counted(self._running + self._queue, owner))
            self._queue.append(job)
            self._dispatch()
        return job

    def owned(self, owner: str | None) -> int:
        """How many jobs `owner` has queued or running here."""
        with self._lock:
            return counted(self._running + self._queue, owner)

    def active_job(self, run: Run) -> Job | None:
        """The job queued or running on this Run (there is at most one), if any."""
        with self._lock:
            return next((j for j in self._running + self._queue if j.run is run), None)

    @property
    def counts(self) -> tuple[int, int]:
        """(running, queued)."""
        with self._lock:
            return len(self._running), len(self._queue)

    def _dispatch(self) -> None:
        """Start queued jobs while there are free slots. A job whose Run is still training under an older
        job (stopped, finishing its last step) waits for it, so one model never has two trainers."""
        busy = {id(j.run) for j in self._running}
        for job in list(self._queue):
            if len(self._running) >= self.max_jobs:
                break
            if id(job.run) in busy:
                continue
            self._queue.remove(job)
            self._running.append(job)
            busy.add(id(job.run))
            job._launch()


_POOL: JobPool | None = None          # the default pool, created on first use (see the module docstring)
_POOL_LOCK = threading.Lock()


def default_pool() -> JobPool:
    """The process-wide pool shared by every session: the Ray backend when one is configured and reachable,
    else one created lazily with `default_max_jobs()` slots."""
    global _POOL
    remote = backend.ray_pool()
    if remote is not None:
        return remote
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = JobPool()
        return _POOL


def start(run: Run, data: Dataset, *, pool: JobPool | None = None, heartbeat_s: float | None = HEARTBEAT_S,
          preview_every_s: float = PREVIEW_EVERY_S, threads: int | None = None, owner: str | None = None,
          limits: ClassLimits | None = None) -> Job:
    """Queue `run` for training on `data` and return its Job at once. Starting a run that is already
    queued or running returns that job; starting a stopped or failed run resumes it.

    Parameters
    ----------
    heartbeat_s : stop if `poll` is not called for this long (None: never). Pages poll every second or so.
    threads : torch intra-op threads for this job (None: `threads_per_job`, the cores shared between jobs).
    owner : the student it is for (the app: the workspace token), whose jobs at once are limited (limits.py).
    limits : the class's limits (None: ClassLimits.from_env()); a job past them raises JobLimitError.
    """
    if data.shape != run.data_info.shape:
        raise ValueError(f"this model was built for samples of shape {run.data_info.shape}, "
                         f"the data has {data.shape}")
    pool = pool or default_pool()
    existing = pool.active_job(run)
    if existing is not None and not existing._stop.is_set():
        return existing
    limits = limits or ClassLimits.from_env()
    limits.check_epochs(run)
    return pool.start_job(run, data, heartbeat_s, preview_every_s, threads, owner, limits)


def lock_for(run: Run, pool: JobPool | None = None):
    """A context manager that holds `run`'s model still while it trains (a no-op when it is not training).
    Use it around anything that reads the model or its history from a page: `with jobs.lock_for(run): ...`."""
    pool = pool or backend.current() or _POOL   # no pool yet: nothing is training; do not create one to look
    job = pool.active_job(run) if pool is not None else None
    return job.lock if job is not None else nullcontext()


@contextmanager
def pool_of(max_jobs: int) -> Iterator[JobPool]:
    """A private pool for a script or a test; stops whatever is still active in it on exit."""
    pool = JobPool(max_jobs)
    try:
        yield pool
    finally:
        for job in list(pool._running) + list(pool._queue):
            job.stop()
        for job in list(pool._running):
            job.wait(10)
