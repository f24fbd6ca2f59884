"""aecore.apps.compress: exact byte sizes, quantisation error bounds, the JPEG mosaic, the bottleneck sweep."""
from __future__ import annotations

import pytest
import torch

from aecore.apps import compress
from aecore.apps.baselines import fit_pca
from helpers import make_images, trained_run


def test_code_bytes_are_exact():
    assert [compress.code_bytes(16, f) for f in compress.FORMATS] == [64, 32, 16]
    assert compress.table_bytes(16, "8-bit") == 128 and compress.table_bytes(16, "float16") == 0
    with pytest.raises(ValueError, match="format must be one of"):
        compress.code_bytes(16, "int4")


def test_quantisation_errors_are_within_their_step():
    z = torch.randn(500, 8, generator=torch.Generator().manual_seed(0)) * 3
    assert torch.equal(compress.quantise(z, "float32"), z)
    assert ((compress.quantise(z, "float16") - z).abs() <= z.abs() * 2 ** -11 + 1e-7).all()
    step = (z.max(0).values - z.min(0).values) / 255
    err = (compress.quantise(z, "8-bit") - z).abs()
    assert (err <= step / 2 + 1e-5).all()
    assert len(torch.unique(compress.quantise(z, "8-bit")[:, 0])) <= 256


def test_eight_bit_calibration_clips_values_outside_its_range():
    calib = torch.tensor([[0.0], [1.0]])
    assert compress.quantise(torch.tensor([[2.0], [-1.0], [0.4]]), "8-bit", calib).flatten().tolist() == \
        pytest.approx([1.0, 0.0, 102 / 255])


def test_mosaic_round_trip_is_exact_to_a_grey_level():
    x = torch.rand(7, 1, 28, 28)
    mosaic, layout = compress._mosaic(x)
    assert mosaic.shape == (3 * 32, 3 * 32)                # padded to 32 x 32 tiles, 3 x 3 grid
    assert (compress._unmosaic(mosaic, layout) - x).abs().max() <= 0.5 / 255 + 1e-6
    rgb = torch.rand(2, 3, 10, 12)
    mosaic, layout = compress._mosaic(rgb)
    assert (compress._unmosaic(mosaic, layout) - rgb).abs().max() <= 0.5 / 255 + 1e-6


def test_jpeg_gets_bigger_and_better_with_quality():
    x = make_images(60).x_train
    rows = compress.jpeg_rows(x, (10, 50, 90))
    sizes, psnrs = [r["bytes"] for r in rows], [r["psnr"] for r in rows]
    assert sizes == sorted(sizes) and psnrs == sorted(psnrs)
    assert compress.nearest_jpeg(rows, sizes[1] + 0.1)["quality"] == 50


def test_code_rows_lose_quality_only_when_quantised():
    run, data = trained_run("vanilla", latent_dim=4, epochs=1)
    rows = {r["format"]: r for r in compress.code_rows(run.model, data.x_test, data.value_range, data.x_train)}
    assert [rows[f]["bytes"] for f in compress.FORMATS] == [16, 8, 4]
    assert rows["float16"]["psnr"] == pytest.approx(rows["float32"]["psnr"], abs=0.01)
    assert rows["8-bit"]["psnr"] <= rows["float32"]["psnr"] + 0.01
    pca = {r["format"]: r for r in compress.pca_rows(fit_pca(data.x_train, 4), data.x_test, data.value_range)}
    assert pca["float32"]["bytes"] == 16


def test_sweep_rows_pca_error_falls_with_size():
    data = make_images()
    pcas = {k: fit_pca(data.x_train, k) for k in (1, 4, 16)}
    rows = compress.sweep_rows({}, pcas, data.x_test, data.value_range)
    mse = [r["mse"] for r in rows]
    assert [r["size"] for r in rows] == [1, 4, 16] and mse[0] > mse[1] > mse[2]
