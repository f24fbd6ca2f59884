"""Background training: `start(run, data) -> Job` returns at once; `Job.poll()` is a small, cheap snapshot.

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

The one shared thing
--------------------
A `JobPool` bounds how many jobs train at once (`AECORE_MAX_JOBS`, default 2: one per core on the 2-core
machine this app is sized for); the others wait in a queue and can see their position. The default pool is
module-level state created lazily on the first `start` (nothing happens at import). It is safe to share
between Streamlit sessions because it only holds job handles behind its own lock; each Job and its Run
belong to one session. Tests pass their own `JobPool` to `start`.

Lifecycle: queued -> running -> done | stopped | failed. `stop()` takes effect within one step and leaves
a usable model; `start` on the same Run resumes it. A job nobody polls for `heartbeat_s` seconds stops
itself (a closed browser tab), so abandoned sessions do not keep the CPU busy.
"""
from __future__ import annotations

import os
import sys
import threading
import time
import traceback
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, replace
from typing import Iterator

import numpy as np
import torch

from . import penalties
from .config import ModelConfig, TrainConfig
from .data.dataset import Dataset
from .imaging import to_grid
from .models import resolve_config
from .train import Diverged, Run, Step, adam, fit

STATUSES = ("queued", "running", "stopped", "done", "failed")
ACTIVE = ("queued", "running")
HEARTBEAT_S = 30.0      # no poll for this long: the page that started the job is gone, so stop
PREVIEW_EVERY_S = 1.0   # at most one reconstruction preview a second (plus one at each epoch's end)
PREVIEW_N = 8           # fixed test samples in the preview: one row of a grid, small enough to send every second
PREVIEW_SEED = 1234     # the same corrupted inputs each time, so the preview shows learning, not new noise


def threads_per_job(max_jobs: int) -> int:
    """torch threads for each job: the cores shared out between the jobs that may run at once (1 on the
    2-core machine). Measured: with 2 OpenMP threads per job on a busy 2-core machine a tiny model trains
    10-40x slower (threads spin at barriers while the other core is taken); 1 thread loses nothing there."""
    return max(1, (os.cpu_count() or 1) // max_jobs)


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
        text = f"Epoch {min(self.epoch, self.total_epochs):.1f} of {self.total_epochs}"
        if self.phase != "train":
            text += f" ({self.phase})"
        if self.samples_per_s:
            text += f" · {self.samples_per_s:,.0f} samples/s"
        if self.status == "running" and self.eta_s is not None:
            text += f" · about {format_seconds(self.eta_s)} left"
        elif self.status != "running":
            text += f" · {self.status}"
        return text


def format_seconds(s: float) -> str:
    """12 s, 3 min 05 s, 1 h 02 min."""
    s = max(0, int(round(s)))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"


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


class Job:
    """One Run training in the background. Create with `start`; read with `poll`; end with `stop`."""

    def __init__(self, run: Run, data: Dataset, pool: "JobPool", heartbeat_s: float | None = HEARTBEAT_S,
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
        self._last_poll = time.monotonic()
        self._thread: threading.Thread | None = None
        self._preview_inputs = _preview_inputs(run, data)

    # --- what a page calls ---------------------------------------------------------------------------------
    def poll(self, since: int | None = 0) -> Progress:
        """A snapshot of progress, with the history steps from index `since` (None: no steps, for a status
        line). Every call is also the job's heartbeat."""
        now = time.monotonic()
        with self._state:
            self._last_poll = now
            status, last, end = self._status, self._last, self._history_end
            tests, error, preview = self._test_history, self._error, self._preview
        position = self.pool.position(self) if status == "queued" else 0
        run = self.run
        return Progress(
            status=status, queue_position=position,
            step=last.n if last else run.step,
            epoch=last.epoch if last else run.epoch + run.batch / max(_batches_per_epoch(run, self.data), 1),
            total_epochs=run.total_epochs,
            eta_s=last.eta_s if last and status == "running" else None,
            samples_per_s=last.samples_per_s if last else None,
            history=run.history[since:end] if since is not None and since < end else [],   # frozen Steps: shared
            history_end=end, test_history=list(tests), error=error, preview=preview,
            phase=last.phase if last else "train")

    def stop(self) -> None:
        """Stop after the current step (or before starting, if queued). The model keeps what it learnt."""
        self._stop.set()
        if self.pool.cancel(self):
            self._finish("stopped", None)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job has ended (for scripts and tests); True if it did within `timeout`."""
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
        return True

    def wait_first_step(self, timeout: float) -> bool:
        """Block (at most `timeout` s) until a running job has taken its first step, so the page that started it
        can draw a loss point and a reconstruction at once. Returns at once for a queued job."""
        if self.status == "queued":
            return False
        return self._stepped.wait(timeout)

    @property
    def status(self) -> str:
        with self._state:
            return self._status

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    # --- the worker ----------------------------------------------------------------------------------------
    def _launch(self) -> None:
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
            while True:
                if self._stop.is_set():
                    break
                if self._abandoned():
                    error = (f"Stopped on its own: no page asked about it for {self.heartbeat_s:g} s "
                             "(the browser tab was probably closed). Resume to continue.")
                    break
                with self.lock:
                    step = next(steps, None)
                    if step is None:
                        status = "done"
                        self._set_preview()
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

    def _set_preview(self) -> None:
        """Reconstruct the fixed preview inputs (caller holds the model lock, so training is paused)."""
        if self._preview_inputs is None:
            return
        preview = make_preview(self.run, *self._preview_inputs)
        with self._state:
            self._preview = preview


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
    """The process-wide pool shared by every session, created lazily with `default_max_jobs()` slots."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = JobPool()
        return _POOL


def start(run: Run, data: Dataset, *, pool: JobPool | None = None, heartbeat_s: float | None = HEARTBEAT_S,
          preview_every_s: float = PREVIEW_EVERY_S, threads: int | None = None) -> Job:
    """Queue `run` for training on `data` and return its Job at once. Starting a run that is already
    queued or running returns that job; starting a stopped or failed run resumes it.

    Parameters
    ----------
    heartbeat_s : stop if `poll` is not called for this long (None: never). Pages poll every second or so.
    threads : torch intra-op threads for this job (None: `threads_per_job`, the cores shared between jobs).
    """
    if data.shape != run.data_info.shape:
        raise ValueError(f"this model was built for samples of shape {run.data_info.shape}, "
                         f"the data has {data.shape}")
    pool = pool or default_pool()
    existing = pool.active_job(run)
    if existing is not None and not existing._stop.is_set():
        return existing
    job = Job(run, data, pool, heartbeat_s, preview_every_s, threads)
    pool.submit(job)
    return job


def warm_up() -> threading.Thread:
    """Pay torch's one-time costs in a background thread, so the first Train click does not wait for them:
    the first optimizer built in a process imports torch._dynamo (measured 3.5-5.7 s on the busy 2-core
    machine, then 4 ms). Returns the (daemon) thread; calling it again is harmless and cheap."""
    def work():
        model = torch.nn.Linear(2, 2)
        adam(model.parameters(), 1e-3)
        model(torch.zeros(1, 2)).sum().backward()
    thread = threading.Thread(target=work, name="aecore-warm-up", daemon=True)
    thread.start()
    return thread


def lock_for(run: Run, pool: JobPool | None = None):
    """A context manager that holds `run`'s model still while it trains (a no-op when it is not training).
    Use it around anything that reads the model or its history from a page: `with jobs.lock_for(run): ...`."""
    pool = pool or _POOL   # no pool yet means nothing is training: do not create one just to look
    job = pool.active_job(run) if pool is not None else None
    return job.lock if job is not None else nullcontext()


def resumable(run: Run, data: Dataset, model_config: ModelConfig, train_config: TrainConfig) -> bool:
    """Whether `run` can continue under these settings: same data, same model, same batches (batch size
    and seed), and epochs left to train. The learning rate may differ (lower it after a divergence)."""
    if run.data_info.name != data.name or tuple(run.data_info.shape) != tuple(data.shape):
        return False
    try:
        wanted = resolve_config(model_config, data.value_range, data.n_classes)
    except ValueError:
        return False
    same_batches = (run.train_config.batch_size, run.train_config.seed) == (train_config.batch_size, train_config.seed)
    epochs_left = run.epoch < run.total_epochs - run.train_config.epochs + train_config.epochs
    return wanted == run.model_config and same_batches and epochs_left


def prepare_resume(run: Run, train_config: TrainConfig) -> None:
    """Adopt the new learning rate and epoch count before resuming (see `resumable`)."""
    run.train_config = replace(run.train_config, lr=train_config.lr, epochs=train_config.epochs)
    for group in run.optimizer.param_groups:
        group["lr"] = train_config.lr


# --- the reconstruction preview -------------------------------------------------------------------------------
def _preview_inputs(run: Run, data: Dataset) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor | None] | None:
    """The fixed test samples shown in the preview (the first of each class, then the next ones), their
    labels, and their corrupted version for a denoiser, drawn once with a fixed seed."""
    x_all, y_all = data.x_test, data.y_test
    if len(x_all) == 0:
        return None
    n = min(PREVIEW_N, len(x_all))
    idx = list(range(n))
    if y_all is not None:   # one of each class first: the grid shows the variety of the data
        firsts = {}
        for i, label in enumerate(y_all[:2000].tolist()):
            firsts.setdefault(label, i)
        idx = sorted(firsts.values())[:n]
        idx += [i for i in range(len(x_all)) if i not in firsts.values()][:n - len(idx)]
    x = x_all[idx].clone()
    y = y_all[idx].clone() if y_all is not None else None
    cfg = run.model_config
    noisy = None
    if cfg.noise != "none" and cfg.noise_level > 0:
        g = torch.Generator().manual_seed(PREVIEW_SEED)
        noisy = penalties.corrupt(x, cfg.noise, cfg.noise_level, tuple(data.value_range), g)
    return x, y, noisy


@torch.no_grad()
def make_preview(run: Run, x: torch.Tensor, y: torch.Tensor | None = None, noisy: torch.Tensor | None = None) -> Preview:
    """Reconstructions of x (of `noisy` for a denoiser: it should give back x) by run.model in eval mode.
    Leaves the model in the mode it found it in."""
    model = run.model
    was_training = model.training
    model.eval()
    try:
        device = run.device
        labels = y.to(device) if (y is not None and run.model_config.conditional) else None
        source = noisy if noisy is not None else x
        x_hat = model(source.to(device), labels).float().cpu()
    finally:
        model.train(was_training)
    rows = [x] + ([noisy] if noisy is not None else []) + [x_hat]
    names = ("input",) + (("corrupted",) if noisy is not None else ()) + ("reconstruction",)
    if run.data_info.kind == "image":
        grid = to_grid(torch.cat(rows), ncols=len(x), value_range=run.data_info.value_range)
        return Preview(run.step, names, grid)
    return Preview(run.step, names, None, tuple(r.detach().cpu().numpy() for r in rows))


def preview_for(run: Run, data: Dataset) -> Preview | None:
    """The preview of a run that is not training (a loaded model), on `data`'s fixed test samples."""
    inputs = _preview_inputs(run, data)
    return make_preview(run, *inputs) if inputs is not None else None


def progress_of(run: Run, preview: Preview | None = None) -> Progress:
    """The Progress of a run that is not training (e.g. loaded from a checkpoint), for the same drawing code."""
    last = run.history[-1] if run.history else None
    return Progress(status="done" if run.done else "stopped", queue_position=0, step=run.step,
                    epoch=last.epoch if last else float(run.epoch), total_epochs=run.total_epochs, eta_s=None,
                    samples_per_s=last.samples_per_s if last else None, history=list(run.history),
                    history_end=len(run.history), test_history=list(run.test_history), error=None,
                    preview=preview, phase="train")


def _batches_per_epoch(run: Run, data: Dataset) -> int:
    n, bs = len(data.x_train), run.train_config.batch_size
    return -(-n // bs)


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
