"""The in-process backend: a pool that bounds how many jobs train at once in this server's threads.

A `JobPool` runs at most `AECORE_MAX_JOBS` jobs at once (default 2: one per core on the 2-core machine this
app is sized for); the others wait in a queue and can see their position. The server's shared pool is module-level
state created lazily on first use (`shared_pool`; nothing happens at import). It is safe to share between Streamlit
sessions because it only holds job handles behind its own lock; each Job and its Run belong to one session.
Tests pass their own `JobPool` to `start` (or `pool_of`).

It meets the `Pool` protocol (protocol.py) as `cluster.RayPool` does; which of the two trains a server's jobs is
decided in one place, backend.py, which also holds `start` and `default_pool`.
"""
from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Iterator

from .. import settings
from ..data.dataset import Dataset
from ..train import Run
from .limits import ClassLimits, counted
from .runtime import Job


def default_max_jobs() -> int:
    """`AECORE_MAX_JOBS` from the environment, else 2 (one trainer per core on a 2-core machine)."""
    return settings.whole("AECORE_MAX_JOBS", 2)


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
            job.launch()


_POOL: JobPool | None = None          # the server's shared pool, created on first use (see the module docstring)
_POOL_LOCK = threading.Lock()


def shared_pool() -> JobPool:
    """The process-wide in-process pool shared by every session, created with `default_max_jobs()` slots."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = JobPool()
        return _POOL


def existing_pool() -> JobPool | None:
    """The shared pool if one was created (None: nothing has trained here yet), without creating it."""
    return _POOL


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
