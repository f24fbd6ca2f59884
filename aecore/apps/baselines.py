"""Classical baselines every application is measured against: PCA, a 3x3 median filter, Isolation Forest.

They are shown honestly beside the autoencoder, including when they win: PCA is what a linear
autoencoder learns (Baldi & Hornik 1989), so beating it is the first thing a nonlinear model must do.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor


@dataclass(frozen=True)
class PCA:
    """Top principal components of flattened training samples; `reconstruct` is the projection onto them."""

    mean_: Tensor          # (D,)
    components_: Tensor    # (k, D), orthonormal rows
    shape: tuple[int, ...]  # one sample's shape, to give reconstructions back in it

    @property
    def k(self) -> int:
        return len(self.components_)

    def encode(self, x: Tensor) -> Tensor:
        """Coordinates on the components: (N, k)."""
        return (x.flatten(1).float() - self.mean_) @ self.components_.T

    def decode(self, z: Tensor) -> Tensor:
        return (z @ self.components_ + self.mean_).view(-1, *self.shape)

    def reconstruct(self, x: Tensor) -> Tensor:
        return self.decode(self.encode(x))


def fit_pca(x: Tensor, k: int) -> PCA:
    """PCA with k components, from the eigenvectors of the covariance (float64: exact enough for 60k x 784)."""
    flat = x.flatten(1).double()
    k = max(1, min(int(k), flat.shape[1], len(flat)))
    mean = flat.mean(0)
    centred = flat - mean
    _, vecs = torch.linalg.eigh(centred.T @ centred)   # ascending eigenvalues
    comps = vecs[:, -k:].flip(1).T                      # (k, D), largest variance first
    return PCA(mean.float(), comps.float().contiguous(), tuple(x.shape[1:]))


def median_filter(x: Tensor, size: int = 3) -> Tensor:
    """Per-channel median over each size x size window of images (N, C, H, W).

    Edges repeat the border pixel, as scipy.ndimage.median_filter does by default ("reflect" there means
    d c b a | a b c d); for MNIST this gives the issue author's 14.1 dB at gaussian sigma 0.5.
    """
    if x.dim() != 4:
        raise ValueError(f"the median filter needs images (N, C, H, W), got shape {tuple(x.shape)}")
    r = size // 2
    padded = F.pad(x, (r, r, r, r), mode="replicate")
    windows = padded.unfold(2, size, 1).unfold(3, size, 1)  # (N, C, H, W, size, size)
    return windows.reshape(*x.shape, size * size).median(-1).values


def isolation_forest_scores(x_fit: Tensor, x: Tensor, seed: int = 0) -> np.ndarray:
    """Anomaly scores (higher = more anomalous) of x from scikit-learn's Isolation Forest fit on x_fit, defaults."""
    from sklearn.ensemble import IsolationForest   # imported here: sklearn takes a second to import

    forest = IsolationForest(random_state=seed).fit(x_fit.flatten(1).numpy())
    return -forest.score_samples(x.flatten(1).numpy())
