"""Thumbnail atlas: tile i is sample i (grayscale, RGB; PNG and raw), sequences survive quantisation."""
import numpy as np
import pytest
import torch

from aecore.atlas import image_atlas, quantise, series_atlas


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("encoding", ["png", "raw"])
def test_tile_round_trip(channels, encoding):
    x = torch.rand(23, channels, 5, 7, generator=torch.Generator().manual_seed(channels))
    atlas = image_atlas(x, encoding=encoding)
    sheet = atlas.sheet()
    assert atlas.layout()["width"] == sheet.shape[1] == atlas.columns * 7 and atlas.rows * atlas.columns >= 23
    for i in range(23):
        np.testing.assert_array_equal(atlas.tile(i, sheet), quantise(x[i], 0, 1).transpose(1, 2, 0))


def test_value_range_and_columns():
    x = np.full((4, 1, 2, 2), -1.0, np.float32)
    x[2] = 1.0
    atlas = image_atlas(x, value_range=(-1.0, 1.0), columns=4)
    assert atlas.rows == 1 and atlas.tile(2).min() == 255 and atlas.tile(1).max() == 0


def test_rejects_two_channel_images():
    with pytest.raises(ValueError):
        image_atlas(np.zeros((2, 2, 4, 4)))


@pytest.mark.parametrize("dtype,tolerance", [("uint8", 1 / 255), ("float16", 1e-3)])
def test_series_round_trip(dtype, tolerance):
    x = np.sin(np.linspace(0, 20, 6 * 30 * 2)).reshape(6, 30, 2).astype(np.float32) * 3
    atlas = series_atlas(x, dtype)
    assert atlas.values.dtype == dtype and atlas.layout()["shape"] == [30, 2]
    assert len(atlas.data) == x.size * atlas.values.itemsize
    for i in range(6):
        np.testing.assert_allclose(atlas.sample(i), x[i], atol=tolerance * 6 * 0.51 + 1e-6)
