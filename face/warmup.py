"""What a server prepares once, from its first page view on, so that visitors do not wait for it.

In the background at once (`start`): torch's first optimizer (aecore.jobs.warm_up: seconds of imports), and the
page a lesson or a new visitor opens first, Latent space with the bundled demo on the default dataset: the
dataset, the demo's codes and the hover pictures (on full MNIST 10-40 s on the busy 2-core machine, which the
first visitor used to wait for in front of the room). Nothing `start` runs imports a module: every module it uses
is imported by the script thread first, so no page can meet a half-imported one.

Then (`after_first_page`, once the first page has run): umap imported and numba's kernels compiled in the
background, under caches.umap_lock, so a UMAP asked for meanwhile waits for them instead of importing umap beside
them. umap's import takes 4.4 s of a fresh server; in the script thread, at the first page's start, the first
visitor waited for it (a fresh server's Latent space: 7.6 s against the bare plotly page's 5.7). umap is imported
nowhere else but under that lock (umapx.import_umap). A page importing a module umap pulls in too (sklearn) meets
it whole: an import statement waits for an import running in another thread (only two threads importing each
other's modules in a circle could see one half-done); pandas, which plotly reads from sys.modules without
importing it, is imported whole by face/ before any page runs.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass

import streamlit as st

from aecore import jobs
from aecore.data import DataError
from aecore.fingerprint import current
from aecore.runs.checkpoint import CheckpointError
from aecore.views import umapx

from . import caches, lecture
from .datasets import data_key, load_builtin
from .workspace import ViewModel

DEMO_DATASET = "mnist"   # the sidebar's default dataset, which the default demo was trained on


@dataclass(frozen=True)
class Warmup:
    torch: threading.Thread    # torch's first optimizer
    demo: threading.Thread     # the default dataset, the demo's atlas points and hover pictures


@st.cache_resource(show_spinner=False)
def start() -> Warmup:
    """Once per server: start preparing in the background; returns at once."""
    demo = threading.Thread(target=prepare_demo, name="demo-warm-up", daemon=True)
    demo.start()
    return Warmup(jobs.warm_up(), demo)


def prepare_demo() -> None:
    """The default demo's Latent space, into the caches every session reads: data, points, pictures."""
    try:
        data = load_builtin(DEMO_DATASET)
    except DataError:   # the page says why when someone opens it
        return
    try:
        run = lecture.load_demo(lecture.DEFAULT_DEMO)
    except CheckpointError:   # a server whose limits refuse the demo: the page says so to whoever opens it
        return
    view = ViewModel(run.model.eval(), run.step, False, current(run))
    caches.atlas_points(view, data)
    caches.thumbs_task(data_key(data), "all", data).wait()


_umap_once = threading.Lock()   # taken for good by the first run that gets here: one warm-up per server process


def after_first_page() -> threading.Thread | None:
    """Once per server, after its first page has run: umap's import and its kernels (35-55 s with an empty numba
    cache, a second or two from it), in a background thread. Every other call returns at once."""
    if not _umap_once.acquire(blocking=False):
        return None
    thread = threading.Thread(target=_prepare_umap, args=(caches.umap_lock(),), name="umap-warm-up", daemon=True)
    thread.start()
    return thread


def _prepare_umap(lock: threading.Lock) -> None:
    with lock:
        umapx.import_umap()   # also points numba's cache at its folder first
        umapx.warm_up_umap(background=False)
