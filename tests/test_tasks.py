"""aecore.tasks: a computation in a background thread, its progress, its result or error, one at a time by a lock."""
from __future__ import annotations

import threading

from aecore.tasks import Task


def test_a_task_runs_once_and_reports_progress():
    calls = []

    def work(progress):
        calls.append(1)
        progress(0.5)
        return 42

    task = Task().start(work).start(work)
    assert task.wait(10) and task.done and task.result == 42 and task.fraction == 1.0 and task.error is None
    assert calls == [1] and task.seconds is not None


def test_an_error_is_kept_not_raised():
    task = Task().start(lambda progress: 1 / 0)
    assert task.wait(10) and task.error.startswith("ZeroDivisionError") and task.result is None


def test_tasks_sharing_a_lock_wait_their_turn():
    lock, release = threading.Lock(), threading.Event()
    first = Task().start(lambda progress: release.wait(10), lock=lock)
    second = Task().start(lambda progress: "done", lock=lock)
    assert not second.wait(0.2) and not second.started, "waits while the first holds the lock"
    release.set()
    assert second.wait(10) and second.result == "done" and first.done
