"""Exact neighbours: both search paths agree with scikit-learn's exact NearestNeighbors."""
import numpy as np
import pytest
import torch
from sklearn.neighbors import NearestNeighbors

from aecore import knn


def sklearn_knn(x, k):
    dist, idx = NearestNeighbors(n_neighbors=k).fit(x).kneighbors(x)
    return idx, dist


@pytest.mark.parametrize("dim", [3, 16, knn.KD_TREE_MAX_DIM + 6])   # k-d tree, k-d tree, brute force
def test_exact_knn_equals_sklearn(dim):
    x = np.random.default_rng(dim).normal(size=(300, dim)).astype(np.float32)
    idx, dist = knn.exact_knn(x, 10)
    want_idx, want_dist = sklearn_knn(x, 10)
    assert idx.dtype == np.int64 and dist.dtype == np.float32 and idx.shape == (300, 10)
    np.testing.assert_array_equal(idx, want_idx)
    np.testing.assert_allclose(dist, want_dist, atol=1e-5)


def test_brute_force_groups_shortlist_exactly(monkeypatch):
    """Many small groups and several row blocks: the shortlist must still hold every true neighbour."""
    monkeypatch.setattr(knn, "GROUP", 4)
    monkeypatch.setattr(knn, "BLOCK_VALUES", 1000)
    x = np.random.default_rng(1).normal(size=(203, 8)).astype(np.float32)
    got = knn.brute_force_knn(torch.from_numpy(x), 7).numpy()
    np.testing.assert_array_equal(got, sklearn_knn(x, 7)[0])


def test_each_point_is_its_own_first_neighbour_even_with_duplicates():
    x = np.repeat(np.random.default_rng(2).normal(size=(20, 3)).astype(np.float32), 4, axis=0)
    idx, dist = knn.exact_knn(x, 6)
    np.testing.assert_array_equal(idx[:, 0], np.arange(len(x)))
    assert (dist[:, :4] == 0).all()
    assert all(len(set(row)) == 6 for row in idx)


def test_rejects_k_larger_than_n():
    with pytest.raises(ValueError):
        knn.exact_knn(np.zeros((3, 2), np.float32), 4)
