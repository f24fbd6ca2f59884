"""Every `st.cache_*` wrapper of a model's or a dataset's results, keyed once.

A model state is keyed by its content fingerprint (`ViewModel.fingerprint`, aecore.fingerprint: every weight, the
configuration and the data's identity, hashed once per state), never by its tensors, and never by its run id or
step, which an uploaded config.json can copy from another model; a dataset by `datasets.data_key`. Latent space and
Generate share `encoded`, so switching between them encodes nothing twice. The latent atlas keeps, per model state,
every sample's code and its 2-D views (`st.cache_data`), and per dataset its hover pictures (`st.cache_resource`:
one copy for every session); a UMAP runs as a background `Task`.
"""
from __future__ import annotations

import threading

import numpy as np
import streamlit as st
import torch

from aecore import plots
from aecore.data import Dataset
from aecore.imaging import PAGE_LEVEL, png_bytes
from aecore.tasks import Task
from aecore.views import explore
from aecore.views.atlas import dataset_atlas
from aecore.views.codes import SplitCodes, encode_dataset, even_sample
from aecore.views.decoder_export import BrowserDecoder, export_decoder, export_network
from aecore.views.project import Projection, project
from aecore.views.units import FirstLayer, UnitViews, first_layer, views_on_test_split

from .atlas import Thumbs
from .datasets import data_key
from .workspace import ViewModel


@st.cache_resource(show_spinner=False)
def umap_lock() -> threading.Lock:
    """One UMAP at a time in this server: two on 2 cores only slow each other down."""
    return threading.Lock()


@st.cache_data(max_entries=8, show_spinner="Encoding the test set…")
def _encoded(key: str, dkey: tuple, _model, _x, _y) -> explore.Encoded:
    return explore.encode_split(_model, _x, _y)


def encoded(view: ViewModel, data: Dataset) -> explore.Encoded:
    """Test-set codes (and a VAE's per-dimension KL) of one model state."""
    return _encoded(view.fingerprint, data_key(data), view.model, data.x_test, data.y_test)


@st.cache_resource(max_entries=16, show_spinner=False)
def kl_figure(kl: np.ndarray):
    """Latent space's KL bar chart of one model state, keyed by the KL values themselves (a few numbers): built
    once, not on every rerun of the page (0.17 s of plotly's validation each time; Streamlit only reads it)."""
    return plots.kl_bar(kl, explore.ACTIVE_KL)


@st.cache_data(max_entries=32, show_spinner=False)
def manifold(key: str, dims: tuple[int, int], n: int, label: int | None, _model) -> torch.Tensor:
    """Generate's grid of decodes over two code dimensions for the model state whose fingerprint is `key`: decoded
    once per choice, not on every run of the page (15 x 15 decodes took 0.22 s of its 1.05 s, busy machine)."""
    return explore.manifold_grid(_model, dims, n, label=label)


@st.cache_data(max_entries=16, show_spinner="Encoding every sample…")
def _points(key: str, dkey: tuple, _model, _data: Dataset) -> SplitCodes:
    codes = encode_dataset(_model, _data, "all")
    return codes.take(even_sample(len(codes)))


def atlas_points(view: ViewModel, data: Dataset) -> SplitCodes:
    """The atlas' points of one model state: every sample's code (train, then test), or an even sample of
    `aecore.views.codes.MAX_POINTS` of them."""
    return _points(view.fingerprint, data_key(data), view.model, data)


@st.cache_data(max_entries=32, show_spinner="Projecting the codes…")
def projection(key: str, dkey: tuple, method: str, _codes: np.ndarray) -> Projection:
    """The direct or PCA view of a model state's atlas points (fit on all of them: fast for these two)."""
    return project(_codes, method, max_fit=len(_codes))


@st.cache_resource(max_entries=16, show_spinner=False)
def _umap_task(key: str, dkey: tuple) -> Task:
    return Task("latent-umap")


def umap_task(key: str, dkey: tuple, codes: np.ndarray) -> Task:
    """The UMAP of a model state's atlas points, started in the background on first call (shared by sessions
    that show the same model state); poll `fraction`, read `result` (a Projection) once `done`."""
    def fit(progress):   # seeded: the same map as `python -m aecore project`, and faster on a busy 2-core server
        return project(codes, "umap", max_fit=len(codes), seed=0, progress=progress)   # (aecore.views.umapx.umap_embed)
    return _umap_task(key, dkey).start(fit, lock=umap_lock())


@st.cache_resource(max_entries=6, show_spinner=False)
def _thumbs_task(dkey: tuple, split: str) -> Task:
    return Task("atlas-thumbs")


def thumbs_task(dkey: tuple, split: str, data: Dataset) -> Task:
    """Hover pictures of the atlas points of `split`, packed once per dataset for every session (MNIST: 11 MB,
    3-11 s), in a background thread: the server's warm-up starts it while the first page encodes its points."""
    return _thumbs_task(dkey, split).start(lambda progress: pack_thumbs(data, split))


WAIT_FOR_PICTURES = 5_000   # up to this many points a page waits for their pictures (packed in well under a second)


def thumbs(dkey: tuple, split: str, data: Dataset, wait_s: float | None = None) -> Thumbs | None:
    """The pictures (None if packing them failed, or if they are still being packed after `wait_s` seconds; None
    waits for good): packed once, by the server's warm-up (face.warmup) or by the first page that needs them; a page
    that comes while they are packed waits for that packing, not a second."""
    task = thumbs_task(dkey, split, data)
    task.wait(wait_s)
    return task.result if task.done and task.error is None else None


def pack_thumbs(data: Dataset, split: str) -> Thumbs:
    n_train = len(data.x_train)
    positions = even_sample(n_train + len(data.x_test))
    if split != "all":
        positions = positions[(positions < n_train) == (split == "train")]
    atlas = dataset_atlas(data, positions)
    if data.kind != "image":
        return Thumbs.from_lines(atlas.values, (0, 255))
    return Thumbs(atlas.data, atlas.count, "image", atlas.format, atlas.tile, atlas.channels, atlas.columns)


@st.cache_resource(max_entries=16, show_spinner=False)
def browser_decoder(key: str, _model) -> BrowserDecoder | str:
    """The decoder of the model state whose fingerprint is `key`, for the browser (aecore.views.decoder_export), or why
    it cannot run there."""
    try:
        return export_decoder(_model)
    except ValueError as err:
        return str(err)


@st.cache_resource(max_entries=16, show_spinner=False)
def browser_network(key: str, _model) -> BrowserDecoder | str:
    """The whole network (encoder and decoder) of the model state whose fingerprint is `key`, for the browser's
    Inside view, or why it cannot go there."""
    try:
        return export_network(_model)
    except ValueError as err:
        return str(err)


@st.cache_resource(max_entries=8, show_spinner="Finding what each unit responds to…")
def _unit_views(key: str, dkey: tuple, _model, _data: Dataset) -> UnitViews:
    return views_on_test_split(_model, _data)


def unit_views(view: ViewModel, data: Dataset) -> UnitViews:
    """What every unit of one model state stands for (aecore.views.units): its top test samples or what it paints."""
    return _unit_views(view.fingerprint, data_key(data), view.model, data)


@st.cache_resource(max_entries=8, show_spinner=False)
def _first_layer(key: str, dkey: tuple, scale: int, _model, _data: Dataset) -> tuple[FirstLayer, bytes] | None:
    layer = first_layer(_model, _data)
    return None if layer is None else (layer, png_bytes(layer.grid, scale, PAGE_LEVEL))


def first_layer_grid(view: ViewModel, data: Dataset, scale: int) -> tuple[FirstLayer, bytes] | None:
    """The first layer's weights of one model state as a grid, its units judged on test samples (aecore.views.units),
    and the grid as a PNG at `scale` pixels per weight: encoded once, not on every rerun of the page (10-14 ms)."""
    return _first_layer(view.fingerprint, data_key(data), scale, view.model, data)
