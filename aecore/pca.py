"""Principal component analysis in torch: the linear baseline of every application, and the PCA view of codes.

One implementation for both: the applications measure autoencoders against it (a linear autoencoder learns
the PCA subspace; Baldi & Hornik 1989), and the latent page uses it to flatten codes of 3+ numbers to a plane.
"""
from __future__ import annotations

from typing import TypeVar

import numpy as np
import torch
from torch import Tensor

Array = TypeVar("Array", Tensor, np.ndarray)


class PCA:
    """The top principal components of flattened samples, in scikit-learn's style: `PCA(k).fit(x)`.

    Tensors in give tensors out; numpy arrays in give float32 numpy arrays out. Samples may have any shape
    (images (N, C, H, W), codes (N, k)); `inverse_transform` gives them back in it.

    Attributes (set by `fit`)
    -------------------------
    mean_ : (D,) float32 tensor, the mean sample, flattened.
    components_ : (n_components_, D) float32 tensor, orthonormal rows, largest variance first.
    explained_variance_ratio_ : (n_components_,) each component's share of the total variance.
    n_components_ : the number kept: n_components, at most D and N.
    shape_ : one sample's shape.
    """

    def __init__(self, n_components: int = 2):
        self.n_components = n_components

    def fit(self, x: Tensor | np.ndarray) -> PCA:
        """Fit on x (N, ...), from the eigenvectors of the scatter matrix in float64: exact enough for
        60,000 x 784, and faster there than an SVD of the data."""
        x = _tensor(x)
        flat = x.flatten(1).double()
        k = max(1, min(int(self.n_components), flat.shape[1], len(flat)))
        mean = flat.mean(0)
        centred = flat - mean
        values, vectors = torch.linalg.eigh(centred.T @ centred)   # ascending eigenvalues
        values = values.flip(0).clamp_min(0.0)                       # rounding can leave tiny negatives
        self.mean_ = mean.float()
        self.components_ = vectors[:, -k:].flip(1).T.float().contiguous()   # (k, D), largest variance first
        self.explained_variance_ratio_ = (values[:k] / values.sum().clamp_min(1e-12)).numpy()
        self.n_components_ = k
        self.shape_ = tuple(x.shape[1:])
        return self

    def transform(self, x: Array) -> Array:
        """Coordinates on the components: (N, n_components_)."""
        return _like((_tensor(x).flatten(1).float() - self.mean_) @ self.components_.T, x)

    def fit_transform(self, x: Array) -> Array:
        """`fit(x)`, then `transform(x)`."""
        return self.fit(x).transform(x)

    def inverse_transform(self, z: Array) -> Array:
        """Samples (N, *shape_) at coordinates z (N, n_components_): the nearest points of the fitted subspace."""
        return _like((_tensor(z).float() @ self.components_ + self.mean_).view(-1, *self.shape_), z)

    def reconstruct(self, x: Array) -> Array:
        """x projected onto the components, in x's shape: what PCA keeps of each sample."""
        return self.inverse_transform(self.transform(x))


def fit_pca(x: Tensor | np.ndarray, k: int) -> PCA:
    """PCA with k components fit on x (the applications' shorthand for `PCA(k).fit(x)`)."""
    return PCA(k).fit(x)


def _tensor(x: Tensor | np.ndarray) -> Tensor:
    return x if isinstance(x, Tensor) else torch.from_numpy(np.ascontiguousarray(x))


def _like(result: Tensor, given: Tensor | np.ndarray) -> Tensor | np.ndarray:
    """`result` as the kind of thing the caller gave: a tensor, or a numpy array."""
    return result if isinstance(given, Tensor) else result.numpy()
