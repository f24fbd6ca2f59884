"""Background training: a `Job` trains one Run in a thread; `Job.poll()` is a small, cheap snapshot.

Why a thread, not a process
---------------------------
A job runs `aecore.train.fit` in a daemon thread of the server process. The Run (model, optimiser, history)
stays one Python object that the explore pages can use directly between steps (under `Job.lock`), stopping
keeps a usable model with no copying, and resuming is just starting again on the same Run. A process would
have to ship weights and history back through pipes or shared memory after every change, and pay a second
torch import (~1 s, ~300 MB). The GIL is not the bottleneck: torch releases it inside every kernel, and the
Python around a step is small next to the kernels for the models this app trains (see scripts/bench_ui.py,
which compares the dashboard's samples/s with headless `fit`). One setting keeps the page quick meanwhile: the GIL
changes hands more often (share_the_gil).

Lifecycle: queued -> running -> done | stopped | failed. `stop()` takes effect within one step and leaves
a usable model; `start` on the same Run resumes it. A job nobody polls for `heartbeat_s` seconds stops
itself (a closed browser tab), so abandoned sessions do not keep the CPU busy. Jobs are queued and started
by a JobPool (aecore/jobs/pool.py).
"""
from __future__ import annotations

import os
import sys
import threading
import time
import traceback
from typing import Protocol

import torch

from .. import settings
from ..data.dataset import Dataset
from ..models import INIT_LOCK
from ..train import Diverged, Run, Step, adam, fit
from ..views.timelapse import Recorder
from .preview import make_preview, preview_inputs
from .protocol import ACTIVE, JobStatus, Preview, Progress, frames_of, phase_at, phase_span

# Pages poll a job every 1-5 s (the Train page and an application page's progress fragment every second, the
# sidebar's status line every 5 s on other pages). A browser throttles timers in a tab hidden for 5 minutes to
# once a minute, so a 30 s heartbeat would stop the training of a student reading another tab: 2 minutes
# still ends a closed tab's job soon enough.
HEARTBEAT_S = 120.0
PREVIEW_EVERY_S = 1.0   # at most one reconstruction preview a second (plus one at each epoch's end)


def cores() -> int:
    """The cores this process's training may use: AECORE_CPUS, else all of the machine's."""
    return settings.whole("AECORE_CPUS", None) or os.cpu_count() or 1


def threads_per_job(max_jobs: int) -> int:
    """torch threads for each job: the cores shared out between the jobs that may run at once (1 on the
    2-core machine). Measured: with 2 OpenMP threads per job on a busy 2-core machine a tiny model trains
    10-40x slower (threads spin at barriers while the other core is taken); 1 thread loses nothing there."""
    return max(1, cores() // max_jobs)


GIL_SWITCH_S = 0.0005   # see share_the_gil


def share_the_gil() -> None:
    """Hand the GIL between threads every 0.5 ms instead of CPython's 5 ms, once a job trains in this process.

    A training thread holds the GIL only between torch kernels, but it asks for it back after each one; the
    server's threads (script runs, the websocket) then keep losing it and waiting up to a switch interval to
    get it back. Measured on 2 cores with the browser on the same machine (10 page switches while a VAE
    trained, two A/B pairs): median answer 384 and 364 ms at the default interval, 355 and 334 ms at 0.5 ms;
    dashboard throughput stayed within noise of headless (scripts/bench_ui.py).
    """
    if sys.getswitchinterval() > GIL_SWITCH_S:
        sys.setswitchinterval(GIL_SWITCH_S)


class ModelLock:
    """Guards a Run while it trains: the trainer holds it for each step, readers (a page encoding the test
    set, a checkpoint download) take it between steps. A plain Lock is unfair here: the trainer releases
    and re-takes it in microseconds, so the trainer yields briefly whenever someone is waiting."""

    def __init__(self):
        self._lock = threading.Lock()
        self._count_lock = threading.Lock()   # `+= 1` is not atomic between threads: a lost update could
        self._waiting = 0                     # leave the count at 1 and slow every step by limit_s

    def __enter__(self):
        with self._count_lock:
            self._waiting += 1
        try:
            self._lock.acquire()
        finally:
            with self._count_lock:
                self._waiting -= 1
        return self

    def __exit__(self, *exc):
        self._lock.release()

    def yield_to_readers(self, limit_s: float = 0.05) -> None:
        """Called by the trainer between steps, lock released: wait (briefly) until waiters got in."""
        deadline = time.monotonic() + limit_s
        while self._waiting and time.monotonic() < deadline:
            time.sleep(0.0005)


class Slots(Protocol):
    """What a Job asks of the pool that queued it (pool.JobPool): its place in the queue, and its slot back."""

    max_jobs: int

    @property
    def counts(self) -> tuple[int, int]: ...
    def position(self, job: Job) -> int: ...
    def cancel(self, job: Job) -> bool: ...
    def finished(self, job: Job) -> None: ...


class Job(JobStatus):
    """One Run training in the background. Create with `start`; read with `poll`; end with `stop`."""

    owner: str | None = None   # the student it trains for (pool.start), counted against their share

    def __init__(self, run: Run, data: Dataset, pool: Slots, heartbeat_s: float | None = HEARTBEAT_S,
                 preview_every_s: float = PREVIEW_EVERY_S, threads: int | None = None):
        self.run, self.data, self.pool = run, data, pool
        self.heartbeat_s = heartbeat_s
        self.preview_every_s = preview_every_s
        self.threads = threads
        self.lock = ModelLock()                 # the model's lock: hold it to use run.model while training
        self._state = threading.Lock()          # guards the small fields below; never held during a step
        self._stop = threading.Event()
        self._stepped = threading.Event()       # set once the first step (and its preview) is recorded, or at the end
        self._status = "queued"
        self._error: str | None = None
        self._last: Step | None = None
        self._history_end = len(run.history)
        self._test_history = list(run.test_history)
        self._preview: Preview | None = None
        self._frames = frames_of(run)           # the time-lapse so far (views.timelapse), a tuple per frame added
        self._last_poll = time.monotonic()
        self._thread: threading.Thread | None = None
        self._preview_inputs = preview_inputs(run, data)

    # --- what a page calls ---------------------------------------------------------------------------------
    def poll(self, since: int | None = 0) -> Progress:
        """A snapshot of progress, with the history steps from index `since` (None: no steps, for a status
        line). Every call is also the job's heartbeat."""
        now = time.monotonic()
        with self._state:
            self._last_poll = now
            status, last, end = self._status, self._last, self._history_end
            tests, error, preview, frames = self._test_history, self._error, self._preview, self._frames
        position = self.pool.position(self) if status == "queued" else 0
        running = self.pool.counts[0] if status == "queued" else 0
        run = self.run
        phase = last.phase if last else phase_at(run)
        start, n = phase_span(run, phase)
        return Progress(
            status=status, queue_position=position,
            step=last.n if last else run.step,
            epoch=last.epoch if last else run.epoch + run.batch / batches_per_epoch(run, self.data),
            total_epochs=run.total_epochs,
            eta_s=last.eta_s if last and status == "running" else None,
            samples_per_s=last.samples_per_s if last else None,
            history=run.history[since:end] if since is not None and since < end else [],   # frozen Steps: shared
            history_end=end, test_history=list(tests), error=error, preview=preview,
            phase=phase, phase_start=start, phase_epochs=n, frames=frames, running=running)

    def stop(self) -> None:
        """Stop after the current step (or before starting, if queued). The model keeps what it learnt."""
        self._stop.set()
        if self.pool.cancel(self):
            self._finish("stopped", None)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job has ended and given its slot back (for scripts and tests); True if it did within
        `timeout`. Its status changes a moment before its worker tells the pool, so the worker is joined too."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.status in ACTIVE:
            thread = self._thread
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return False
            if thread is not None:
                thread.join(left if left is None else min(left, 0.05))
            else:
                time.sleep(0.01)
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
        return True

    def wait_first_step(self, timeout: float) -> bool:
        """Block (at most `timeout` s) until a running job has taken its first step, so the page that started it
        can draw a loss point and a reconstruction at once. Returns at once for a queued job."""
        if self.status == "queued":
            return False
        return self._stepped.wait(timeout)

    # --- the worker ----------------------------------------------------------------------------------------
    def launch(self) -> None:
        """Called by the pool when a slot is free."""
        with self._state:
            self._status = "running"
        share_the_gil()
        thread = threading.Thread(target=self._work, name=f"aecore-job-{self.run.id}", daemon=True)
        thread.start()
        self._thread = thread   # only once started: `wait` joins it

    def _work(self) -> None:
        status, error = "stopped", None
        steps = fit(self.run, self.data)
        next_preview = 0.0   # a preview right away, so the page shows the untrained model's output at once
        try:
            torch.set_num_threads(self.threads or threads_per_job(self.pool.max_jobs))   # this thread's pool only
            recorder = Recorder(self.run, self.data)   # a frame of the probe set every ~1/50 of the run
            while True:
                if self._stop.is_set():
                    break
                if self._abandoned():
                    error = abandoned_message(self.heartbeat_s)
                    break
                with self.lock:
                    self._add_frame(recorder.maybe_record())   # before the step: the first frame is the untrained model
                    step = next(steps, None)
                    if step is None:
                        status = "done"
                        self._set_preview()
                        self._add_frame(recorder.finish())
                        break
                    now = time.monotonic()
                    if step.test is not None or now >= next_preview:
                        self._set_preview()
                        next_preview = now + self.preview_every_s
                with self._state:
                    self._last = step
                    self._history_end = len(self.run.history)
                    if step.test is not None:
                        self._test_history = list(self.run.test_history)
                self._stepped.set()
                self.lock.yield_to_readers()
        except Diverged as err:
            status, error = "failed", str(err)
            with self.lock:
                self._set_preview()   # show what the restored (last good) weights do
        except Exception as err:   # anything else: report it on the page rather than killing the thread silently
            status, error = "failed", f"{type(err).__name__}: {err}"
            traceback.print_exc()
        finally:
            steps.close()
            self.run.model.eval()
            self._finish(status, error)

    def _finish(self, status: str, error: str | None) -> None:
        with self._state:
            if self._status not in ACTIVE:
                return
            self._status, self._error = status, error
            self._history_end = len(self.run.history)
            self._test_history = list(self.run.test_history)
        self._stepped.set()
        self.pool.finished(self)

    def _abandoned(self) -> bool:
        if self.heartbeat_s is None:
            return False
        with self._state:
            return time.monotonic() - self._last_poll > self.heartbeat_s

    def _add_frame(self, frame) -> None:
        if frame is not None:
            with self._state:
                self._frames = (*self._frames, frame)

    def _set_preview(self) -> None:
        """Reconstruct the fixed preview inputs (caller holds the model lock, so training is paused)."""
        if self._preview_inputs is None:
            return
        preview = make_preview(self.run, *self._preview_inputs)
        with self._state:
            self._preview = preview


def warm_torch() -> None:
    """Pay torch's one-time costs: the first optimizer built in a process imports torch._dynamo (measured 3.5-5.7 s
    on the busy 2-core machine, then 4 ms). backend.warm_up runs it in a background thread."""
    with INIT_LOCK:   # its init draws from torch's generator: not between a seeded run's seed and its weights
        model = torch.nn.Linear(2, 2)
    adam(model.parameters(), 1e-3)
    model(torch.zeros(1, 2)).sum().backward()


def batches_per_epoch(run: Run, data: Dataset) -> int:
    """Steps in one epoch of `run` on `data` (at least 1)."""
    return max(1, -(-len(data.x_train) // run.train_config.batch_size))


def abandoned_message(heartbeat_s: float) -> str:
    """Why a job stopped on its own (the page that started it stopped asking)."""
    return (f"Stopped on its own: no page asked about it for {heartbeat_s:g} s "
            "(the browser tab was probably closed). Resume to continue.")
