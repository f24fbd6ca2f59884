"""A slow computation (a UMAP of every point) run once in a background thread, read from any thread meanwhile.

A page starts it and returns at once; a fragment polls `fraction`, then takes `result` (or `error`) once `done`.
Tasks that should not run side by side (two UMAPs on 2 cores only slow each other down) share a `lock`: the
second waits, `started` False, until the first is done.
"""
from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable
from contextlib import nullcontext
from typing import Any


class Task:
    """`fn(progress)` run once in a daemon thread, where `progress(fraction)` reports how far it is."""

    def __init__(self, name: str = "aecore-task"):
        self.name = name
        self.fraction = 0.0
        self.result: Any = None
        self.error: str | None = None
        self.started = False           # False while it waits for the lock
        self.seconds: float | None = None   # how long fn took, once done
        self.what = ""                 # what runs now, in words (`report`)
        self._t0: float | None = None
        self._done = threading.Event()
        self._launch = threading.Lock()
        self._thread: threading.Thread | None = None

    def start(self, fn: Callable[[Callable[[float], None]], Any], lock=None) -> Task:
        """Run `fn` in the background, unless this task was started before (then nothing happens)."""
        with self._launch:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, args=(fn, lock), name=self.name, daemon=True)
                self._thread.start()
        return self

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until done (for scripts and tests); True if it was within `timeout`."""
        return self._done.wait(timeout)

    def _progress(self, fraction: float) -> None:
        self.fraction = min(1.0, max(self.fraction, float(fraction)))

    def report(self, fraction: float, what: str) -> None:
        """A progress callback that also says what runs now (shown beside the bar)."""
        self.what = what
        self._progress(fraction)

    def time_left(self) -> str:
        """" · about N left" at the pace so far, "" before there is a pace to go by."""
        if self._t0 is None or self.fraction <= 0.02 or self.done:
            return ""
        from .jobs.protocol import format_seconds  # imported here: tasks stays free of the jobs package
        elapsed = time.perf_counter() - self._t0
        return f" · about {format_seconds(elapsed * (1 - self.fraction) / self.fraction)} left"

    def _run(self, fn, lock) -> None:
        try:
            with lock or nullcontext():
                self.started, t0 = True, time.perf_counter()
                self._t0 = t0
                self.result = fn(self._progress)
                self.seconds = time.perf_counter() - t0
                self.fraction = 1.0
        except Exception as err:   # reported on the page, not lost in a dead thread
            self.error = f"{type(err).__name__}: {err}"
            traceback.print_exc()
        finally:
            self._done.set()
