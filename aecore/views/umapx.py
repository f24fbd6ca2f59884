"""UMAP of every point in seconds: exact neighbours, a PCA start, fewer epochs, progress, and no wait for numba.

umap-learn's default call on 70,000 16-d codes spends its time in NN-descent, a spectral start (an eigenproblem
on the 70,000-node graph) and 200 layout epochs. Here the neighbours come from a k-d tree (`aecore.views.knn`; codes
wider than KD_TREE_MAX_DIM keep umap's NN-descent), the layout starts
from the codes' top two principal components (neighbourhood quality measured on par: scripts/bench_latent.py), and
large data gets FAST_EPOCHS. The first UMAP in a process compiles numba kernels (35-55 s on 2 cores): a persistent
cache folder keeps what numba can cache, and `warm_up_umap` compiles the rest in the background at server start.
"""
from __future__ import annotations

import os
import re
import sys
import threading
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..pca import PCA
from .knn import KD_TREE_MAX_DIM, neighbours

NUMBA_CACHE_ENV = "NUMBA_CACHE_DIR"
FAST_EPOCHS = 75       # > LARGE points; 70k MNIST codes' trustworthiness 0.968 (100: 0.967; umap-learn's 200: 0.969)
SMALL_EPOCHS = 200     # umap-learn uses 500 below LARGE; 200 measured within 0.003 of its trustworthiness
LARGE = 10_000         # umap-learn's own cut between its small- and large-data epoch counts
KNN_EPS = 0.5          # approximate k-d tree search: recall 0.994 at 1/4 of exact's CPU time (aecore/views/knn.py)
KNN_SHARE = 0.2        # progress-bar share of the neighbour search and the graph (15-40% of the time, measured)
LAYOUT_PAUSE_S = 0.004  # after each layout epoch, so that other threads run (hand_on_the_gil)

Progress = Callable[[float], None]


def configure_numba_cache(folder: str | os.PathLike | None = None) -> Path:
    """Point numba's on-disk cache at a persistent folder (unless NUMBA_CACHE_DIR is set) and return it.

    Call before umap (or pynndescent) is first imported: pynndescent compiles its cached kernels at import time.
    """
    path = Path(os.environ.get(NUMBA_CACHE_ENV) or folder or Path.home() / ".cache" / "latent-lab" / "numba")
    path = path.expanduser()
    path.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault(NUMBA_CACHE_ENV, str(path))
    # numba colours its (internally caught) typing errors through colorama, which swaps sys.stdout and sys.stderr
    # from the compiling thread: a warm-up in the background lost another thread's redirected output (measured)
    os.environ.setdefault("NUMBA_DISABLE_ERROR_MESSAGE_HIGHLIGHTING", "1")
    config = getattr(sys.modules.get("numba"), "config", None)
    if config is not None and not config.CACHE_DIR:   # numba imported already: it read the environment then
        config.CACHE_DIR = str(path)
    return path


def import_umap():
    """umap-learn, imported with the numba cache configured first: the one way aecore imports umap."""
    configure_numba_cache()
    import umap  # imported here: it pulls in numba and takes seconds, and most views never need it
    return umap


def default_epochs(n: int) -> int:
    """Layout epochs for n points: fewer than umap-learn's defaults, at equal measured quality."""
    return FAST_EPOCHS if n > LARGE else SMALL_EPOCHS


def pca_start(codes: np.ndarray, seed: int | None) -> np.ndarray:
    """The layout's starting point: the top two principal components scaled to [-10, 10], as umap scales its own."""
    start = PCA(2).fit(codes[:: max(1, len(codes) // 20_000)]).transform(codes)   # a sample fixes the axes
    start = np.pad(start, ((0, 0), (0, 2 - start.shape[1])))   # 1-number codes: one component, padded
    start = 10 * start / max(np.abs(start).max(), 1e-12)
    noise = np.random.default_rng(seed).normal(scale=1e-4, size=start.shape)   # separates duplicate codes
    return (start + noise).astype(np.float32)


def hand_on_the_gil() -> None:
    """Sleep LAYOUT_PAUSE_S after a layout epoch. An epoch is one numba call that holds the GIL throughout (0.1 s on
    70,000 points), so a server's other threads got it only between epochs, once each: a page showing this progress
    did not redraw for the whole layout (8 s at 24%; with the pause it redraws every second). 0.3 s of 75 epochs."""
    time.sleep(LAYOUT_PAUSE_S)


class _EpochWriter:
    """A file for umap's tqdm bar: turns each "n/total" it writes into a progress fraction, then hands the GIL on."""

    def __init__(self, progress: Progress, start: float):
        self.progress, self.start = progress, start

    def write(self, text: str) -> None:
        found = re.findall(r"(\d+)/(\d+)", text)
        if found:
            done, total = map(int, found[-1])
            self.progress(self.start + (1 - self.start) * done / max(total, 1))
            hand_on_the_gil()

    def flush(self) -> None:
        pass


def phase(fraction: float) -> str:
    """What a UMAP that reported `fraction` is doing, in words: the bar's text, so that the neighbour graph (a
    third of the wait on 70,000 codes, with no progress of its own) does not look like a stalled bar."""
    if fraction < KNN_SHARE / 2:
        return "finding each point's neighbours"
    if fraction < KNN_SHARE:
        return "building the neighbour graph"
    return "laying out the map"


def umap_embed(codes: np.ndarray, seed: int | None = None, n_epochs: int | None = None,
               progress: Progress | None = None, n_neighbors: int = 15, min_dist: float = 0.1) -> np.ndarray:
    """2-D UMAP (N, 2) float32 of every row of codes.

    Parameters
    ----------
    seed : None runs numba's parallel loops (differs run to run); an int gives the same map every time,
        single-threaded (umap-learn turns parallelism off when seeded). On the busy shared 2-core machine the
        seeded run measured faster (17 s against 23.5 s for 70,000 codes): parallel loops lose to contention.
    n_epochs : layout epochs; None picks `default_epochs(len(codes))`.
    progress : called with the fraction done (0..1) during the neighbour search (its first KNN_SHARE / 2) and
        during the layout epochs (from KNN_SHARE on).
    n_neighbors : larger values keep more global structure, smaller more local detail.
    min_dist : how tightly points may pack in the map.
    """
    codes = np.ascontiguousarray(codes, dtype=np.float32)
    if codes.ndim != 2 or len(codes) < 3:
        raise ValueError(f"codes must be an (N, k) array with N >= 3, got shape {codes.shape}")
    report = progress or (lambda fraction: None)
    report(0.0)
    k = min(n_neighbors, len(codes) - 1)
    knn = ((None, None) if codes.shape[1] > KD_TREE_MAX_DIM else
           neighbours(codes, k, eps=KNN_EPS, progress=lambda done: report(KNN_SHARE / 2 * done)))
    report(KNN_SHARE / 2)
    umap = import_umap()
    reducer = umap.UMAP(n_neighbors=k, min_dist=min_dist, n_epochs=n_epochs or default_epochs(len(codes)),
                        init=pca_start(codes, seed), random_state=seed, n_jobs=1 if seed is not None else -1,
                        precomputed_knn=(*knn, None),
                        tqdm_kwds={"disable": progress is None, "file": _EpochWriter(report, KNN_SHARE),
                                   "bar_format": "{n}/{total}", "mininterval": 0})
    with warnings.catch_warnings():   # "no search index: transform unavailable" is by design here
        warnings.filterwarnings("ignore", message=".*precomputed_knn", category=UserWarning)
        coords = reducer.fit_transform(codes)
    report(1.0)
    return np.asarray(coords, dtype=np.float32)


def place(codes: np.ndarray, fit_codes: np.ndarray, embedding: np.ndarray, n_neighbors: int = 15) -> np.ndarray:
    """Map positions (N, 2) of codes that were not in the fit: a weighted mean of the positions of their nearest
    fitted codes, nearer ones weighing more (umap-learn's `transform` starts from such a mean, then refines it)."""
    from sklearn.neighbors import NearestNeighbors  # imported here: only maps of a subsample need it

    k = min(n_neighbors, len(fit_codes))
    dist, idx = NearestNeighbors(n_neighbors=k).fit(fit_codes).kneighbors(np.asarray(codes, np.float32))
    excess = dist - dist[:, :1]                           # umap's rho: the nearest neighbour counts fully
    weights = np.exp(-excess / (excess.mean(1, keepdims=True) + 1e-12))
    weights /= weights.sum(1, keepdims=True)
    return np.einsum("nk,nkd->nd", weights, embedding[idx]).astype(np.float32)


def warm_up_umap(background: bool = True) -> threading.Thread | None:
    """Compile umap's numba kernels (parallel and seeded paths) on a tiny fit, so no page waits for them.

    Call once at server start; with background=True it returns the started daemon thread at once.
    """
    def fit_tiny():
        codes = np.random.default_rng(0).normal(size=(64, 4)).astype(np.float32)
        for seed in (None, 0):
            umap_embed(codes, seed=seed, n_epochs=2, progress=lambda fraction: None)

    if not background:
        fit_tiny()
        return None
    thread = threading.Thread(target=fit_tiny, name="umap-warm-up", daemon=True)
    thread.start()
    return thread
