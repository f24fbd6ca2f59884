"""Codes of a whole split: train before test, labels and order kept together."""
import dataclasses

import numpy as np
import pytest
import torch

from aecore.views.codes import encode_dataset, split_inputs, split_order
from aecore.infer import encode_all
from aecore.models import build_model, variant_config
from helpers import make_images


@pytest.fixture(scope="module")
def model_and_data():
    data = make_images(n=60)
    torch.manual_seed(0)
    return build_model(variant_config("vanilla", latent_dim=3), data.shape, data.value_range), data


def test_all_is_train_then_test(model_and_data):
    model, data = model_and_data
    got = encode_dataset(model, data, "all")
    n_train = len(data.x_train)
    assert got.codes.shape == (60, 3) and got.codes.dtype == np.float32 and len(got) == 60
    np.testing.assert_array_equal(got.order, np.arange(60))
    np.testing.assert_array_equal(got.labels, torch.cat([data.y_train, data.y_test]).numpy())
    np.testing.assert_allclose(got.codes[:n_train], encode_all(model, data.x_train).numpy(), atol=1e-6)
    np.testing.assert_allclose(got.codes[n_train:], encode_all(model, data.x_test).numpy(), atol=1e-6)
    assert got.n_train == n_train and got.split == "all"


def test_test_split_points_past_train(model_and_data):
    model, data = model_and_data
    got = encode_dataset(model, data, "test")
    np.testing.assert_array_equal(got.order, len(data.x_train) + np.arange(len(data.x_test)))
    np.testing.assert_array_equal(got.labels, data.y_test.numpy())


def test_inputs_follow_the_same_order(model_and_data):
    _, data = model_and_data
    x = split_inputs(data, "all")
    order = split_order(data, "all")
    n_train = len(data.x_train)
    assert torch.equal(x[order < n_train], data.x_train) and torch.equal(x[order >= n_train], data.x_test)
    assert split_inputs(data, "train") is data.x_train


def test_unlabelled_data_has_no_labels(model_and_data):
    model, data = model_and_data
    unlabelled = dataclasses.replace(data, y_train=None, y_test=None)
    assert encode_dataset(model, unlabelled, "train").labels is None


def test_unknown_split(model_and_data):
    model, data = model_and_data
    with pytest.raises(ValueError, match="split"):
        encode_dataset(model, data, "validation")


def test_even_sample_spreads_over_every_row():
    from aecore.views.codes import even_sample
    assert even_sample(5, 10).tolist() == [0, 1, 2, 3, 4]
    rows = even_sample(1000, 100)
    assert len(rows) == 100 and rows[0] == 0 and rows[-1] == 999 and np.all(np.diff(rows) > 0)


def test_take_and_in_split_keep_rows_together(model_and_data):
    model, data = model_and_data
    codes = encode_dataset(model, data, "all")
    part = codes.take(np.array([0, 5, len(data.x_train) + 2]))
    assert part.order.tolist() == [0, 5, len(data.x_train) + 2] and part.codes.shape == (3, codes.codes.shape[1])
    assert part.in_split("train").tolist() == [0, 1] and part.in_split("test").tolist() == [2]
    assert part.in_split("all").tolist() == [0, 1, 2]
    with pytest.raises(ValueError):
        part.in_split("validation")
