"""aecore.apps.impute: masks, mean fill, iterated filling that never touches visible values."""
from __future__ import annotations

import pytest
import torch

from aecore.apps import impute
from helpers import make_images, trained_run


def test_random_mask_hides_about_the_fraction():
    mask = impute.make_mask((200, 1, 8, 8), "random", 0.3, seed=0)
    assert mask.dtype == torch.bool and mask.float().mean().item() == pytest.approx(0.3, abs=0.02)


def test_block_masks_have_exact_sizes():
    img = impute.make_mask((10, 2, 28, 28), "block", 0.25, seed=0)
    assert (img.flatten(1).sum(1) == 2 * 14 * 14).all()           # a 14 x 14 square on both channels
    assert torch.equal(img[:, 0], img[:, 1])
    seq = impute.make_mask((10, 140, 1), "block", 0.1, seed=0)
    assert (seq.flatten(1).sum(1) == 14).all()
    with pytest.raises(ValueError, match="between 0 and 1"):
        impute.make_mask((1, 4), "block", 1.0)


def test_error_counts_hidden_values_only():
    x = torch.zeros(2, 4)
    mask = torch.tensor([[True, False, False, False], [False, False, False, True]])
    filled = torch.tensor([[0.5, 9.0, 9.0, 9.0], [9.0, 9.0, 9.0, 0.1]])   # visible values wildly wrong: ignored
    assert impute.hidden_mse(x, filled, mask) == pytest.approx((0.25 + 0.01) / 2)


def test_mean_fill_changes_only_hidden_values():
    x = torch.rand(5, 1, 4, 4)
    mask = impute.make_mask(x.shape, "random", 0.5, seed=1)
    mean = torch.full((1, 4, 4), 0.5)
    out = impute.mean_fill(x, mask, mean)
    assert torch.equal(out[~mask], x[~mask]) and (out[mask] == 0.5).all()


@pytest.mark.slow
def test_iterations_keep_visible_values_and_beat_the_mean_on_learnt_structure():
    run, data = trained_run("vanilla", latent_dim=4, epochs=8)
    x = data.x_test
    mask = impute.make_mask(x.shape, "random", 0.3, seed=0)
    filled = impute.impute(run.model, x, mask, data.x_train.mean(0), iterations=3)
    assert len(filled) == 4
    for f in filled:
        assert torch.equal(f[~mask], x[~mask])
    rows = impute.error_curve(x, filled, mask)
    assert rows[0]["hidden_mse"] == pytest.approx(impute.hidden_mse(x, impute.mean_fill(x, mask, data.x_train.mean(0)), mask))
    assert rows[-1]["hidden_mse"] < rows[0]["hidden_mse"]
