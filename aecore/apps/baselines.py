"""Classical baselines every application is measured against: PCA, a 3x3 median filter, Isolation Forest.

They are shown honestly beside the autoencoder, including when they win: PCA is what a linear
autoencoder learns (Baldi & Hornik 1989), so beating it is the first thing a nonlinear model must do.
PCA itself lives in `aecore.pca` (the latent page's PCA view uses the same class); it is imported here so
the applications find every baseline in one place.
"""
from __future__ import annotations

import numpy as np
import torch.nn.functional as F
from torch import Tensor

from ..pca import PCA, fit_pca

__all__ = ["PCA", "fit_pca", "isolation_forest_scores", "median_filter"]


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
    from sklearn.ensemble import IsolationForest  # imported here: sklearn takes a second to import

    forest = IsolationForest(random_state=seed).fit(x_fit.flatten(1).numpy())
    return -forest.score_samples(x.flatten(1).numpy())
