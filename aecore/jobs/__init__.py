"""Background training: `start(run, data) -> Job` returns at once; `Job.poll()` is a small, cheap snapshot.

- runtime.py: a Job trains one Run in a thread (why a thread, the GIL, torch threads, warm-up, the heartbeat)
- backend.py: where jobs train, chosen here only: `start`, `default_pool`, `lock_for`, `warm_up`; this server's
              JobPool, or a Ray cluster when AECORE_RAY_ADDRESS is set (cluster.py, remote.py, worker.py,
              transfer.py; ray is imported only then); `backend_status()` says which, in one line
- pool.py:    the in-process backend: a JobPool bounds how many jobs train at once in this server's threads
- protocol.py: what a page reads (Progress, Preview) and the two contracts: JobHandle (a job) and Pool (a backend);
              preview.py renders the reconstruction preview
- group.py:   an application's models trained together (ModelSpec, Group, train_all)
- limits.py:  fair shares between students: jobs per student, epochs per job (ClassLimits, AECORE_MAX_JOBS_PER_STUDENT)

Callers use the names below: `from aecore import jobs; job = jobs.start(run, data); job.poll()`.
"""
from .backend import backend_status, default_pool, lock_for, start, warm_up
from .group import (Describe, Group, GroupProgress, ModelSpec, build_runs, join_and, name_models, progress, start_all,
                    train_all)
from .limits import ClassLimits, JobLimitError
from .pool import JobPool, default_max_jobs, pool_of
from .preview import PREVIEW_N, PREVIEW_SEED, make_preview, preview_for
from .protocol import ACTIVE, STATUSES, JobHandle, Pool, Preview, Progress, format_seconds, progress_of
from .runtime import GIL_SWITCH_S, HEARTBEAT_S, PREVIEW_EVERY_S, Job, ModelLock, share_the_gil, threads_per_job

__all__ = ["ACTIVE", "GIL_SWITCH_S", "HEARTBEAT_S", "PREVIEW_EVERY_S", "PREVIEW_N", "PREVIEW_SEED", "STATUSES",
           "ClassLimits", "Describe", "Group", "GroupProgress", "Job", "JobHandle", "JobLimitError", "JobPool",
           "ModelLock", "ModelSpec", "Pool", "Preview",
           "Progress", "backend_status", "build_runs", "default_max_jobs", "default_pool", "format_seconds", "join_and",
           "lock_for", "make_preview", "name_models", "pool_of", "preview_for", "progress", "progress_of",
           "share_the_gil", "start", "start_all",
           "threads_per_job", "train_all", "warm_up"]
