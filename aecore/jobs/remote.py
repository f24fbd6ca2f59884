"""A job on the Ray cluster, seen from the server: the same handle as the in-process `Job` (poll, stop, wait,
wait_first_step, status, active, lock, run), so no page knows where its model trains.

The model trains in a Ray task (worker.py); this server keeps the page's `Run` as a copy. A thread per job
reads the task's frames (new steps, test losses, previews, weights snapshots) and copies them into the Run
whenever no page holds it; `poll` only reads that copy, so a page's poll costs what it costs in process.
Holding `job.lock` first fetches the weights of the step the worker is at, so the explore pages get a snapshot
between two steps, as in process. The frames' snapshots are also the last good weights: when the worker dies,
the Run goes back to the newest one, and the page shows why (`lost_message`).
"""
from __future__ import annotations

import threading
import time
import uuid
from dataclasses import replace

import ray
from ray.exceptions import RayError, RayTaskError, TaskCancelledError

from ..data.dataset import Dataset
from ..train import Run
from .preview import preview_for
from .protocol import JobStatus, Progress, Tracker, frames_of, progress_of
from .runtime import abandoned_message, batches_per_epoch
from .transfer import Snapshot, fresh_optimizers, pack, restore
from .worker import Frame

SNAPSHOT_WAIT_S = 2.0   # a reader waits this long for fresh weights (a frame is due every worker.FRAME_S)


def lost_message(err: Exception, good_step: int) -> str:
    """What the student reads when the machine training their model went away."""
    return (f"The cluster worker training this model stopped ({type(err).__name__}: the machine or its process "
            f"went away). Your model keeps its last good weights, from step {good_step:,}; press Resume to "
            "continue from there.")


class RayJob(JobStatus):
    """One Run training on the Ray cluster. Created by `RayPool.start_job`; read like the in-process Job."""

    owner: str | None = None   # the student it trains for, counted against their share (limits.py)

    def __init__(self, run: Run, data: Dataset, pool: "Tracker", heartbeat_s: float | None, preview_every_s: float,
                 threads: int | None, after: "RayJob | None" = None):
        self.run, self.data, self.pool = run, data, pool
        self.heartbeat_s, self.preview_every_s, self.threads = heartbeat_s, preview_every_s, threads
        self.key = uuid.uuid4().hex
        self.lock = ReaderLock(self)
        self.pid: int | None = None             # the worker process, once it reported
        self._state = threading.Condition()     # guards the fields below and the mirror; never held for long
        self._stop, self._stepped, self._ended = threading.Event(), threading.Event(), threading.Event()
        self._status, self._error, self._why_stopped = "queued", None, None
        self._progress: Progress | None = None  # the worker's last poll
        self._preview = None
        self._history_end, self._test_history = len(run.history), list(run.test_history)
        self._last_poll = time.monotonic()
        self._mirror = Mirror(len(run.history), len(frames_of(run)))
        self._good: Snapshot | None = None      # the newest weights snapshot: what a lost worker leaves
        self._refused: str | None = None        # why the cluster did not take the job
        self._launched = _counters(run)   # what the Run goes back to if the worker dies before a snapshot
        self._gen = None if after is not None else self._submit()
        self._thread = threading.Thread(target=self._follow, args=(after,), name=f"aecore-ray-{run.id}", daemon=True)
        self._thread.start()

    # --- what a page calls ---------------------------------------------------------------------------------
    def poll(self, since: int | None = 0) -> Progress:
        """As Job.poll: a snapshot of progress with the steps from `since`; also the job's heartbeat."""
        with self._state:
            self._last_poll = time.monotonic()
            status, progress, end, tests = self._status, self._progress, self._history_end, self._test_history
            error, preview = self._error, self._preview
        run = self.run
        history = run.history[since:end] if since is not None and since < end else []
        position = self.pool.position(self) if status == "queued" else 0
        running = self.pool.counts[0] if status == "queued" else 0
        if progress is None:   # not started on the cluster yet: where the run stands
            progress = replace(progress_of(run), samples_per_s=None,
                               epoch=run.epoch + run.batch / batches_per_epoch(run, self.data))
        return replace(progress, status=status, queue_position=position, history=history, history_end=end,
                       test_history=list(tests), error=error, preview=preview, frames=frames_of(run),
                       running=running)

    def stop(self) -> None:
        """Stop after the current step (a queued job never starts). The model keeps what it learnt."""
        self._stop.set()
        if self._ended.is_set():
            return
        if self.status == "queued":
            if self._gen is not None:
                ray.cancel(self._gen)
            self._finish("stopped", None)
        else:
            self.pool.tell(self.key, "stop")

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job has ended and the Run holds its final state; True if it did within `timeout`."""
        return self._ended.wait(timeout)

    def wait_first_step(self, timeout: float) -> bool:
        """As Job.wait_first_step; returns at once when the job waits for the cluster to free a CPU."""
        if self.status == "queued" and self.pool.waiting_for_cpus(self):
            return False
        return self._stepped.wait(timeout)

    # --- the follower thread -------------------------------------------------------------------------------
    def _follow(self, after: "RayJob | None") -> None:
        if after is not None:   # the run's previous job is still stopping: continue from its final state
            after.wait()
            if self._stop.is_set():
                return self._finish("stopped", None)
            self._launched = _counters(self.run)
            self._gen = self._submit()
            if self._stop.is_set() and self._gen is not None:   # stopped while it was being submitted
                ray.cancel(self._gen)
        if self._gen is None:
            return self._lose(None, f"The Ray cluster did not take this job ({self._refused}); press Train "
                                    "again in a moment, or ask for the cluster to be checked.")
        try:
            for ref in self._gen:
                self._receive(ray.get(ref))
                if not self._stop.is_set() and self._abandoned():
                    self._why_stopped = abandoned_message(self.heartbeat_s)
                    self.stop()
            self._finish_from_worker()
        except TaskCancelledError:
            self._finish("stopped", None)
        except RayTaskError as err:   # the task itself raised (a bug, or data the worker cannot load)
            self._lose(err, f"Training failed on the cluster: {err.cause!r}"[:500])
        except RayError as err:       # the worker, its machine or the connection went away
            self._lose(err)
        except SystemExit:            # this process left the cluster (ray.shutdown) while following the job
            self._finish("failed", "This server left the training cluster.")

    def _submit(self):
        """Queue the task on the cluster; None (and the reason kept) when the cluster refuses it."""
        try:
            return self.pool.submit(self, pack(self.run))
        except RayError as err:   # the cluster went away after this server joined it
            self._refused = f"{type(err).__name__}: {err}".splitlines()[0][:200]
            return None

    def _receive(self, frame: Frame) -> None:
        with self._state:
            if self._ended.is_set():
                return
            self.pid, self._progress = frame.pid, frame.progress
            self._status = "running"
            self._preview = frame.preview or self._preview
            self._mirror.absorb(frame)
            if frame.snapshot is not None:
                self._good = frame.snapshot
            self._state.notify_all()
        if self.lock.acquire(blocking=frame.final):   # else a page holds the Run: it applies the frame itself
            try:
                self.apply()
            finally:
                self.lock.release()
        self._stepped.set()

    def apply(self) -> None:
        """Copy what the frames brought into the Run (the caller holds the lock)."""
        with self._state:
            update = self._mirror.take()
        update.apply_to(self.run)
        with self._state:
            self._history_end, self._test_history = len(self.run.history), list(self.run.test_history)

    def _finish_from_worker(self) -> None:
        with self._state:
            progress = self._progress
        error = progress.error if progress is not None else None
        self.run.model.eval()
        self._finish(progress.status if progress is not None else "stopped", self._why_stopped or error)

    def _lose(self, err: Exception | None, error: str | None = None) -> None:
        """The worker died: back to the newest snapshot (or the state it started from), fresh optimizers."""
        self.lock.acquire()   # not `with self.lock`: that would ask the dead worker for fresh weights
        try:
            run, good = self.run, self._good
            if good is not None:
                restore(run, good)
                fresh_optimizers(run)
                keep, tests = good.history_len, good.tests_len
            else:
                (run.step, run.epoch, run.batch, keep, tests) = self._launched
            del run.history[keep:], run.test_history[tests:]
            run.model.eval()
            preview = preview_for(run, self.data)
            with self._state:
                self._history_end, self._test_history, self._preview = len(run.history), list(run.test_history), preview
        finally:
            self.lock.release()
        self._finish("failed", error or lost_message(err, run.step))

    def _finish(self, status: str, error: str | None) -> None:
        with self._state:
            if self._ended.is_set():
                return
            self._status, self._error = status, error
            self._ended.set()
            self._state.notify_all()
        self._stepped.set()
        self.pool.finished(self)

    def _abandoned(self) -> bool:
        with self._state:
            return self.heartbeat_s is not None and time.monotonic() - self._last_poll > self.heartbeat_s

    def _fresh(self) -> None:
        """Caller holds the lock: while running, ask for the current weights and wait (briefly) for them."""
        with self._state:
            asked = self._mirror.snapshots if self._status == "running" and not self._ended.is_set() else None
        if asked is not None:
            self.pool.tell(self.key, "snapshot")
            with self._state:
                self._state.wait_for(lambda: self._mirror.snapshots > asked or self._ended.is_set(), SNAPSHOT_WAIT_S)
        self.apply()


def _counters(run: Run) -> tuple[int, int, int, int, int]:
    return run.step, run.epoch, run.batch, len(run.history), len(run.test_history)


class ReaderLock:
    """`job.lock`: while held, the Run does not change; entering brings it up to the worker's current step."""

    def __init__(self, job: RayJob):
        self.job, self._lock = job, threading.Lock()

    def acquire(self, blocking: bool = True) -> bool:
        return self._lock.acquire(blocking)

    def release(self) -> None:
        self._lock.release()

    def __enter__(self):
        self._lock.acquire()
        try:
            self.job._fresh()
        except BaseException:
            self._lock.release()
            raise
        return self

    def __exit__(self, *exc):
        self._lock.release()


class Mirror:
    """What the frames brought that the Run does not hold yet (taken and applied under the job's lock)."""

    def __init__(self, history_len: int, probe_len: int = 0):
        self.end = history_len      # len(run.history) once everything absorbed is applied
        self.probe_end = probe_len  # len(run.timelapse.frames) likewise
        self.snapshots = 0          # snapshots absorbed so far: a reader waits for this to grow
        self.update = Update()

    def absorb(self, frame: Frame) -> None:
        steps = frame.steps[max(0, self.end - frame.start):]   # each step once, even if a frame overlaps
        self.update.steps.extend(steps)
        self.end += len(steps)
        if frame.timelapse is not None:   # the worker started a new time-lapse: it replaces the Run's
            self.update.timelapse, self.update.probe, self.probe_end = frame.timelapse, [], 0
        probe = frame.probe[max(0, self.probe_end - frame.probe_start):]
        self.update.probe.extend(probe)
        self.probe_end += len(probe)
        self.update.counters = frame.counters
        if frame.test_history is not None:
            self.update.tests = frame.test_history
        if frame.snapshot is not None:
            self.update.snapshot = frame.snapshot
            self.snapshots += 1

    def take(self) -> "Update":
        update, self.update = self.update, Update()
        return update


class Update:
    def __init__(self):
        self.steps, self.counters, self.tests, self.snapshot = [], None, None, None
        self.timelapse, self.probe = None, []

    def apply_to(self, run: Run) -> None:
        run.history.extend(self.steps)
        if self.timelapse is not None:
            run.timelapse = self.timelapse
        if self.probe:
            run.timelapse.frames.extend(self.probe)
        if self.snapshot is not None:
            restore(run, self.snapshot)
        if self.counters is not None:
            run.step, run.epoch, run.batch = self.counters
        if self.tests is not None:
            run.test_history = list(self.tests)
