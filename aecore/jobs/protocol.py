"""The progress protocol: what a page reads about a training job, as small frozen snapshots.

A Job's `poll` and `progress_of` (for a run that is not training) both answer with a Progress, so one piece
of drawing code serves a live job and a loaded model alike.
"""
from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

from ..train import Run, Step

if TYPE_CHECKING:
    from ..data.dataset import Dataset
    from .limits import ClassLimits

STATUSES = ("queued", "running", "stopped", "done", "failed", "interrupted")   # interrupted: its server went away
ACTIVE = ("queued", "running")


@dataclass(frozen=True)
class Preview:
    """Fixed test inputs and their reconstructions. For images, one uint8 grid (rows: inputs,
    corrupted inputs for a denoiser, reconstructions); for sequences and vectors, the raw values."""

    step: int                      # the training step it was computed at
    rows: tuple[str, ...]          # what each grid row (or array) shows: ("input", "corrupted", "reconstruction")
    grid: np.ndarray | None        # uint8 (H, W) or (H, W, 3), images only
    values: tuple[np.ndarray, ...] = ()   # non-images: one (n, ...) float array per row


@dataclass(frozen=True)
class Progress:
    """What a page needs to draw one frame of training. Small: the history is only what is new."""

    status: str                    # one of STATUSES
    queue_position: int            # 1 = next to start; 0 when not queued
    step: int                      # steps done in all
    epoch: float                   # epochs done, fractional
    total_epochs: int
    eta_s: float | None            # seconds left at the current throughput; None before the first step
    samples_per_s: float | None
    history: list[Step]            # run.history[since:history_end]
    history_end: int               # pass this as `since` to the next poll
    test_history: list[dict]       # one entry per epoch: small enough to send whole
    error: str | None              # why it failed, or why it stopped on its own
    preview: Preview | None
    phase: str = "train"
    phase_start: int = 0           # epochs of the schedule before this phase (layer-wise pretraining's)
    phase_epochs: int | None = None   # epochs in this phase; None: the whole schedule is one phase
    frames: tuple = ()             # the run's time-lapse so far (aecore.views.timelapse.Frame, shared, frozen)
    running: int = 0               # while queued: how many models its pool is training (the page's queue notice)

    @property
    def fraction(self) -> float:
        return min(1.0, self.epoch / max(self.total_epochs, 1))

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    @property
    def test_loss(self) -> float | None:
        return self.test_history[-1]["loss"] if self.test_history else None

    @property
    def summary(self) -> str:
        """One line for a progress bar: where it is and how long is left."""
        if self.status == "queued":
            return f"Waiting for a free trainer (position {self.queue_position} in the queue)"
        text = self.where
        if self.samples_per_s:
            text += f" · {self.samples_per_s:,.0f} samples/s"
        if self.status == "running" and self.eta_s is not None:
            text += f" · about {format_seconds(self.eta_s)} left"
        elif self.status != "running":
            text += f" · {self.status}"
        return text


    @property
    def where(self) -> str:
        """'Epoch 1.5 of 2', counted within the phase: 'Pretraining layer 1 of 3, epoch 0.5 of 1' first for a
        stacked autoencoder, whose schedule also holds its layer-wise pretraining."""
        n = self.phase_epochs if self.phase_epochs is not None else self.total_epochs
        done = min(max(self.epoch - self.phase_start, 0.0), n)
        if self.phase == "train":
            return f"Epoch {done:.1f} of {n}"
        if self.phase.startswith("pretrain ") and "/" in self.phase:
            layer, layers = self.phase.split()[1].split("/", 1)
            return f"Pretraining layer {layer} of {layers}, epoch {done:.1f} of {n}"
        return f"{self.phase}: epoch {done:.1f} of {n}"


def phase_span(run: Run, phase: str) -> tuple[int, int | None]:
    """(epochs of the schedule before `phase`, epochs in it); (0, None) for a phase the schedule lacks."""
    start = 0
    for stage in run.model.stages(run.train_config.epochs):
        if stage.name == phase:
            return start, stage.epochs
        start += stage.epochs
    return 0, None


def phase_at(run: Run) -> str:
    """The phase of the schedule a run is in: its last step's, or where its completed epochs put it."""
    if run.history:
        return run.history[-1].phase
    done = 0
    for stage in run.model.stages(run.train_config.epochs):
        done += stage.epochs
        if run.epoch < done:
            return stage.name
    return "train"


def format_seconds(s: float) -> str:
    """12 s, 3 min 05 s, 1 h 02 min."""
    s = max(0, int(round(s)))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"


def progress_of(run: Run, preview: Preview | None = None) -> Progress:
    """The Progress of a run that is not training (e.g. loaded from a checkpoint), for the same drawing code."""
    last = run.history[-1] if run.history else None
    phase = phase_at(run)
    start, n = phase_span(run, phase)
    return Progress(status="done" if run.done else "stopped", queue_position=0, step=run.step,
                    epoch=last.epoch if last else float(run.epoch), total_epochs=run.total_epochs, eta_s=None,
                    samples_per_s=last.samples_per_s if last else None, history=list(run.history),
                    history_end=len(run.history), test_history=list(run.test_history), error=None,
                    preview=preview, phase=phase, phase_start=start, phase_epochs=n, frames=frames_of(run))


def frames_of(run: Run) -> tuple:
    """The time-lapse frames a run has recorded so far (none for a run trained outside a job)."""
    return tuple(run.timelapse.frames) if run.timelapse is not None else ()


class JobStatus:
    """`status` and `active` for a job handle that keeps `_status` under its `_state` lock (both backends)."""

    @property
    def status(self) -> str:
        with self._state:
            return self._status

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    @property
    def stopping(self) -> bool:
        """True once `stop` was asked: the job may still finish its step, but no longer counts as wanted."""
        return self._stop.is_set()


class JobHandle(Protocol):
    """What a page holds for a training job, whichever backend runs it (runtime.Job here, remote.RayJob on a
    Ray cluster): the same calls, the same Progress, the same Run object (`job.run is run`)."""

    run: Run
    lock: AbstractContextManager   # hold it to read run.model / run.history: the model stays still meanwhile

    def poll(self, since: int | None = 0) -> Progress: ...
    def stop(self) -> None: ...
    def wait(self, timeout: float | None = None) -> bool: ...
    def wait_first_step(self, timeout: float) -> bool: ...
    @property
    def status(self) -> str: ...
    @property
    def active(self) -> bool: ...
    @property
    def stopping(self) -> bool: ...


@runtime_checkable
class Pool(Protocol):
    """Where jobs wait and train, whichever backend (pool.JobPool here, cluster.RayPool on a Ray cluster); backend.py
    picks one. Bounded: at most `max_jobs` train at once, the rest wait in order."""

    @property
    def max_jobs(self) -> int: ...
    @property
    def counts(self) -> tuple[int, int]: ...   # (running, queued)
    def start_job(self, run: Run, data: "Dataset", heartbeat_s: float | None, preview_every_s: float,
                  threads: int | None, owner: str | None = None, limits: "ClassLimits | None" = None) -> JobHandle: ...
    def active_job(self, run: Run) -> JobHandle | None: ...
    def position(self, job: JobHandle) -> int: ...
    def owned(self, owner: str | None) -> int: ...


class Tracker(Protocol):
    """What a remote.RayJob asks of the cluster.RayPool that made it: its place, the cluster's CPUs, its task, orders
    (a protocol, so remote.py need not import cluster.py, which imports it)."""

    @property
    def counts(self) -> tuple[int, int]: ...
    def position(self, job: JobHandle) -> int: ...
    def waiting_for_cpus(self, job: JobHandle) -> bool: ...
    def submit(self, job: JobHandle, files: dict[str, bytes]): ...
    def tell(self, key: str, what: str) -> None: ...
    def finished(self, job: JobHandle) -> None: ...
