"""2-D views of latent codes: the codes themselves, PCA, or UMAP, fit on a bounded subsample.

Fitting on at most `max_fit` points keeps UMAP to seconds on a laptop; the rest are placed with the
fitted map (`transform`), so every point is drawn and the caller can say how many the fit saw.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..pca import PCA
from . import umapx

METHODS = ("direct", "pca", "umap")


@dataclass(frozen=True)
class Projection:
    coords: np.ndarray           # (N, 2) float32
    method: str
    n_fit: int                   # how many points the map was fit on (== N when not subsampled)
    axis_labels: tuple[str, str]
    # the code at a spot (x, y) of the view is mean + x * components[0] + y * components[1]; None for UMAP
    inverse: tuple[np.ndarray, np.ndarray] | None = None   # (mean (k,), components (2, k))

    @property
    def subsampled(self) -> bool:
        return self.n_fit < len(self.coords)


class Projector:
    """Maps (N, k) codes to 2-D, in scikit-learn's style: `Projector("pca").fit(codes).transform(codes)`.

    Parameters
    ----------
    method : "direct" draws the code itself (codes of 1 or 2 numbers), "pca" the top two principal
        components, "umap" a nonlinear neighbour-preserving map (slower; fit on a subsample).
    max_fit : UMAP and PCA are fit on at most this many points, chosen at random with `seed`.
    seed : picks the subsample, and seeds UMAP.
    n_neighbors : UMAP: larger values keep more global structure, smaller more local detail.
    min_dist : UMAP: how tightly points may pack in the embedding.
    progress : UMAP: called with the fraction done (0..1) while it fits (see `aecore.views.umapx.umap_embed`).

    Attributes (set by `fit`)
    -------------------------
    method_ : the method used: "direct" for 1-D codes whatever was asked (there is no plane to find).
    n_features_in_ : k, the numbers per code.
    fit_index_ : rows of the fitted codes the map saw; n_fit_ : how many.
    axis_labels_ : (x, y) axis titles, e.g. "PC1 (62% of variance)".
    pca_, mean_ (k,), components_ (2, k), explained_variance_ratio_ : method "pca".
    embedding_ (n_fit_, 2), fit_codes_ (n_fit_, k) : method "umap" (`aecore.views.umapx`; other codes are placed
        among the fitted ones by `umapx.place`).
    """

    def __init__(self, method: str = "pca", max_fit: int = 5000, seed: int | None = 0, n_neighbors: int = 15,
                 min_dist: float = 0.1, progress=None):
        self.method = method
        self.progress = progress
        self.max_fit = max_fit
        self.seed = seed
        self.n_neighbors = n_neighbors
        self.min_dist = min_dist

    def fit(self, codes: np.ndarray) -> Projector:
        """Fit the map on (a subsample of) codes (N, k)."""
        if self.method not in METHODS:
            raise ValueError(f"unknown projection {self.method!r}; choose one of {', '.join(METHODS)}")
        codes = _checked(codes)
        n, k = codes.shape
        self.n_features_in_ = k
        self.method_ = "direct" if k == 1 else self.method
        if self.method_ == "direct":
            if k > 2:
                raise ValueError(f"a direct view draws the code itself, so it needs 1 or 2 numbers per code, "
                                 f"got {k}: use pca or umap")
            self.fit_index_, self.n_fit_ = np.arange(n), n
            self.axis_labels_ = ("z1", "z2" if k == 2 else "")
            return self
        self.fit_index_ = np.random.default_rng(self.seed).choice(n, size=min(n, self.max_fit), replace=False)
        self.n_fit_ = len(self.fit_index_)
        if self.method_ == "pca":
            self._fit_pca(codes[self.fit_index_])
        else:
            self._fit_umap(codes[self.fit_index_])
        return self

    def _fit_pca(self, codes: np.ndarray) -> None:
        self.pca_ = PCA(2).fit(codes)
        self.mean_, self.components_ = self.pca_.mean_.numpy(), self.pca_.components_.numpy()
        self.explained_variance_ratio_ = var = self.pca_.explained_variance_ratio_
        self.axis_labels_ = (f"PC1 ({var[0]:.0%} of variance)", f"PC2 ({var[1]:.0%} of variance)")

    def _fit_umap(self, codes: np.ndarray) -> None:
        self.fit_codes_ = codes
        self.embedding_ = umapx.umap_embed(codes, seed=self.seed, n_neighbors=self.n_neighbors,
                                           min_dist=self.min_dist, progress=self.progress)
        self.axis_labels_ = ("UMAP 1", "UMAP 2")

    def transform(self, codes: np.ndarray) -> np.ndarray:
        """2-D coordinates (N, 2) float32 of codes (N, k) under the fitted map."""
        codes = _checked(codes)
        if codes.shape[1] != self.n_features_in_:
            raise ValueError(f"fitted on codes of {self.n_features_in_} numbers, got {codes.shape[1]}")
        if self.method_ == "pca":
            return self.pca_.transform(codes)
        if self.method_ == "umap":
            return umapx.place(codes, self.fit_codes_, self.embedding_, self.n_neighbors)
        if self.n_features_in_ == 2:
            return codes
        return np.column_stack([codes[:, 0], np.zeros(len(codes), np.float32)])

    def fit_transform(self, codes: np.ndarray) -> np.ndarray:
        """`fit(codes)`, then their coordinates; UMAP keeps the embedding of the points it was fit on."""
        self.fit(codes)
        if self.method_ != "umap":
            return self.transform(codes)
        n = len(codes)
        coords = np.empty((n, 2), np.float32)
        coords[self.fit_index_] = self.embedding_
        rest = np.setdiff1d(np.arange(n), self.fit_index_)
        if len(rest):
            coords[rest] = self.transform(np.asarray(codes)[rest])
        return coords

    def inverse_(self) -> tuple[np.ndarray, np.ndarray] | None:
        """(mean (k,), components (2, k)) that map a spot of the view back to a code; None for UMAP."""
        if self.method_ == "pca":
            return self.mean_, self.components_
        if self.method_ == "direct":
            return np.zeros(self.n_features_in_, np.float32), np.eye(2, self.n_features_in_, dtype=np.float32)
        return None

    def inverse_transform(self, coords: np.ndarray) -> np.ndarray:
        """Codes (N, k) at 2-D coordinates (N, 2): exact for a direct view; for PCA the point of the fitted
        plane (the codes' mean plus the two components), so a view can decode the spot under the mouse."""
        coords = np.asarray(coords, np.float32).reshape(-1, 2)
        if self.method_ == "pca":
            return self.pca_.inverse_transform(coords)
        if self.method_ == "umap":
            raise NotImplementedError("UMAP has no exact inverse; decode from a PCA or direct view")
        return np.ascontiguousarray(coords[:, :self.n_features_in_])


def project(codes: np.ndarray, method: str = "pca", max_fit: int = 5000, seed: int | None = 0,
            n_neighbors: int = 15, min_dist: float = 0.1, progress=None) -> Projection:
    """Map (N, k) codes to 2-D in one call: a fitted `Projector`'s coordinates, method, axis labels and inverse."""
    projector = Projector(method, max_fit=max_fit, seed=seed, n_neighbors=n_neighbors, min_dist=min_dist,
                          progress=progress)
    coords = projector.fit_transform(codes)
    return Projection(coords, projector.method_, projector.n_fit_, projector.axis_labels_, projector.inverse_())


def _checked(codes: np.ndarray) -> np.ndarray:
    codes = np.asarray(codes, dtype=np.float32)
    if codes.ndim != 2 or len(codes) == 0:
        raise ValueError(f"codes must be a non-empty (N, k) array, got shape {codes.shape}")
    return codes
