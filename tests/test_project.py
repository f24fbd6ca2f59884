"""aecore.views.project (the 2-D views of codes) and aecore.pca (the one PCA of views and baselines)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from aecore.pca import PCA, fit_pca
from aecore.views.project import Projector, project


@pytest.fixture
def codes() -> np.ndarray:
    """(200, 5) codes with a clear variance order along the axes."""
    scale = np.array([5.0, 3.0, 1.0, 0.5, 0.1], np.float32)
    return np.random.default_rng(0).normal(size=(200, 5)).astype(np.float32) * scale + 2.0


@pytest.mark.parametrize("method", ["direct", "pca"])
def test_fit_transform_shapes(codes, method):
    x = codes[:, :2] if method == "direct" else codes
    p = Projector(method).fit(x)
    assert p.transform(x).shape == (200, 2) and p.transform(x[:7]).shape == (7, 2)
    assert p.transform(x).dtype == np.float32 and p.n_fit_ == 200 and p.n_features_in_ == x.shape[1]


def test_pca_transform_of_the_fit_data_equals_fit_transform(codes):
    p = Projector("pca", max_fit=50, seed=3)
    coords = p.fit_transform(codes)
    assert p.n_fit_ == 50 and len(p.fit_index_) == 50
    np.testing.assert_array_equal(coords, p.transform(codes))
    assert p.components_.shape == (2, 5) and p.mean_.shape == (5,)
    assert p.axis_labels_[0].startswith("PC1 (") and p.explained_variance_ratio_[0] > p.explained_variance_ratio_[1]


def test_pca_inverse_transform_round_trips_with_all_components(codes):
    pca = PCA(n_components=5).fit(codes)
    np.testing.assert_allclose(pca.inverse_transform(pca.transform(codes)), codes, atol=1e-4)
    assert pca.explained_variance_ratio_.sum() == pytest.approx(1.0)
    p = Projector("pca").fit(codes[:, :2])          # a 2-D code: the view keeps every component
    np.testing.assert_allclose(p.inverse_transform(p.transform(codes[:, :2])), codes[:, :2], atol=1e-4)


def test_pca_view_inverse_lands_on_the_fitted_plane(codes):
    p = Projector("pca").fit(codes)
    plane = p.inverse_transform(p.transform(codes))
    assert plane.shape == codes.shape
    np.testing.assert_allclose(p.transform(plane), p.transform(codes), atol=1e-4)


def test_direct_requires_at_most_two_dimensions(codes):
    with pytest.raises(ValueError, match="1 or 2 numbers"):
        Projector("direct").fit(codes)
    one = Projector("pca").fit(codes[:, :1])        # 1-D codes have no plane to find: drawn directly
    assert one.method_ == "direct" and one.axis_labels_ == ("z1", "")
    np.testing.assert_array_equal(one.transform(codes[:, :1])[:, 1], 0.0)
    np.testing.assert_array_equal(one.inverse_transform(one.transform(codes[:, :1])), codes[:, :1])


def test_bad_input_is_refused(codes):
    with pytest.raises(ValueError, match="unknown projection"):
        Projector("tsne").fit(codes)
    with pytest.raises(ValueError, match="non-empty"):
        Projector("pca").fit(np.zeros((0, 3)))
    with pytest.raises(ValueError, match="fitted on codes of 5"):
        Projector("pca").fit(codes).transform(codes[:, :3])


def test_project_is_the_projector_in_one_call(codes):
    proj = project(codes, "pca", max_fit=80, seed=1)
    np.testing.assert_array_equal(proj.coords, Projector("pca", max_fit=80, seed=1).fit_transform(codes))
    assert proj.method == "pca" and proj.n_fit == 80 and proj.subsampled


def test_pca_keeps_the_kind_of_array_it_is_given():
    x = torch.rand(50, 1, 4, 4, generator=torch.Generator().manual_seed(0))
    pca = fit_pca(x, 3)
    assert isinstance(pca.transform(x), torch.Tensor) and pca.reconstruct(x).shape == x.shape
    z = pca.transform(x.numpy())
    assert isinstance(z, np.ndarray) and z.dtype == np.float32
    np.testing.assert_array_equal(z, pca.transform(x).numpy())
    assert pca.n_components_ == 3 and fit_pca(x[:2], 10).n_components_ == 2   # at most N components


@pytest.mark.slow   # UMAP's first call compiles numba code: tens of seconds
def test_umap_keeps_the_embedding_of_the_points_it_was_fit_on(codes):
    p = Projector("umap", max_fit=150, seed=0)
    coords = p.fit_transform(codes)
    assert coords.shape == (200, 2) and p.embedding_.shape == (150, 2)
    np.testing.assert_array_equal(coords[p.fit_index_], p.embedding_.astype(np.float32))
    with pytest.raises(NotImplementedError):
        p.inverse_transform(coords[:1])


def test_a_view_says_how_to_decode_a_spot(codes):
    pca = project(codes, "pca")
    mean, components = pca.inverse
    spot = pca.coords[:3]
    on_plane = Projector("pca").fit(codes).inverse_transform(spot)
    np.testing.assert_allclose(mean + spot @ components, on_plane, atol=1e-4)
    mean2, comp2 = project(codes[:, :2], "direct").inverse
    assert np.array_equal(mean2, [0, 0]) and np.array_equal(comp2, np.eye(2))
    assert project(codes[:, :1], "direct").inverse[1].tolist() == [[1.0], [0.0]]
