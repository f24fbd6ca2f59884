"""aecore.views.explore on tiny trained runs: traversals, interpolations, manifold grids, active dimensions."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from aecore.views import explore
from aecore import infer, plots
from aecore.infer import kl_per_dimension, reconstruct
from helpers import trained_run


@pytest.fixture(scope="module")
def vae():
    return trained_run("vae", latent_dim=4)


@pytest.fixture(scope="module")
def cvae():
    return trained_run("cvae", latent_dim=2)


def test_traversal_grid_shape(vae):
    run, data = vae
    grid = explore.traversal_grid(run.model, dims=[0, 2, 3], steps=5)
    assert grid.shape == (15, *data.shape)


def test_traversal_moving_a_dimension_changes_the_output(vae):
    run, data = vae
    dim = explore.rank_dims(kl_per_dimension(run.model, data.x_test), 4)[0]   # the most used one
    grid = explore.traversal_grid(run.model, dims=[dim], steps=5)
    assert (grid[0] - grid[-1]).abs().max() > 1e-3
    assert not torch.equal(grid[0], grid[2])


def test_traversal_codes_sweep_one_dimension_each():
    ranges = np.tile([-3.0, 3.0], (3, 1)).astype(np.float32)
    codes = explore.traversal_codes(np.zeros(3, np.float32), [2, 0], ranges, steps=3)
    np.testing.assert_allclose(codes[:3], [[0, 0, -3], [0, 0, 0], [0, 0, 3]])
    np.testing.assert_allclose(codes[3:], [[-3, 0, 0], [0, 0, 0], [3, 0, 0]])


def test_interpolation_endpoints_are_the_reconstructions(vae):
    run, data = vae
    pair = data.x_test[[0, 5]]
    path = explore.interpolation(run.model, pair, steps=6)
    assert path.shape == (6, *data.shape)
    recon = reconstruct(run.model, pair)
    torch.testing.assert_close(path[0], recon[0], atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(path[-1], recon[1], atol=1e-5, rtol=1e-4)


def test_interpolation_of_a_conditional_vae_uses_labels(cvae):
    run, data = cvae
    idx = [i for i in range(len(data.y_test)) if data.y_test[i] == data.y_test[0]][:2]
    pair, labels = data.x_test[idx], data.y_test[idx]
    path = explore.interpolation(run.model, pair, labels, steps=4, label=int(labels[0]))
    torch.testing.assert_close(path[-1], reconstruct(run.model, pair, labels)[1], atol=1e-5, rtol=1e-4)


def test_manifold_grid_shape_and_orientation(vae):
    run, data = vae
    grid = explore.manifold_grid(run.model, dims=(1, 3), n=4)
    assert grid.shape == (16, *data.shape)
    codes = explore.manifold_codes(run.model, (1, 3), n=4)
    assert codes[0, 3] > codes[-1, 3]            # top row is the highest value of the second dimension
    assert codes[0, 1] < codes[3, 1]             # left to right increases the first
    assert np.all(codes[:, [0, 2]] == 0)


def test_manifold_uses_gaussian_quantiles_for_a_vae(vae):
    run, _ = vae
    xs = explore.manifold_codes(run.model, (0, 1), n=3)[:3, 0]
    np.testing.assert_allclose(xs, [-1.6449, 0.0, 1.6449], atol=1e-3)   # Phi^-1(0.05), Phi^-1(0.5), Phi^-1(0.95)


def test_manifold_rejects_a_repeated_dimension(vae):
    with pytest.raises(ValueError, match="two different"):
        explore.manifold_codes(vae[0].model, (1, 1))


def test_active_dims_follow_kl_per_dimension(vae):
    run, data = vae
    kl = kl_per_dimension(run.model, data.x_test)
    enc = explore.encode_split(run.model, data.x_test)
    np.testing.assert_allclose(enc.kl, kl.numpy(), rtol=1e-5)
    ranked = explore.rank_dims(enc.kl, 4, top=3)
    assert ranked == torch.argsort(kl, descending=True)[:3].tolist()
    assert explore.active_count(enc.kl, threshold=-1.0) == 4


def test_subsample_is_fixed_sorted_and_capped():
    assert explore.subsample(5, 10).tolist() == [0, 1, 2, 3, 4]
    idx = explore.subsample(10_000, 2000)
    assert len(idx) == 2000 and len(set(idx.tolist())) == 2000 and np.all(np.diff(idx) > 0)
    assert np.array_equal(idx, explore.subsample(10_000, 2000))


def test_spread_keeps_order_and_covers_the_selection():
    assert explore.spread([5, 1, 3], 8) == [1, 3, 5]
    picked = explore.spread(list(range(100)), 10)
    assert picked == list(range(0, 100, 10))


def test_paired_rows_interleave_inputs_and_reconstructions():
    x, x_hat = torch.zeros(5, 1, 2, 2), torch.ones(5, 1, 2, 2)
    grid = explore.paired_rows(x, x_hat, ncols=2)   # 2 whole rows of inputs: x x / r r / x x / r r
    assert grid.shape[0] == 8
    assert grid[:, 0, 0, 0].tolist() == [0, 0, 1, 1, 0, 0, 1, 1]


def test_rank_dims_without_kl_is_index_order():
    assert explore.rank_dims(None, 12, top=8) == list(range(8))
    assert explore.rank_dims(None, 2, top=8) == [0, 1]


def test_slider_ranges(vae):
    run, data = vae
    np.testing.assert_allclose(explore.slider_ranges(run.model), np.tile([-3, 3], (4, 1)))
    ae, ae_data = trained_run("vanilla", latent_dim=3, epochs=1)
    codes = explore.encode_split(ae.model, ae_data.x_test).codes
    ranges = explore.slider_ranges(ae.model, codes)
    assert ranges.shape == (3, 2)
    assert np.all(ranges[:, 0] < codes.mean(0)) and np.all(ranges[:, 1] > codes.mean(0))


def test_covering_ranges_reach_every_code(vae):
    run, _ = vae
    codes = np.array([[-7.2, 0.0, 0.1, 0.2], [1.0, 4.1, 0.0, 0.0]], np.float32)
    ranges = explore.covering_ranges(run.model, codes)
    assert np.all(ranges[:, 0] <= codes.min(0)) and np.all(ranges[:, 1] >= codes.max(0))
    np.testing.assert_allclose(ranges[2], [-3, 3])   # never narrower than the prior's +-3
    assert ranges[0, 0] == -8.0 and ranges[1, 1] == 5.0


def test_decode_single_and_conditional(vae, cvae):
    run, data = vae
    assert infer.decode(run.model, np.zeros(4)).shape == (1, *data.shape)
    crun, _ = cvae
    a = infer.decode(crun.model, np.zeros(2), label=0)
    b = infer.decode(crun.model, np.zeros(2), label=1)
    assert not torch.equal(a, b)
    with pytest.raises(ValueError, match="class"):
        infer.decode(crun.model, np.zeros(2))


def test_random_code_is_seeded_and_clipped(vae):
    a = explore.random_code(vae[0].model, [0, 3], seed=1)
    assert a == explore.random_code(vae[0].model, [0, 3], seed=1)
    assert set(a) == {0, 3} and all(-3 <= v <= 3 for v in a.values())


def test_encode_split_of_a_deterministic_model_has_no_kl():
    run, data = trained_run("vanilla", latent_dim=2, epochs=1)
    enc = explore.encode_split(run.model, data.x_test)
    assert enc.codes.shape == (len(data.x_test), 2) and enc.kl is None


def test_scatter_has_one_point_per_sample_with_its_index():
    coords = np.random.default_rng(0).normal(size=(30, 2))
    labels = np.arange(30) % 3
    fig = plots.latent_scatter(coords, labels, ("a", "b", "c"), np.arange(100, 130), ("z1", "z2"))
    assert all(t.type == "scattergl" for t in fig.data)
    assert sum(len(t.x) for t in fig.data) == 30
    assert sorted(int(i) for t in fig.data for i in t.customdata) == list(range(100, 130))


def test_kl_bar_and_line_groups_build():
    assert len(plots.kl_bar(np.array([0.0, 2.0]), 0.1).data[0].y) == 2
    fig = plots.line_groups([np.zeros((3, 10, 1)), np.zeros((2, 10, 1))], ["a", "b"])
    assert len(fig.data) == 5
