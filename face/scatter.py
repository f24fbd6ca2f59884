"""The Latent space atlas: every sample's code at once (face.atlas), which samples and which 2-D view, and a
UMAP computed in the background while PCA stands in for it.

Session-state keys: "latent_split" (which samples: all, train or test), "latent_method" (PCA or UMAP for codes of
3+ numbers), "latent_atlas" (the component; see face.gallery for what a click or a selection shows).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st

from aecore.plots.style import color
from aecore.views.codes import MAX_POINTS, SplitCodes
from aecore.data import Dataset
from aecore.views.project import Projection
from aecore.tasks import Task
from aecore.views.umapx import phase as umap_phase

from . import caches
from .atlas import atlas_ui
from .datasets import data_key
from .widgets import component_scale

ATLAS_KEY = "latent_atlas"   # the component's key: face.atlas.points_drawn(ATLAS_KEY) once its points are drawn
SPLITS = {"all": "Train and test", "train": "Training set", "test": "Test set"}
METHODS = {"PCA": "pca", "UMAP": "umap"}
METHOD_HELP = ("The code has more than two numbers, so it is flattened to 2-D. PCA keeps the two directions of "
               "largest spread (a linear view: move over empty space to decode it); UMAP keeps neighbours together "
               "(nonlinear, shows clusters better; computed in the background, PCA is shown meanwhile).")


@dataclass(frozen=True)
class AtlasView:
    """What the atlas draws: some points of a model state, where they sit, and how to decode a spot."""

    key: tuple                   # model fingerprint, split and drawn method: a pin or a selection belongs to one view
    points: SplitCodes           # the drawn points: row i is sample points.order[i] of train-then-test
    projection: Projection       # coords (N, 2) in the same rows; inverse None for UMAP
    split: str


def split_sizes(data: Dataset) -> dict[str, int]:
    return {"all": len(data.x_train) + len(data.x_test), "train": len(data.x_train), "test": len(data.x_test)}


def split_ui(data: Dataset, trained_on: str | None = None) -> str:
    """Which samples to draw: both splits (default), or one. `trained_on`: the title of the data the model trained
    on, when it is not this data (the 5k-digit demo shown on full MNIST): its training split is then not one the
    model has seen, and the labels say so."""
    n = split_sizes(data)
    other = trained_on is not None and trained_on != data.title
    names = {**SPLITS, "train": "Training split (not seen by this model)"} if other else SPLITS
    help_seen = (f"This model trained on {trained_on}, not on this data's training split: every sample here is new "
                 "to it." if other else "Every sample the model has seen (training set) and has not (test set). If the "
                 "test points sit where the training points of their class are, the code generalises.")
    return st.radio("Samples", list(SPLITS), horizontal=True, key="latent_split",
                    format_func=lambda s: f"{names[s]} ({n[s]:,})", help=help_seen)


def method_ui(k: int) -> str:
    """"direct" for codes of 1 or 2 numbers; otherwise "pca" or "umap", as chosen."""
    if k <= 2:
        return "direct"
    return METHODS[st.radio("Projection", list(METHODS), horizontal=True, key="latent_method", help=METHOD_HELP)]


def view_ui(key: str, data: Dataset, points: SplitCodes, method: str, split: str) -> AtlasView:
    """The view to draw: direct or PCA at once; UMAP when its background fit is done, PCA with a progress bar
    until then."""
    dkey = data_key(data)
    proj = None
    if method == "umap":
        task = caches.umap_task(key, dkey, points.codes)
        if task.done and task.error is None:
            proj = task.result
        elif task.done:
            st.error(f"UMAP failed ({task.error}); showing PCA.")
        else:
            umap_progress_ui(task, len(points))
    if proj is None:
        proj = caches.projection(key, dkey, "pca" if method == "umap" else method, points.codes)
    rows = points.in_split(split)
    shown = Projection(proj.coords[rows], proj.method, proj.n_fit, proj.axis_labels, proj.inverse)
    return AtlasView((key, split, proj.method), points.take(rows), shown, split)


@st.fragment(run_every=0.5)
def umap_progress_ui(task: Task, n: int) -> None:
    """While UMAP fits: its progress; once done, the whole page again, so UMAP replaces PCA."""
    if task.done:
        st.rerun()
    text = (f"UMAP of all {n:,} points: {task.fraction:.0%}, {umap_phase(task.fraction)}{task.time_left()} "
            "(PCA is shown until it is ready)" if task.started
            else "UMAP waits for another map to finish (one at a time on this server); PCA is shown meanwhile")
    st.progress(task.fraction, text=text)


def caption(view: AtlasView, data: Dataset) -> str:
    """How many points of how many samples, and the view's axes."""
    n = split_sizes(data)[view.split]
    drawn = len(view.points)
    count = f"all {drawn:,} samples" if drawn == n else f"{drawn:,} of {n:,} samples (an even sample)"
    axes = " · ".join(a for a in view.projection.axis_labels if a)
    return f"{count} · {axes} · hover a point to see its input; drag a box or lasso (toolbar) to select some"


NO_DECODE = ("Nothing is decoded under the mouse in this view: UMAP's map cannot be turned back into a code. "
             "Choose PCA (or a model with a 2-number code) to decode any spot of the map.")


def atlas_draw_ui(view: AtlasView, data: Dataset, decoder, thumbs) -> dict | None:
    """The atlas component; returns the person's newest click or selection (once), or None."""
    labels = view.points.labels
    names = tuple(data.label_names) if labels is not None else ()
    inverse = view.projection.inverse if not isinstance(decoder, str) else None
    st.caption(caption(view, data))
    if inverse is None and not isinstance(decoder, str):   # the panel is left out: say why, where it was
        st.caption(NO_DECODE)
    return atlas_ui(view.projection.coords, labels, names, thumbs=thumbs,
                    decoder=decoder if inverse is not None else None, inverse=inverse,
                    colors=[color(c) for c in range(len(names))] or None, scale=component_scale(), key=ATLAS_KEY)


def positions(view: AtlasView, rows) -> np.ndarray:
    """Train-then-test positions of drawn rows."""
    return view.points.order[np.asarray(rows, np.int64)]
