"""aecore.apps.denoise and the baselines it uses: PSNR convention, noise, median filter, PCA, the curve."""
from __future__ import annotations

import math

import pytest
import torch

from aecore import jobs
from aecore.apps import denoise
from aecore.apps.baselines import fit_pca, median_filter
from aecore.config import TrainConfig
from helpers import make_images


def test_psnr_pools_error_and_clips_to_range():
    x = torch.full((4, 1, 2, 2), 0.9)
    assert denoise.psnr(x, torch.full_like(x, 0.8)) == pytest.approx(20.0)      # MSE 0.01
    assert denoise.psnr(x, torch.full_like(x, 1.5)) == pytest.approx(20.0)      # 1.5 is clipped to 1.0 first
    half = x.clone()
    half[:2] = 0.8          # error 0.1 on half the samples: pooled MSE 0.005, not the mean of per-image PSNRs
    assert denoise.psnr(x, half) == pytest.approx(10 * math.log10(1 / 0.005))
    assert denoise.psnr(torch.zeros(2, 3), torch.full((2, 3), 1.0), (-1.0, 1.0)) == pytest.approx(10 * math.log10(4.0))


def test_add_noise_is_reproducible_and_in_range():
    x = make_images(32).x_train
    a, b = denoise.add_noise(x, "gaussian", 0.5, seed=1), denoise.add_noise(x, "gaussian", 0.5, seed=1)
    assert torch.equal(a, b)
    assert not torch.equal(a, denoise.add_noise(x, "gaussian", 0.5, seed=2))
    assert a.min() >= 0 and a.max() <= 1
    masked = denoise.add_noise(x, "masking", 0.3, seed=0)
    hit = (masked == 0) & (x != 0)
    assert hit.float().mean().item() == pytest.approx(0.3, abs=0.03)


def test_median_filter_matches_scipy_and_keeps_flat_images():
    ndimage = pytest.importorskip("scipy.ndimage")
    x = torch.rand(3, 2, 9, 7, generator=torch.Generator().manual_seed(0))
    ours = median_filter(x).numpy()
    theirs = ndimage.median_filter(x.numpy(), size=(1, 1, 3, 3))
    assert abs(ours - theirs).max() < 1e-7
    assert torch.equal(median_filter(torch.full((1, 1, 5, 5), 0.25)), torch.full((1, 1, 5, 5), 0.25))


def test_median_filter_removes_salt_and_pepper_better_than_nothing():
    coarse = torch.rand(16, 1, 4, 4, generator=torch.Generator().manual_seed(0))
    x = torch.nn.functional.interpolate(coarse, scale_factor=4)   # 4x4 flat blocks: what a median filter keeps
    noisy = denoise.add_noise(x, "salt-and-pepper", 0.1, seed=0)
    before, after = denoise.psnr(x, noisy), denoise.psnr(x, median_filter(noisy))
    assert after > before + 5.0, (before, after)


def test_pca_with_every_component_is_exact_and_orthonormal():
    x = make_images(120).x_train          # 96 samples of 64 values: every direction is identified
    pca = fit_pca(x, 64)
    assert torch.allclose(pca.components_ @ pca.components_.T, torch.eye(64), atol=1e-4)
    assert torch.allclose(pca.reconstruct(x), x, atol=1e-4)
    errs = [(fit_pca(x, k).reconstruct(x) - x).square().mean().item() for k in (1, 4, 16)]
    assert errs[0] > errs[1] > errs[2]


def test_denoiser_configs_differ_only_in_noise():
    cfgs = denoise.denoiser_configs("salt-and-pepper", 0.2, latent_dim=8)
    dae, plain = cfgs["denoising AE"], cfgs["plain AE"]
    assert (dae.noise, dae.noise_level, plain.noise) == ("salt-and-pepper", 0.2, "none")
    assert dae.latent_dim == plain.latent_dim == 8 and dae.hidden == plain.hidden
    with pytest.raises(ValueError, match="noise must be one of"):
        denoise.denoiser_configs("blur", 0.2)


def test_curve_has_every_method_at_every_level_and_noisy_input_is_the_floor():
    data = make_images(96)
    cfgs = denoise.denoiser_configs("gaussian", 0.3, latent_dim=8, hidden=(32,))
    runs = jobs.train_all([jobs.ModelSpec(n, data, c, TrainConfig(epochs=1, batch_size=32)) for n, c in cfgs.items()])
    fns = denoise.methods({n: r.model for n, r in runs.items()}, fit_pca(data.x_train, 8))
    assert list(fns) == ["noisy input", "median filter 3x3", "PCA-8", "denoising AE", "plain AE"]
    rows = denoise.psnr_curve(data.x_test, fns, "gaussian", [0.2, 0.5])
    assert len(rows) == 2 * 5
    noisy = {r["level"]: r["psnr"] for r in rows if r["method"] == "noisy input"}
    assert noisy[0.2] == pytest.approx(denoise.psnr(data.x_test, denoise.add_noise(data.x_test, "gaussian", 0.2)))
    assert noisy[0.2] > noisy[0.5]
