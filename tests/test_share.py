"""aecore.lecture.share: settings <-> query parameters, lenient on links, strict on presets, and the configs they
make."""
from __future__ import annotations

import pytest

from aecore.config import DASHBOARD_EPOCHS, ModelConfig, TrainConfig
from aecore.lecture import share
from aecore.models import MODELS


def test_defaults_come_from_the_configs():
    d, model, train = share.defaults(), ModelConfig(), TrainConfig()
    assert (d["latent_dim"], d["loss"], d["beta"]) == (model.latent_dim, model.loss, model.beta)
    assert (d["epochs"], d["batch_size"], d["lr"], d["seed"]) == (DASHBOARD_EPOCHS, train.batch_size, train.lr, train.seed)


def test_defaults_are_valid():
    good, errors = share.check_settings(share.defaults())
    assert errors == [] and good == share.defaults()


def test_round_trip_through_query():
    settings = {**share.defaults(), "dataset": "digits", "variant": "sparse", "latent_dim": 32, "lr": 3e-4,
                "batch_size": 64, "beta": 2.5, "noise": "masking", "noise_level": 0.25, "sparsity_weight": 0.2,
                "epochs": 7, "loss": "mse", "seed": 42}
    params = share.to_query(settings)
    assert all(isinstance(v, str) for v in params.values())
    assert share.from_query(params) == settings


def test_query_keeps_core_and_drops_defaults():
    params = share.to_query({**share.defaults(), "epochs": 9})
    assert params == {"dataset": "mnist", "variant": "vae", "latent_dim": "2", "epochs": "9"}


def test_a_lesson_link_lists_what_differs_from_the_lesson():
    lesson = {"variant": "beta-vae", "beta": 8.0, "epochs": 5}
    back_to_default = {**share.defaults(), **lesson, "beta": 1.0}   # the class then tried beta = 1
    params = share.to_query(back_to_default, lesson="beta-too-large", base=lesson)
    assert params["beta"] == "1" and "epochs" not in params
    assert {**share.defaults(), **lesson, **share.from_query(params)} == back_to_default


def test_lesson_travels_with_the_settings():
    params = share.to_query(share.defaults(), lesson="denoising")
    assert share.lesson_from_query(params) == "denoising"
    assert "lesson" not in share.from_query(params)


@pytest.mark.parametrize("params", [
    {"latent_dim": "0"}, {"latent_dim": "999"}, {"latent_dim": "2.5"}, {"latent_dim": "two"},
    {"lr": "0.5"}, {"lr": "nan"}, {"batch_size": "100"}, {"beta": "-1"}, {"beta": "inf"},
    {"dataset": "upload"}, {"dataset": "../../etc/passwd"}, {"variant": "gan"}, {"loss": "hinge"},
    {"noise": "pink"}, {"noise_level": "2"}, {"seed": "-1"}, {"unknown": "1"}, {"latent_dim": ""},
])
def test_bad_query_values_are_ignored(params):
    assert share.from_query(params) == {}


def test_good_values_survive_next_to_bad_ones():
    assert share.from_query({"latent_dim": "16", "lr": "banana", "epochs": "3"}) == {"latent_dim": 16, "epochs": 3}


def test_repeated_keys_take_the_last_value():
    assert share.from_query({"latent_dim": ["4", "8"]}) == {"latent_dim": 8}


def test_numbers_come_back_as_the_widgets_own_choices():
    got = share.from_query({"lr": "0.0030000", "batch_size": "256.0"})
    assert got["lr"] == 3e-3 and got["lr"] in share.LEARNING_RATES
    assert got["batch_size"] == 256 and isinstance(got["batch_size"], int)


def test_variant_that_cannot_train_on_the_dataset_is_dropped():
    good, errors = share.check_settings({"dataset": "sines", "variant": "conv"})
    assert good == {"dataset": "sines"} and "cannot train" in errors[0]
    assert share.from_query({"dataset": "mnist", "variant": "lstm"}) == {"dataset": "mnist"}


def test_strict_check_names_every_problem():
    _, errors = share.check_settings({"latent_dim": 0, "colour": "red", "lr": 7})
    assert len(errors) == 3
    assert any("colour" in e for e in errors) and any("latent_dim" in e for e in errors)


def test_query_string():
    assert share.query_string({}) == ""
    assert share.query_string({"dataset": "mnist", "lr": "0.001"}) == "?dataset=mnist&lr=0.001"


@pytest.mark.parametrize("variant", sorted(MODELS))
def test_configs_for_every_variant(variant):
    kind = "sequence" if variant == "lstm" else "image"
    name, model, train = share.configs({"variant": variant, "latent_dim": 3}, kind)
    assert name == variant and isinstance(model, ModelConfig) and isinstance(train, TrainConfig)
    assert model.latent_dim == 3


def test_configs_apply_the_sidebar_semantics():
    _, model, train = share.configs({"variant": "beta-vae", "beta": 6.0, "noise": "gaussian", "noise_level": 0.4,
                                     "lr": 3e-4, "epochs": 4}, "image")
    assert model.beta == 6.0 and model.noise == "gaussian" and model.noise_level == 0.4
    assert train.lr == 3e-4 and train.epochs == 4
    _, plain, _ = share.configs({"variant": "vanilla", "beta": 6.0, "sparsity_weight": 3.0}, "image")
    assert plain.beta == 1.0 and plain.sparsity_weight == 0.0   # settings a variant does not use are ignored


def test_configs_fall_back_to_a_variant_for_the_data():
    name, _, _ = share.configs({"variant": "conv"}, "sequence")
    assert "sequence" in MODELS[name].kinds
