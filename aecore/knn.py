"""Exact k-nearest neighbours of every point, in the (indices, distances) form umap-learn's `precomputed_knn` takes.

UMAP's own search is NN-descent (approximate, and 35+ s of numba compilation in a fresh process). Exact search is
cheaper here: for latent codes of up to KD_TREE_MAX_DIM dimensions a k-d tree prunes most pairs (70,000 16-d MNIST
codes: ~2 CPU-s, against ~30 CPU-s for blocked brute force, which is memory-bound on the 70,000^2 distance matrix);
wider codes, where trees stop pruning, use blocked torch matmuls.
"""
from __future__ import annotations

import numpy as np
import torch

KD_TREE_MAX_DIM = 24     # k-d trees beat brute force up to roughly this many dimensions on clustered codes
BLOCK_VALUES = 2 ** 24   # distances held at once by brute force: 64 MB of float32
GROUP = 64               # brute force: columns per group when shortlisting candidates


def exact_knn(x: np.ndarray, k: int, workers: int = -1) -> tuple[np.ndarray, np.ndarray]:
    """Indices (N, k) int64 and Euclidean distances (N, k) float32 of each row's k nearest rows, itself first."""
    x = np.ascontiguousarray(x, dtype=np.float32)
    if x.ndim != 2 or not 1 <= k <= len(x):
        raise ValueError(f"need an (N, d) array with 1 <= k <= N, got shape {x.shape} and k={k}")
    if x.shape[1] <= KD_TREE_MAX_DIM:
        idx = kd_tree_knn(x, k, workers)
    else:
        idx = brute_force_knn(torch.from_numpy(x), k).numpy()
    idx = _self_first(idx)
    dist = np.linalg.norm(x[idx] - x[:, None, :], axis=2)   # recomputed directly: exact, and 0 for itself
    return idx.astype(np.int64), dist.astype(np.float32)


def kd_tree_knn(x: np.ndarray, k: int, workers: int = -1) -> np.ndarray:
    """Indices (N, k) of the exact k nearest rows by a k-d tree, queried in the tree's own order (neighbouring
    queries touch the same nodes: half the CPU time of querying in the data's order on 70,000 MNIST codes)."""
    from scipy.spatial import cKDTree   # imported here: most views never need it
    tree = cKDTree(x)
    order = tree.indices                                   # a permutation of the rows, leaf by leaf
    _, found = tree.query(x[order], k=k, workers=workers)
    idx = np.empty((len(x), k), np.int64)
    idx[order] = found.reshape(len(x), k)
    return idx


def _self_first(idx: np.ndarray) -> np.ndarray:
    """Put each row's own index first (duplicates of a point may otherwise come before it), as UMAP expects."""
    rows = np.arange(len(idx))
    has_self = (idx == rows[:, None]).any(1)
    order = np.argsort(idx != rows[:, None], axis=1, kind="stable")   # itself to the front, the rest in order
    idx = np.take_along_axis(idx, order, 1)
    idx[~has_self, 1:] = idx[~has_self, :-1]
    idx[:, 0] = rows
    return idx


@torch.no_grad()
def brute_force_knn(x: torch.Tensor, k: int) -> torch.Tensor:
    """Indices (N, k) of the exact k nearest rows by blocked ||b||^2 - 2ab matmuls.

    Each row's columns are cut into groups of GROUP; the k groups with the smallest minimum hold its k nearest
    (any other column is at least as far as the k-th of those minima), so only k * GROUP candidates are ranked.
    """
    x = x - x.mean(0)                                     # smaller norms: less float32 cancellation
    n, d = x.shape
    groups = -(-n // GROUP)
    pad = groups * GROUP - n
    cols = torch.cat([x, x.new_zeros(pad, d)])
    sq = torch.cat([(x * x).sum(1), x.new_full((pad,), float("inf"))])   # padding is never a neighbour
    rows = max(1, BLOCK_VALUES // len(cols))
    k_groups = min(k, groups)
    offsets = torch.arange(GROUP)
    out = []
    for start in range(0, n, rows):
        block = x[start:start + rows]
        b = len(block)
        score = torch.addmm(sq, block, cols.T, alpha=-2)   # (b, n + pad): squared distance minus ||a||^2
        score[torch.arange(b), torch.arange(start, start + b)] = -float("inf")   # itself first
        best_groups = score.view(b, groups, GROUP).amin(2).topk(k_groups, dim=1, largest=False).indices
        candidates = (best_groups[:, :, None] * GROUP + offsets).view(b, -1)   # (b, k_groups * GROUP)
        top = score.gather(1, candidates).topk(k, dim=1, largest=False).indices
        out.append(candidates.gather(1, top))
    return torch.cat(out)
