"""A server gives back the memory of the sessions that left.

What held it (measured with scripts/memory_after_sessions.py and scripts/memory_probe.py, 20 sessions training a
default VAE each): every closed tab's whole session (its Workspace, run, optimizer, job), 345 MB over the idle
level and still there minutes later. Streamlit keeps a disconnected session for `server.disconnectedSessionTTL`
(120 s) so a reload can resume it, in a TTL cache that only drops expired entries when it is written to or
measured: on a server nobody opens a new tab on, never. Once dropped, a session's objects sit in reference cycles
(Streamlit's own) that only a full collection frees, and this app turns Streamlit's collection after every run off
(.streamlit/config.toml: it stops every thread for ~0.2 s); and glibc keeps freed heap pages until told.

So, once per server, a thread looks every REAP_EVERY_S: it makes Streamlit drop its expired sessions, and when
fewer sessions are kept than at its last look, it collects the cycles and hands freed pages back (malloc_trim).
"""
from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging
import os
import threading
import time
from contextlib import nullcontext

REAP_EVERY_S = float(os.environ.get("LATENT_LAB_REAP_EVERY_S", "30"))   # the variable is for the memory test
log = logging.getLogger("latent_lab.memory")

_STARTED = threading.Event()
_START_LOCK = threading.Lock()


def watch() -> None:
    """Start the thread that gives back the memory of sessions that left (once per server; cheap after)."""
    if _STARTED.is_set():
        return
    with _START_LOCK:
        if not _STARTED.is_set():
            threading.Thread(target=_loop, name="latent-lab-memory", daemon=True).start()
            _STARTED.set()


def sessions_kept() -> int | None:
    """How many sessions Streamlit holds (connected, or disconnected and not yet expired), after dropping the
    expired ones; None outside a Streamlit server. Reads Streamlit 1.67's session manager (pinned: requirements.txt)."""
    from streamlit.runtime import Runtime
    if not Runtime.exists():
        return None
    manager = Runtime.instance()._session_mgr
    cache = getattr(getattr(manager, "_session_storage", None), "_cache", None)
    if cache is not None:
        with getattr(manager, "_storage_lock", nullcontext()):   # the cache is not thread-safe
            len(cache)   # a length query drops its expired entries (streamlit.runtime.caching.ttl_cache)
    return len(manager.list_sessions())


def give_back() -> None:
    """Free what closed sessions left in reference cycles, then return freed heap pages to the system."""
    gc.collect()
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


def _loop() -> None:
    last = None
    while True:
        time.sleep(REAP_EVERY_S)
        try:
            kept = sessions_kept()
        except Exception as err:   # never take the server down over housekeeping
            log.warning("could not look at the sessions: %s", err)
            continue
        if kept is not None and last is not None and kept < last:
            give_back()
        last = kept


def _libc():
    """glibc, whose malloc_trim returns freed pages to the system; None elsewhere (macOS, musl: nothing to do)."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        return libc if libc is not None and hasattr(libc, "malloc_trim") else None
    except OSError:
        return None


_LIBC = _libc()
