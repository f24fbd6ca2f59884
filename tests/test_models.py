"""Every registered variant keeps the shared interface; the formulas and corruptions do what the papers say."""
from __future__ import annotations

import math

import pytest
import torch

from aecore import penalties
from aecore.config import ModelConfig
from aecore.models import MODELS, build_model, resolve_config, variant_config
from helpers import data_for, trained_run

VARIANTS = sorted(MODELS)
VARIATIONAL = [v for v in VARIANTS if MODELS[v].generative]


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Tiny tensors gain nothing from a second thread, and on a busy 2-core machine the threads' hand-offs
    made these tests ~20x slower (measured: a 48-step tiny run took 5.7 s with 2 threads, 0.28 s with 1)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def model_for(variant: str, latent_dim: int = 3, **overrides):
    data = data_for(variant)
    torch.manual_seed(0)
    cfg = variant_config(variant, latent_dim=latent_dim, **overrides)
    return build_model(cfg, data.shape, data.value_range, data.n_classes), data


@pytest.mark.parametrize("variant", VARIANTS)
def test_encode_decode_shapes(variant):
    model, data = model_for(variant)
    x, y = data.x_train[:5], data.y_train[:5]
    z = model.encode(x, y)
    assert z.shape == (5, 3)
    assert model.decode(z, y).shape == x.shape
    assert model(x, y).shape == x.shape


@pytest.mark.parametrize("variant", VARIANTS)
def test_loss_keys(variant):
    model, data = model_for(variant)
    parts = model.loss(data.x_train[:8], data.y_train[:8])
    cfg = model.config
    expected = {"loss", "recon"}
    expected |= {"kl"} if cfg.variational else set()
    expected |= {"sparsity"} if cfg.sparsity != "none" else set()
    expected |= {"contractive"} if cfg.contractive_weight else set()
    assert set(parts) == expected
    assert all(v.dim() == 0 and torch.isfinite(v) for v in parts.values())


@pytest.mark.parametrize("variant", VARIANTS)
def test_loss_is_the_weighted_sum_of_its_parts(variant):
    model, data = model_for(variant, weight_decay=0.01)
    parts = model.loss(data.x_train[:8], data.y_train[:8])
    cfg = model.config
    weights = {"recon": 1.0, "kl": cfg.beta, "sparsity": cfg.sparsity_weight,
               "contractive": cfg.contractive_weight, "weight_decay": cfg.weight_decay}
    total = sum(weights[k] * v for k, v in parts.items() if k != "loss")
    assert "weight_decay" in parts
    assert parts["loss"].item() == pytest.approx(total.item(), rel=1e-5)


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("latent_dim", [1, 2, 33])
def test_any_bottleneck_size(variant, latent_dim):
    model, data = model_for(variant, latent_dim=latent_dim)
    x, y = data.x_train[:4], data.y_train[:4]
    assert model.encode(x, y).shape == (4, latent_dim)
    assert model.decode(model.encode(x, y), y).shape == x.shape


def test_zero_latent_dim_is_refused():
    with pytest.raises(ValueError, match="latent_dim"):
        variant_config("vanilla", latent_dim=0)


@pytest.mark.parametrize("variant", ["conv", "conv-vae"])
@pytest.mark.parametrize("hw", [(7, 7), (28, 28), (8, 8), (5, 9), (13, 6)])
def test_conv_reconstructs_odd_sizes_exactly(variant, hw):
    model = build_model(variant_config(variant, latent_dim=4), (1, *hw))
    x = torch.rand(3, 1, *hw)
    assert model(x).shape == x.shape
    assert model.loss(x)["loss"].isfinite()


def test_conv_refuses_images_too_small_for_its_layers():
    with pytest.raises(ValueError, match="too many"):
        build_model(variant_config("conv", latent_dim=2), (1, 3, 3))


def test_conv_refuses_non_images():
    with pytest.raises(ValueError, match="images"):
        build_model(variant_config("conv", latent_dim=2), (24, 1))


def test_unknown_variant_names_the_choices():
    with pytest.raises(ValueError, match="vanilla"):
        variant_config("nope")


def test_bce_is_refused_for_data_outside_unit_range():
    with pytest.raises(ValueError, match="BCE"):
        resolve_config(ModelConfig(loss="bce"), (-1.0, 1.0))


def test_auto_loss_follows_the_data_range():
    assert resolve_config(ModelConfig(), (0.0, 1.0)).loss == "bce"
    assert resolve_config(ModelConfig(), (-2.0, 3.0)).loss == "mse"


# --- corruption (Vincent et al. 2008) -------------------------------------------------------------------
def test_gaussian_noise_is_clipped_to_the_value_range():
    x = torch.full((200, 50), 0.5)
    out = penalties.corrupt(x, "gaussian", 1.0, (0.0, 1.0), torch.Generator().manual_seed(0))
    assert out.min() == 0.0 and out.max() == 1.0       # std 1 around 0.5: many values hit both limits
    assert (out - x).abs().mean() > 0.3
    assert x.eq(0.5).all()                            # the input is not modified in place


def test_masking_zeroes_the_requested_fraction():
    x = torch.rand(400, 100) + 0.5                    # no zeros to begin with
    out = penalties.corrupt(x, "masking", 0.3, (0.0, 2.0), torch.Generator().manual_seed(0))
    hit = out == 0
    assert hit.float().mean().item() == pytest.approx(0.3, abs=0.01)
    assert torch.equal(out[~hit], x[~hit])            # untouched values are exact


def test_salt_and_pepper_sets_extremes_half_each():
    x = torch.full((400, 100), 0.25)
    out = penalties.corrupt(x, "salt-and-pepper", 0.2, (-1.0, 3.0), torch.Generator().manual_seed(0))
    changed = out != 0.25
    assert set(out[changed].unique().tolist()) == {-1.0, 3.0}
    assert changed.float().mean().item() == pytest.approx(0.2, abs=0.01)
    assert (out == 3.0).float().mean().item() == pytest.approx(0.1, abs=0.01)


def test_corruption_happens_only_in_training_mode():
    model, data = model_for("denoising")
    x = data.x_train[:16]
    model.eval()
    a, b = model.loss(x)["loss"], model.loss(x)["loss"]
    assert a == b
    model.train()
    model.rng = torch.Generator().manual_seed(1)
    assert model.loss(x)["loss"] != a


# --- the variational bottleneck (Kingma & Welling 2014) -------------------------------------------------
def test_gaussian_kl_matches_a_hand_computation():
    mu = torch.tensor([[1.0, 0.0], [0.0, -2.0]])
    logvar = torch.tensor([[0.0, math.log(4.0)], [0.0, 0.0]])
    # sample 1: dim 1: 0.5*(1 + 1 - 1 - 0) = 0.5; dim 2: 0.5*(0 + 4 - 1 - ln 4) = 1.5 - ln 2
    # sample 2: dim 1: 0; dim 2: 0.5*(4 + 1 - 1 - 0) = 2
    hand = ((0.5 + 1.5 - math.log(2.0)) + 2.0) / 2
    assert penalties.gaussian_kl(mu, logvar).item() == pytest.approx(hand, rel=1e-6)
    q = torch.distributions.Normal(mu, (0.5 * logvar).exp())
    p = torch.distributions.Normal(torch.zeros(2), torch.ones(2))
    assert penalties.gaussian_kl(mu, logvar).item() == pytest.approx(
        torch.distributions.kl_divergence(q, p).sum(1).mean().item(), rel=1e-6)


def test_kl_is_zero_at_the_prior():
    assert penalties.gaussian_kl(torch.zeros(4, 3), torch.zeros(4, 3)).item() == 0.0


@pytest.mark.parametrize("variant", VARIATIONAL)
def test_vae_encode_is_deterministic_but_loss_samples(variant):
    model, data = model_for(variant)
    x, y = data.x_train[:8], data.y_train[:8]
    assert torch.equal(model.encode(x, y), model.encode(x, y))
    assert model.loss(x, y)["recon"] != model.loss(x, y)["recon"]


def test_non_variational_models_cannot_sample():
    model, _ = model_for("vanilla")
    with pytest.raises(ValueError, match="variational"):
        model.sample(2)


# --- conditional VAE (Sohn et al. 2015) ------------------------------------------------------------------
def test_cvae_needs_labels():
    model, data = model_for("cvae")
    with pytest.raises(ValueError, match="labels"):
        model.loss(data.x_train[:4])


def test_cvae_needs_labelled_data():
    with pytest.raises(ValueError, match="labelled"):
        build_model(variant_config("cvae"), (1, 8, 8), (0.0, 1.0), n_classes=0)


def test_cvae_generates_the_class_it_is_asked_for():
    run, data = trained_run("cvae", epochs=8)
    model = run.model.eval()
    means = torch.stack([data.x_train[data.y_train == k].mean(0) for k in range(3)])   # (3, 1, 8, 8)
    for k in range(3):
        y = torch.full((200,), k)
        samples = model.sample(200, y, torch.Generator().manual_seed(0)).mean(0)
        dist = (means - samples).flatten(1).square().sum(1)                     # to each class mean
        assert dist.argmin().item() == k, f"class {k} samples are nearest class {dist.argmin().item()}: {dist}"
    same_z = torch.Generator().manual_seed(0), torch.Generator().manual_seed(0)
    a = model.sample(16, torch.zeros(16, dtype=torch.long), same_z[0])
    b = model.sample(16, torch.ones(16, dtype=torch.long), same_z[1])
    assert (a - b).abs().mean() > 0.05   # same codes, different class: different images


# --- what training asks of a model: its stages and its noise ------------------------------------------------
def test_stages_are_layer_wise_pretraining_then_the_whole_model():
    stacked, _ = model_for("stacked")   # hidden (256, 128): 3 layer pairs
    assert [(s.name, s.epochs) for s in stacked.stages(2)] == [
        ("pretrain 1/3", 1), ("pretrain 2/3", 1), ("pretrain 3/3", 1), ("train", 2)]
    assert stacked.stages(2)[0] is stacked.stages(5)[0]   # built once: a stage's optimizer outlives a stop
    assert [s.name for s in model_for("vanilla")[0].stages(3)] == ["train"]


def test_seed_noise_replays_the_same_corruption_and_samples():
    for variant in ("denoising", "vae"):
        model, data = model_for(variant)
        x = data.x_train[:16]
        model.train()
        model.seed_noise(7)
        a = model.loss(x)["loss"]
        model.seed_noise(7)
        assert model.loss(x)["loss"] == a
