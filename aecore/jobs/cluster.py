"""The Ray backend: `RayPool` meets the `Pool` protocol (protocol.py) as JobPool does, and each
job is a Ray task on the cluster (`train_task`, running worker.frames) instead of a thread here.

Why a task per job and not an actor: Ray gives every actor a new process, and a process pays the torch import
(measured: ~1.9 CPU-seconds here, 4-13 s of wall time on the busy 2-core machine) before its first step, more
than a 1-epoch MNIST model takes to train. Tasks run in worker processes Ray keeps and reuses, so a job starts
in milliseconds; Ray's scheduler queues them across every server of the class, one CPU each by default. What a
task cannot do (take orders while it runs) goes through one small `Mailbox` actor that every server shares.

Only imported when AECORE_RAY_ADDRESS is set (backend.py); everything here may import ray.
"""
from __future__ import annotations

import logging
import threading
import weakref
from pathlib import Path

import ray

from .. import settings
from ..data.dataset import Dataset
from ..train import Run
from . import worker
from .limits import ClassLimits, counted
from .remote import RayJob

CPUS_ENV = "AECORE_RAY_CPUS_PER_JOB"
SHIP_CODE_ENV = "AECORE_RAY_SHIP_CODE"   # "0": the workers have this checkout on their path already
NAMESPACE = "latent-lab"
TAKE_WAIT_S = 0.05      # a worker waits this long for its orders each frame, then looks again next frame

_MAILBOX = None         # the class's mailbox actor, found or made when this server joins the cluster


def cpus_per_job() -> float:
    """AECORE_RAY_CPUS_PER_JOB, else 1: the models this app trains use one core well (runtime.threads_per_job)."""
    return settings.number(CPUS_ENV, 1.0)


def connect(address: str, **options) -> None:
    """Join the cluster at `address` as a driver (once per process); raises when it cannot be reached.
    `options` go to ray.init (tests start a local cluster: address "local", num_cpus=...)."""
    global _MAILBOX
    if not ray.is_initialized():
        runtime_env = {}
        if settings.text(SHIP_CODE_ENV, "1") != "0":   # this server's aecore: every worker runs the same code
            runtime_env["py_modules"] = [str(Path(__file__).resolve().parents[1])]
        ray.init(address=address, namespace=NAMESPACE, logging_level=logging.WARNING, log_to_driver=False,
                 runtime_env=runtime_env or None, **options)
    if _MAILBOX is None:   # now, not at the first Stop: its process takes seconds to start on a busy machine
        _MAILBOX = ray.remote(worker.Mailbox).options(
            name="mailbox", lifetime="detached", get_if_exists=True,   # one for every server of the class
            num_cpus=0, max_restarts=-1).remote()


def train_task(files: dict[str, bytes], data: Dataset, mailbox, key: str, device: str, preview_every_s: float,
               threads: int, timelapse):
    """The Ray task of one job: worker.frames, with its orders from the mailbox."""
    yield from worker.frames(files, data, Orders(mailbox, key), device, preview_every_s, threads, timelapse)


class Orders:
    """A worker's `take()`: one request to the mailbox in flight at a time, so a slow mailbox never holds up
    the frames (its answer is read at a later frame instead)."""

    def __init__(self, mailbox, key: str):
        self.mailbox, self.key, self.pending = mailbox, key, None

    def __call__(self) -> set[str]:
        if self.pending is None:
            self.pending = self.mailbox.take.remote(self.key)
        ready, _ = ray.wait([self.pending], timeout=TAKE_WAIT_S)
        if not ready:
            return set()
        ref, self.pending = self.pending, None
        try:
            return ray.get(ref)
        except ray.exceptions.RayError:   # the mailbox restarting: no orders this frame
            return set()


class RayPool:
    """Jobs of this server on the Ray cluster. Thread-safe; counts and queue places are this server's jobs."""

    def __init__(self, cpus: float | None = None):
        self.cpus_per_job = cpus if cpus is not None else cpus_per_job()
        self._lock = threading.Lock()
        self._jobs: list[RayJob] = []           # queued or running, in the order they were started
        self._data: dict[int, tuple[weakref.ref, ray.ObjectRef]] = {}
        self._task = ray.remote(train_task).options(num_cpus=self.cpus_per_job, max_retries=0)

    @property
    def max_jobs(self) -> int:
        """How many jobs the cluster trains at once (its CPUs over the CPUs of one job)."""
        return max(1, int(ray.cluster_resources().get("CPU", 0) // self.cpus_per_job))

    def start_job(self, run: Run, data: Dataset, heartbeat_s: float | None, preview_every_s: float,
                  threads: int | None, owner: str | None = None, limits: ClassLimits | None = None) -> RayJob:
        """Queue a new RayJob on `run`; refused (JobLimitError) past the owner's share of this server's jobs."""
        with self._lock:
            if owner is not None:
                (limits or ClassLimits.from_env()).check_student(counted(self._jobs, owner))
            before = next((j for j in reversed(self._jobs) if j.run is run), None)   # stopping: see start()
        job = RayJob(run, data, self, heartbeat_s, preview_every_s, threads, after=before)
        job.owner = owner
        with self._lock:
            if job.active:
                self._jobs.append(job)
        return job

    def owned(self, owner: str | None) -> int:
        """How many jobs `owner` has queued or running from this server."""
        with self._lock:
            return counted(self._jobs, owner)

    def submit(self, job: RayJob, files: dict[str, bytes]):
        """Queue the job's task on the cluster; returns its stream of frames."""
        threads = job.threads or max(1, int(self.cpus_per_job))
        return self._task.remote(files, self._data_ref(job.data), _MAILBOX, job.key,
                                 job.run.train_config.device, job.preview_every_s, threads, job.run.timelapse)

    def tell(self, key: str, what: str) -> None:
        _MAILBOX.put.remote(key, what)

    def finished(self, job: RayJob) -> None:
        with self._lock:
            if job in self._jobs:
                self._jobs.remove(job)
        _MAILBOX.forget.remote(job.key)

    def position(self, job: RayJob) -> int:
        """1-based place among this server's jobs waiting for the cluster; 0 when not waiting."""
        with self._lock:
            queued = [j for j in self._jobs if j.status == "queued"]
        return queued.index(job) + 1 if job in queued else 0

    def waiting_for_cpus(self, job: RayJob) -> bool:
        """Whether a queued job waits for a free CPU (rather than for its worker to start). Ray's view of free
        CPUs lags by up to a heartbeat, so this server's own running jobs count too."""
        with self._lock:
            busy = sum(self.cpus_per_job for j in self._jobs if j.status == "running")
        total = ray.cluster_resources().get("CPU", 0)
        return (self.position(job) > 1 or busy + self.cpus_per_job > total
                or ray.available_resources().get("CPU", 0) < self.cpus_per_job)

    def active_job(self, run: Run) -> RayJob | None:
        """The newest queued or running job on this Run, if any."""
        with self._lock:
            return next((j for j in reversed(self._jobs) if j.run is run), None)

    @property
    def counts(self) -> tuple[int, int]:
        """(running, queued) among this server's jobs."""
        with self._lock:
            statuses = [j.status for j in self._jobs]
        return statuses.count("running"), statuses.count("queued")

    def shutdown(self) -> None:
        """Stop every job of this pool (tests and scripts)."""
        with self._lock:
            jobs = list(self._jobs)
        for job in jobs:
            job.stop()
        for job in jobs:
            job.wait(30)

    def _data_ref(self, data: Dataset) -> ray.ObjectRef:
        """The dataset in the object store, put once while this server holds it (every student shares MNIST)."""
        with self._lock:
            entry = self._data.get(id(data))
            if entry is None or entry[0]() is not data:
                key = id(data)
                entry = self._data[key] = (weakref.ref(data, lambda _: self._data.pop(key, None)), ray.put(data))
            return entry[1]
