"""What runs on a Ray worker: one in-process Job (aecore/jobs/runtime.py) reporting in frames.

`frames` is the body of the Ray task that trains one run (aecore/jobs/remote.py wraps it): it rebuilds the Run from
bytes, trains it with the same `Job` as the in-process backend (its own one-slot pool, no heartbeat: the server
keeps that), and yields a `Frame` every FRAME_S with what is new: steps, test losses, the preview, the time-lapse's
new frames (views/timelapse.py; the run's own time-lapse comes along, so a resumed run goes on with its probe), and a
weights `Snapshot` when the server asked for one (a page reading the model), every CHECKPOINT_S and at each epoch's
end (the last good weights should this worker die), and with the optimizers in the last frame. The server's
instructions ("stop", "snapshot") come from `take()`, a call to its mailbox (remote.py).
This module never imports ray, so it is tested like the rest of aecore.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field, replace
from typing import Callable, Iterator

from ..data.dataset import Dataset
from ..train import Step
from ..views.timelapse import Timelapse
from .pool import JobPool
from .protocol import Preview, Progress
from .runtime import Job
from .transfer import Snapshot, take_snapshot, unpack

FRAME_S = 0.2          # a page polls every second; 0.2 s keeps what it draws at most that much behind the worker
CHECKPOINT_S = 5.0     # a snapshot at least this often: the most a worker's death can lose (plus one epoch's end)
FIRST_STEP_S = 0.5     # the first frame waits this long for the first step, like the Train page does


@dataclass(frozen=True)
class Frame:
    """One report from the worker. `steps` continue the server's copy of the history from `start`."""

    pid: int                       # the worker process, for the fault tests and the log
    progress: Progress             # the worker Job's poll (history left out: it is in `steps`)
    counters: tuple[int, int, int]  # run.step, run.epoch, run.batch at this frame
    start: int                     # index in run.history of steps[0]
    steps: list[Step] = field(default_factory=list)
    test_history: list[dict] | None = None   # when it changed, and always in the final frame
    preview: Preview | None = None           # when it changed (`progress` carries none: it is the bulk of a frame)
    snapshot: Snapshot | None = None
    final: bool = False            # the job ended: this is the last frame, with the optimizers' state
    timelapse: Timelapse | None = None   # a time-lapse the worker started (its probe, no frames): replaces the Run's
    probe_start: int = 0           # index in the time-lapse's frames of probe[0]
    probe: list = field(default_factory=list)   # the time-lapse's new frames (aecore.views.timelapse.Frame)


def frames(files: dict[str, bytes], data: Dataset, take: Callable[[], set], device: str = "cpu",
           preview_every_s: float = 1.0, threads: int = 1, timelapse: Timelapse | None = None) -> Iterator[Frame]:
    """Train the packed run on `data`, yielding a Frame every FRAME_S until it ends (see the module docstring)."""
    run = unpack(files, device)
    run.timelapse = timelapse
    job = Job(run, data, JobPool(1), heartbeat_s=None, preview_every_s=preview_every_s, threads=threads)
    reporter = _Reporter(job)   # before the job starts: it sends every step from the first
    job.pool.submit(job)
    try:
        yield from _report(reporter, take)
    finally:   # also when the task is cancelled or the server went away: never train on unobserved
        job.stop()
        job.wait()


def _report(reporter: "_Reporter", take: Callable[[], set]) -> Iterator[Frame]:
    job = reporter.job
    job.wait_first_step(FIRST_STEP_S)
    yield reporter.frame(snapshot=False)
    next_checkpoint = time.monotonic() + CHECKPOINT_S
    while not job.wait(FRAME_S):
        asks = take()
        if "stop" in asks:
            job.stop()
            job.wait()
            break
        due = time.monotonic() >= next_checkpoint or reporter.epoch_ended()
        if due:
            next_checkpoint = time.monotonic() + CHECKPOINT_S
        yield reporter.frame(snapshot=due or "snapshot" in asks)
    yield reporter.frame(snapshot=True, final=True)


class _Reporter:
    """Turns the worker Job's state into Frames, sending each step, test entry and preview once."""

    def __init__(self, job: Job):
        self.job, self.sent, self.tests_sent, self.epoch_sent = job, len(job.run.history), -1, job.run.epoch
        self.preview: Preview | None = None
        self.timelapse = job.run.timelapse   # the one the server holds too
        self.probe_sent = len(self.timelapse.frames) if self.timelapse is not None else 0

    def epoch_ended(self) -> bool:
        return self.job.run.epoch != self.epoch_sent

    def frame(self, snapshot: bool, final: bool = False) -> Frame:
        run, progress = self.job.run, self.job.poll(since=None)
        with self.job.lock:   # between two steps: steps, counters and weights agree
            steps, start = run.history[self.sent:], self.sent
            # the final frame carries the whole test history: it may have changed just before the job ended
            tests = list(run.test_history) if final or len(run.test_history) != self.tests_sent else None
            snap = take_snapshot(run, with_optimizer=final) if snapshot else None
            epoch, counters = run.epoch, (run.step, run.epoch, run.batch)
        self.sent, self.tests_sent = start + len(steps), len(run.test_history)
        if snap is not None:
            self.epoch_sent = epoch
        preview = progress.preview if progress.preview is not self.preview else None
        self.preview = progress.preview
        started, probe_start, probe = self._probe()
        return Frame(os.getpid(), replace(progress, preview=None, frames=()), counters, start, steps, tests, preview,
                     snap, final, started, probe_start, probe)

    def _probe(self) -> tuple[Timelapse | None, int, list]:
        """(the time-lapse when the worker started a new one, else None; where the new frames start; the frames)."""
        tl, started = self.job.run.timelapse, None
        if tl is None:
            return None, 0, []
        if tl is not self.timelapse:
            started, self.timelapse, self.probe_sent = Timelapse(tl.index, tl.labels, tl.method, tl.n_test), tl, 0
        frames, start = tl.frames[self.probe_sent:], self.probe_sent
        self.probe_sent += len(frames)
        return started, start, frames


class Mailbox:
    """The server's instructions to its jobs' workers, by job key: "stop", "snapshot". One per server (a
    small Ray actor, remote.py); a worker takes its own at every frame."""

    def __init__(self):
        self.asks: dict[str, set[str]] = {}

    def put(self, key: str, what: str) -> None:
        self.asks.setdefault(key, set()).add(what)

    def take(self, key: str) -> set[str]:
        return self.asks.pop(key, set())

    def forget(self, key: str) -> None:
        """The job ended: drop what its worker will not take any more."""
        self.asks.pop(key, None)
