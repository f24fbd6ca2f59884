"""What a server prepares once, from its first page view on, so that visitors do not wait for it.

In the background at once (`start`): torch's first optimizer (aecore.jobs.warm_up: seconds of imports), and the
page a lesson or a new visitor opens first, Latent space with the bundled demo on the default dataset: the
dataset, the demo's codes and the hover pictures (on full MNIST 10-40 s on the busy 2-core machine, which the
first visitor used to wait for in front of the room). Nothing here imports a module: every module it uses is
imported by the script thread first, so no page can meet a half-imported one.

Then (`after_first_page`, called right after `start`): umap, imported in the script thread, then numba's kernels
compiled in the background, one UMAP at a time (caches.umap_lock). Called at the end of the first page's run
instead, the live view of a training started right after stopped redrawing at "Epoch 0.0" for good
(test_explore_flow timed out; the job itself finished); why the place matters is not understood yet.
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
    """Once per server, as its first page starts: import umap in this script thread, then compile its
    kernels in the background (35-55 s with an empty numba cache, a second or two from it). Every other run
    returns at once (a cached function would make them wait for the import)."""
    if not _umap_once.acquire(blocking=False):
        return None
    lock = caches.umap_lock()
    if lock.acquire(blocking=False):   # else a UMAP runs, which imported umap in its own thread
        try:
            umapx.import_umap()   # also points numba's cache at its folder first
        finally:
            lock.release()
    thread = threading.Thread(target=_compile_umap, name="umap-warm-up", daemon=True)
    thread.start()
    return thread


def _compile_umap() -> None:
    with caches.umap_lock():
        umapx.warm_up_umap(background=False)
