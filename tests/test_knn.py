"""Neighbours for UMAP: exact ones equal scikit-learn's exact NearestNeighbors; approximate ones stay close."""
import numpy as np
import pytest
from sklearn.neighbors import NearestNeighbors

from aecore.views.knn import QUERY_CHUNKS, neighbours, principal_axes


def sklearn_knn(x, k):
    dist, idx = NearestNeighbors(n_neighbors=k).fit(x).kneighbors(x)
    return idx, dist


@pytest.mark.parametrize("dim", [1, 3, 16, 30])
def test_exact_neighbours_equal_sklearn(dim):
    x = np.random.default_rng(dim).normal(size=(300, dim)).astype(np.float32)
    idx, dist = neighbours(x, 10)
    want_idx, want_dist = sklearn_knn(x, 10)
    assert idx.dtype == np.int64 and dist.dtype == np.float32 and idx.shape == (300, 10)
    np.testing.assert_array_equal(idx, want_idx)
    np.testing.assert_allclose(dist, want_dist, atol=1e-5)


def test_approximate_neighbours_keep_their_bound():
    x = np.random.default_rng(0).normal(size=(2000, 8)).astype(np.float32)
    idx, dist = neighbours(x, 15, eps=0.5)
    want_idx, want_dist = sklearn_knn(x, 15)
    recall = np.mean([len(set(a) & set(b)) / 15 for a, b in zip(idx, want_idx)])
    assert recall > 0.9 and (dist <= 1.5 * want_dist + 1e-5).all()


def test_each_point_is_its_own_first_neighbour_even_with_duplicates():
    x = np.repeat(np.random.default_rng(2).normal(size=(20, 3)).astype(np.float32), 4, axis=0)
    idx, dist = neighbours(x, 6)
    np.testing.assert_array_equal(idx[:, 0], np.arange(len(x)))
    assert (dist[:, :4] == 0).all()
    assert all(len(set(row)) == 6 for row in idx)


def test_principal_axes_keep_distances():
    x = np.random.default_rng(3).normal(size=(5, 7)) * [5, 1, 1, 1, 1, 1, 0.1]
    r = principal_axes(x)
    np.testing.assert_allclose(np.linalg.norm(r[:, None] - r[None], axis=2),
                               np.linalg.norm(x[:, None] - x[None], axis=2), atol=1e-9)


def test_rejects_k_larger_than_n():
    with pytest.raises(ValueError):
        neighbours(np.zeros((3, 2), np.float32), 4)


def test_progress_moves_with_the_queries():
    """The neighbour search reports as its queries go (a UMAP's bar moves before the layout starts), and
    querying in runs finds the same neighbours as one query of all."""
    x = np.random.default_rng(1).normal(size=(2000, 5)).astype(np.float32)
    seen = []
    idx, dist = neighbours(x, 8, progress=seen.append)
    assert len(seen) == QUERY_CHUNKS and seen == sorted(seen) and seen[0] < 0.2 and seen[-1] == 1.0
    _, d_ref = sklearn_knn(x, 8)
    np.testing.assert_allclose(dist, d_ref, rtol=1e-4, atol=1e-5)
