"""Which backend trains the jobs, decided here and nowhere else: this server's threads (pool.JobPool, the default),
or a Ray cluster (cluster.RayPool). `start`, `default_pool` and `lock_for` are the way in for every caller.

With `AECORE_RAY_ADDRESS` set (`auto`, or a cluster's `host:port`), `jobs.start` and `jobs.Group` send every job
to the cluster (cluster.py); without it, ray is never imported. The choice is made once, on the first job or
status line (nothing at import time). A cluster that cannot be reached then leaves training in process, with
one warning in the server's log and the same line from `backend_status()` for the Models page.

Imports run one way: backend -> pool -> runtime (and backend -> cluster -> remote, worker -> pool), never back.
"""
from __future__ import annotations

import logging
import socket
import threading
from contextlib import AbstractContextManager, nullcontext
from typing import TYPE_CHECKING

from .. import settings
from ..data.dataset import Dataset
from ..train import Run
from . import pool as local
from .limits import ClassLimits
from .protocol import JobHandle, Pool
from .runtime import HEARTBEAT_S, PREVIEW_EVERY_S, warm_torch

if TYPE_CHECKING:
    from .cluster import RayPool

ADDRESS_ENV = "AECORE_RAY_ADDRESS"
CONNECT_TIMEOUT_S = 5.0   # a cluster that does not answer a TCP connect by then is taken for unreachable
JOIN_TIMEOUT_S = 60.0     # ray.init has no timeout of its own (it waits for a raylet it can never see, say)
log = logging.getLogger("aecore.jobs")

_LOCK = threading.Lock()
_RESOLVED = False
_POOL: "RayPool | None" = None     # the Ray backend, once connected
_FAILURE: str | None = None        # why the configured cluster is not used


def default_pool() -> Pool:
    """The process-wide pool shared by every session: the Ray backend when one is configured and reachable,
    else this server's JobPool (created lazily with `default_max_jobs()` slots)."""
    return ray_pool() or local.shared_pool()


def start(run: Run, data: Dataset, *, pool: Pool | None = None, heartbeat_s: float | None = HEARTBEAT_S,
          preview_every_s: float = PREVIEW_EVERY_S, threads: int | None = None, owner: str | None = None,
          limits: ClassLimits | None = None) -> JobHandle:
    """Queue `run` for training on `data` and return its Job at once. Starting a run that is already
    queued or running returns that job; starting a stopped or failed run resumes it.

    Parameters
    ----------
    pool : where it trains (None: `default_pool()`).
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
    if existing is not None and not existing.stopping:
        return existing
    limits = limits or ClassLimits.from_env()
    limits.check_epochs(run)
    return pool.start_job(run, data, heartbeat_s, preview_every_s, threads, owner, limits)


def lock_for(run: Run, pool: Pool | None = None) -> AbstractContextManager:
    """A context manager that holds `run`'s model still while it trains (a no-op when it is not training).
    Use it around anything that reads the model or its history from a page: `with jobs.lock_for(run): ...`."""
    pool = pool or current() or local.existing_pool()   # no pool yet: nothing is training; do not create one to look
    job = pool.active_job(run) if pool is not None else None
    return job.lock if job is not None else nullcontext()


def warm_up() -> threading.Thread:
    """Pay the first job's one-time costs in a background thread, so the first Train click does not wait for them:
    torch's (runtime.warm_torch, seconds) and, with AECORE_RAY_ADDRESS set, joining the cluster (2-5 s). Returns the
    (daemon) thread; calling it again is harmless and cheap."""
    def work():
        warm_torch()
        ray_pool()   # None at once without the variable
    thread = threading.Thread(target=work, name="aecore-warm-up", daemon=True)
    thread.start()
    return thread


def ray_address() -> str | None:
    """The configured cluster address, or None (train in this process)."""
    return settings.text(ADDRESS_ENV) or None


def ray_pool() -> "RayPool | None":
    """The Ray backend when AECORE_RAY_ADDRESS is set and the cluster answered; None means train in process."""
    global _RESOLVED, _POOL, _FAILURE
    address = ray_address()
    if address is None:
        return None
    with _LOCK:
        if not _RESOLVED:
            _RESOLVED = True
            try:
                _POOL = _connect(address)
            except Exception as err:   # any failure to join: the class still trains, in process
                _FAILURE = f"{type(err).__name__}: {err}".splitlines()[0][:200]
                log.warning(_fallback_line(address))
        return _POOL


def current() -> "RayPool | None":
    """The Ray backend if already connected, without connecting (for a look that must not start anything)."""
    return _POOL


def backend_status() -> str:
    """One line saying where models train, for the Models page and the log."""
    address = ray_address()
    if address is None:
        return "Training runs on this server (set AECORE_RAY_ADDRESS to use a Ray cluster)."
    pool = ray_pool()
    if pool is None:
        return _fallback_line(address)
    import ray
    nodes = sum(1 for n in ray.nodes() if n.get("Alive"))
    cpus = ray.cluster_resources().get("CPU", 0)
    return (f"Training runs on the Ray cluster at {address}: {cpus:g} CPUs on {nodes} machine(s), "
            f"{pool.cpus_per_job:g} per model.")


def _fallback_line(address: str) -> str:
    return f"The Ray cluster at {address} could not be reached ({_FAILURE}); training runs on this server instead."


def _connect(address: str) -> "RayPool":
    _check_reachable(address)
    from . import cluster   # imports ray: only here
    errors: list[BaseException] = []
    joining = threading.Thread(target=lambda: _catch(errors, cluster.connect, address), daemon=True,
                               name="aecore-ray-init")
    joining.start()
    joining.join(JOIN_TIMEOUT_S)
    if joining.is_alive():
        raise TimeoutError(f"joining the cluster took more than {JOIN_TIMEOUT_S:g} s")
    if errors:
        raise errors[0]
    return cluster.RayPool()


def _catch(errors: list, fn, *args) -> None:
    try:
        fn(*args)
    except BaseException as err:   # handed to the caller's thread
        errors.append(err)


def _check_reachable(address: str) -> None:
    """Fail fast on a `host:port` nobody listens at (ray.init would retry for a minute)."""
    if address == "auto" or "://" in address:
        return
    host, _, port = address.rpartition(":")
    try:
        socket.create_connection((host or "127.0.0.1", int(port)), CONNECT_TIMEOUT_S).close()
    except ValueError:
        raise ValueError(f"{ADDRESS_ENV} must be 'auto' or host:port, got {address!r}") from None
    except OSError as err:
        raise ConnectionError(f"nothing answers at {address} ({err.strerror or err})") from None
