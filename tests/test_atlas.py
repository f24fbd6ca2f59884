"""Thumbnail atlas: tile i is sample i (grayscale, RGB; every format), sequences survive quantisation."""
import io

import numpy as np
import pytest
import torch
from PIL import Image

from aecore.views.atlas import FORMATS, image_atlas, quantise, series_atlas


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("format", FORMATS)
def test_tile_round_trip(channels, format):
    x = torch.rand(23, channels, 5, 7, generator=torch.Generator().manual_seed(channels))
    atlas = image_atlas(x, format=format)
    tiles = atlas.tiles()
    assert tiles.shape == (23, 5, 7, channels) and tiles.dtype == np.uint8
    for i in range(23):
        np.testing.assert_array_equal(tiles[i], quantise(x[i], 0, 1).transpose(1, 2, 0))
    meta = atlas.meta()
    assert meta["count"] == 23 and meta["tile"] == [5, 7] and meta["format"] == format
    assert (meta["columns"] > 0) == (format == "png")


def test_png_sheet_layout():
    x = np.zeros((10, 1, 2, 3), np.float32)
    x[7] = 1.0
    atlas = image_atlas(x, format="png")
    sheet = np.asarray(Image.open(io.BytesIO(atlas.data)))
    r, c = divmod(7, atlas.columns)
    assert atlas.columns == 4 and sheet.shape == (3 * 2, 4 * 3)
    assert (sheet[r * 2:(r + 1) * 2, c * 3:(c + 1) * 3] == 255).all() and sheet.sum() == 255 * 6


def test_value_range():
    x = np.full((3, 1, 2, 2), -1.0, np.float32)
    x[2] = 1.0
    tiles = image_atlas(x, value_range=(-1.0, 1.0)).tiles()
    assert tiles[2].min() == 255 and tiles[1].max() == 0


def test_rejects_two_channel_images():
    with pytest.raises(ValueError):
        image_atlas(np.zeros((2, 2, 4, 4)))


@pytest.mark.parametrize("dtype,tolerance", [("uint8", 6 / 255 * 0.51), ("float16", 3e-3)])
def test_series_round_trip(dtype, tolerance):
    x = np.sin(np.linspace(0, 20, 6 * 30 * 2)).reshape(6, 30, 2).astype(np.float32) * 3
    atlas = series_atlas(x, dtype=dtype)
    assert atlas.values.dtype == dtype and len(atlas.data) == x.size * atlas.values.itemsize
    assert atlas.meta()["length"] == 30 and atlas.meta()["features"] == 2
    for i in range(6):
        np.testing.assert_allclose(atlas.sample(i), x[i], atol=tolerance + 1e-6)


def test_vectors_are_one_line_each():
    atlas = series_atlas(torch.arange(12.0).reshape(3, 4), value_range=(0.0, 11.0))
    assert atlas.values.shape == (3, 4, 1) and atlas.values[2, 3, 0] == 255


def test_dataset_atlas_follows_train_then_test_positions():
    from aecore.views.atlas import dataset_atlas, inputs_at
    from helpers import make_images, make_sequences
    data = make_images()
    n_train = len(data.x_train)
    pos = np.array([1, 3, n_train, n_train + 4])
    x = torch.cat(list(inputs_at(data, pos, chunk=3)))      # chunks cross the train/test boundary
    assert torch.equal(x, torch.cat([data.x_train[[1, 3]], data.x_test[[0, 4]]]))
    atlas = dataset_atlas(data, pos)
    assert atlas.count == 4 and np.array_equal(atlas.tiles()[..., 0], quantise(x, 0, 1)[:, 0])
    waves = make_sequences()
    lines = dataset_atlas(waves, np.arange(5))
    assert lines.values.shape == (5, *waves.shape) and lines.values.dtype == np.uint8
