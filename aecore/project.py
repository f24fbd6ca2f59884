"""2-D views of latent codes: the codes themselves, PCA, or UMAP, fit on a bounded subsample.

Fitting on at most `max_fit` points keeps UMAP to seconds on a laptop; the rest are placed with the
fitted map (`transform`), so every point is drawn and the caller can say how many the fit saw.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

METHODS = ("direct", "pca", "umap")


@dataclass(frozen=True)
class Projection:
    coords: np.ndarray           # (N, 2) float32
    method: str
    n_fit: int                   # how many points the map was fit on (== N when not subsampled)
    axis_labels: tuple[str, str]

    @property
    def subsampled(self) -> bool:
        return self.n_fit < len(self.coords)


def project(codes: np.ndarray, method: str = "pca", max_fit: int = 5000, seed: int = 0,
            n_neighbors: int = 15, min_dist: float = 0.1) -> Projection:
    """Map (N, k) codes to 2-D.

    Parameters
    ----------
    method : "direct" uses the first two code dimensions (exact for a 2-D code), "pca" the top two
        principal components, "umap" a nonlinear neighbour-preserving map (slower; fit on a subsample).
    max_fit : UMAP and PCA are fit on at most this many points, chosen at random with `seed`.
    n_neighbors : UMAP: larger values keep more global structure, smaller more local detail.
    min_dist : UMAP: how tightly points may pack in the embedding.
    """
    codes = np.asarray(codes, dtype=np.float32)
    if codes.ndim != 2 or len(codes) == 0:
        raise ValueError(f"codes must be a non-empty (N, k) array, got shape {codes.shape}")
    n, k = codes.shape
    if method == "direct" or k == 1:
        coords = codes[:, :2] if k >= 2 else np.column_stack([codes[:, 0], np.zeros(n, np.float32)])
        return Projection(coords, "direct", n, ("z1", "z2" if k >= 2 else ""))
    fit_idx = np.random.default_rng(seed).choice(n, size=min(n, max_fit), replace=False)
    if method == "pca":
        mean = codes[fit_idx].mean(0)
        _, s, vt = np.linalg.svd(codes[fit_idx] - mean, full_matrices=False)
        var = s ** 2 / max(s @ s, 1e-12)
        coords = (codes - mean) @ vt[:2].T
        return Projection(coords.astype(np.float32), "pca", len(fit_idx),
                          (f"PC1 ({var[0]:.0%} of variance)", f"PC2 ({var[1]:.0%} of variance)"))
    if method == "umap":
        import umap   # imported here: it pulls in numba and takes seconds, and most views never need it
        reducer = umap.UMAP(n_components=2, n_neighbors=min(n_neighbors, len(fit_idx) - 1), min_dist=min_dist,
                            random_state=seed)
        fitted = reducer.fit_transform(codes[fit_idx])
        coords = np.empty((n, 2), np.float32)
        coords[fit_idx] = fitted
        rest = np.setdiff1d(np.arange(n), fit_idx)
        if len(rest):
            coords[rest] = reducer.transform(codes[rest])
        return Projection(coords, "umap", len(fit_idx), ("UMAP 1", "UMAP 2"))
    raise ValueError(f"unknown projection {method!r}; choose one of {', '.join(METHODS)}")
