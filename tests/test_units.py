"""What a unit stands for (aecore/views/units.py): the samples that excite it most are the true top ones, one
sample at a time; what a last decoder unit paints is the change its activation makes to the output; a denoiser's
gallery is corrupted as it trained, beside its clean targets; a batch runs as its samples do one by one; the first
layer's weights followed while training play as a GIF (aecore/views/filter_frames.py)."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from aecore.activations import FAINT, batch_activations, filter_grid, first_layer_firing, layer_activations
from aecore.data.dataset import Dataset
from aecore.lecture.lessons import NEAR_ZERO
from aecore.models import build_model, variant_config
from aecore.network import decoder_ops
from aecore.views.units import (
    FIRES,
    POOL,
    code_map,
    first_layer,
    gallery,
    paint_layer,
    paints,
    top_layers,
    top_samples,
    unit_pool,
    unit_views,
)

SHAPES = {"vanilla": (1, 8, 8), "conv": (1, 8, 8), "cvae": (1, 8, 8), "linear": (1, 8, 8), "lstm": (12, 2)}


def _model(name: str):
    shape = SHAPES[name]
    hidden = {"conv": (4, 6), "lstm": (8,), "linear": ()}.get(name, (10, 7))
    torch.manual_seed(0)
    model = build_model(variant_config(name, latent_dim=3, hidden=hidden), shape,
                        (0.0, 1.0) if len(shape) == 3 else (-1.0, 1.0), 3 if name == "cvae" else 0)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.1 * torch.randn_like(p))
    return model.eval()


def _samples(model, n: int = 30):
    lo, hi = model.value_range
    x = lo + (hi - lo) * torch.rand(n, *model.input_shape, generator=torch.Generator().manual_seed(4))
    y = torch.arange(n) % model.config.n_classes if model.config.conditional else None
    return x, y


@pytest.mark.parametrize("name", ["vanilla", "conv", "cvae", "lstm"])
def test_a_batch_runs_as_its_samples_do_one_by_one(name):
    model = _model(name)
    x, y = _samples(model, 5)
    batch = batch_activations(model, x, y)
    for i in range(len(x)):
        one = layer_activations(model, x[i], None if y is None else int(y[i]))
        assert list(one) == list(batch)
        for layer, values in one.items():
            assert np.allclose(batch[layer][i].numpy(), values, atol=1e-5), layer


@pytest.mark.parametrize("name", ["vanilla", "conv", "cvae"])
def test_the_top_samples_are_those_that_excite_the_unit_most(name):
    model = _model(name)
    x, y = _samples(model)
    top = top_samples(model, x, y, k=4)
    assert list(top) == top_layers(model) and top
    for layer, indices in top.items():
        acts = np.stack([layer_activations(model, x[i], None if y is None else int(y[i]))[layer]
                         for i in range(len(x))])
        score = acts.reshape(len(x), acts.shape[1], -1).max(2) if acts.ndim == 4 else acts   # a map: its peak
        assert indices.shape == (score.shape[1], 4)
        for unit, picks in enumerate(indices):
            assert np.allclose(score[picks, unit], np.sort(score[:, unit])[::-1][:4], atol=1e-6), (layer, unit)


def test_which_layers_show_what():
    vanilla, conv, vae = _model("vanilla"), _model("conv"), build_model(variant_config("vae", hidden=(5,)), (1, 8, 8))
    assert top_layers(vanilla) == ["encoder.2", "code", "decoder.1"]   # encoder.1: weights; decoder.2 paints
    assert paint_layer(conv) == "decoder.2" and "decoder.2" not in top_layers(conv)
    assert top_layers(vae) == ["mu", "z"]                               # sigma excites nothing; decoder.1 paints
    assert top_layers(_model("lstm")) == ["code"]                       # hidden states over time: no unit to hover


@pytest.mark.parametrize("name", ["vanilla", "linear", "cvae"])
def test_a_last_unit_paints_what_its_activation_adds_to_the_output(name):
    """Raising the painting layer's unit j by 1 adds paints[j] to the output before its sigmoid."""
    model = _model(name)
    ops, drawn = decoder_ops(model), paints(model)
    x, y = _samples(model, 1)
    layers = batch_activations(model, x, y)
    h = layers[paint_layer(model)]
    if paint_layer(model) == "code" and model.config.conditional:
        h = torch.cat([h, model.one_hot(y)], 1)
    out = ops[-1]
    assert drawn.shape == (h.shape[1] - model.config.n_classes * (paint_layer(model) == "code"), *model.input_shape)
    for j in (0, drawn.shape[0] - 1):
        bumped = h.clone()
        bumped[0, j] += 1
        change = F.linear(bumped, out["w"], out["b"]) - F.linear(h, out["w"], out["b"])
        assert torch.allclose(change.reshape(model.input_shape), drawn[j], atol=1e-5)


def test_a_conv_unit_paints_its_kernel_and_an_lstm_paints_nothing():
    conv = _model("conv")
    assert torch.equal(paints(conv), decoder_ops(conv)[-1]["w"].detach())   # (channels in, out, k, k)
    assert paints(_model("lstm")) is None


def test_a_denoisers_gallery_is_corrupted_as_it_trained_beside_its_targets():
    x = torch.full((50, 1, 8, 8), 0.5)
    shown = gallery(x, torch.arange(50), variant_config("denoising"), 8, (0.0, 1.0))
    assert np.array_equal(shown.targets, x[shown.picks].numpy()) and shown.labels.tolist() == shown.picks.tolist()
    noise = shown.inputs - shown.targets
    assert 0.25 < noise.std() < 0.35   # the variant's Gaussian noise, level 0.3 (little clipped around 0.5)
    again = gallery(x, None, variant_config("denoising"), 8, (0.0, 1.0))
    assert np.array_equal(again.inputs, shown.inputs)   # one fixed draw: a hover compares like with like
    plain = gallery(x, None, variant_config("vanilla"), 8, (0.0, 1.0))
    assert plain.targets is None and np.array_equal(plain.inputs, x[plain.picks].numpy())
    assert plain.picks.tolist() == [0, 7, 14, 21, 28, 35, 42, 49]   # spread over the split


def test_unit_views_carry_only_the_samples_they_use():
    model = _model("vanilla")
    x, _ = _samples(model, 40)
    views = unit_views(model, x, None, (0.0, 1.0), k=3)
    used = sorted({int(i) for t in top_samples(model, x, None, k=3).values() for i in t.ravel()})
    assert views.samples.shape == (len(used), *model.input_shape) and views.samples.dtype == np.uint8
    assert np.abs(views.samples / 255.0 - x[used].numpy()).max() <= 0.5 / 255 + 1e-9
    for layer, indices in views.top.items():   # the same samples, renumbered among those sent
        assert np.array_equal(np.array(used)[indices], top_samples(model, x, None, k=3)[layer])
    assert views.paint_layer == "decoder.2" and views.paints.shape == (10, 1, 8, 8)


def test_a_sparse_unit_fires_where_the_code_readout_stops_showing_zero():
    assert FIRES == NEAR_ZERO


def test_filter_frames_follow_training_and_play_as_a_gif():
    import io

    from PIL import Image

    from aecore.views.filter_frames import MAX_FRAMES, FilterFrames

    model, frames = _model("vanilla"), FilterFrames()
    assert frames.add(model, 0) and not frames.add(model, 0)   # once per step
    with torch.no_grad():
        model.encoder.layers[0].weight.mul_(-1)
    assert frames.add(model, 5)
    assert not np.array_equal(frames.frames[0][1], frames.frames[1][1])   # the weights changed, so the picture did
    grid = frames.frames[0][1]   # 10 units of 8 x 8: 35 x 26 pixels, enlarged 3-fold to about 100
    gif = Image.open(io.BytesIO(frames.gif(width=100)))
    assert gif.n_frames == 2 and gif.size == (3 * grid.shape[1], 3 * grid.shape[0] + 14), (grid.shape, gif.size)
    for step in range(10, 10 + 2 * MAX_FRAMES):
        frames.add(model, step)
    steps = [s for s, _ in frames.frames]
    assert len(steps) <= MAX_FRAMES and steps[0] == 0 and steps[-1] == 9 + 2 * MAX_FRAMES and steps == sorted(steps)
    assert not FilterFrames().add(_model("lstm"), 0)   # an LSTM's first layer has no picture per unit


@pytest.mark.parametrize("name, latent", [("vanilla", 3), ("vanilla", 2), ("vanilla", 1), ("cvae", 3)])
def test_the_code_map_places_samples_by_their_codes(name, latent):
    torch.manual_seed(0)
    model = build_model(variant_config(name, latent_dim=latent, hidden=(6,)), (1, 8, 8), (0.0, 1.0),
                        3 if name == "cvae" else 0).eval()
    x, y = _samples(model, 20)
    places = code_map(model, x, y)
    with torch.no_grad():
        z = model.encode(x, y).double()
    assert places.shape == (20, 2)
    if latent == 2:
        assert np.allclose(places, z.numpy())                    # a 2-number code as it is
    elif latent == 1:
        assert np.allclose(places[:, 0], z[:, 0].numpy()) and not places[:, 1].any()
    else:   # the first two principal components: uncorrelated, the first spreading most, distances kept or shrunk
        centred = places - places.mean(0)
        assert abs(np.corrcoef(centred.T)[0, 1]) < 1e-6 and centred[:, 0].var() >= centred[:, 1].var()
        assert np.all(np.linalg.norm(places[:, None] - places[None], axis=2)
                      <= np.linalg.norm(z.numpy()[:, None] - z.numpy()[None], axis=2) + 1e-9)


def test_a_first_layer_unit_fires_for_the_samples_its_relu_passes():
    model = _model("vanilla")   # first layer: 10 ReLU units on 64 pixels
    first = model.encoder.layers[0]
    x = torch.zeros(4, 1, 8, 8)
    x[1, 0, 0, 0] = x[2, 0, 0, 0] = x[3, 0, 0, 1] = 1.0
    with torch.no_grad():
        first.weight.zero_()
        first.bias.fill_(-0.5)          # off unless a pixel lifts it
        first.weight[0, 0] = 1.0        # unit 0: pixel 0, lit in samples 1 and 2
        first.weight[1, 1] = 1.0        # unit 1: pixel 1, lit in sample 3
        first.bias[2] = 0.5             # unit 2: always on
    firing = first_layer_firing(model, x, batch=3)   # batches must not matter
    assert firing.tolist() == [0.5, 0.25, 1.0] + [0.0] * 7


def test_firing_needs_an_off_state_and_a_hidden_layer():
    with pytest.raises(ValueError, match="ReLU"):
        first_layer_firing(build_model(variant_config("vanilla", latent_dim=3, hidden=(5,), activation="tanh"),
                                       (1, 8, 8), (0.0, 1.0), 0), torch.rand(2, 1, 8, 8))
    with pytest.raises(ValueError, match="no hidden layer"):
        first_layer_firing(_model("linear"), torch.rand(2, 1, 8, 8))
    conv = _model("conv")
    assert first_layer_firing(conv, torch.rand(5, 1, 8, 8)).shape == (4,)   # a channel fires anywhere in its map


def test_the_first_layer_grid_puts_firing_units_first_and_never_firing_ones_faint():
    model = _model("vanilla")
    w = model.encoder.layers[0].weight   # (10, 64)
    with torch.no_grad():
        w.copy_(torch.linspace(-1, 1, 64).repeat(10, 1) * torch.arange(1, 11).view(-1, 1))   # unit i: (i+1) x a ramp
    order = torch.tensor([3, 0, 1, 2, 4, 5, 6, 7, 8, 9])
    faint = torch.zeros(10, dtype=torch.bool)
    faint[0] = True
    grid = filter_grid(model, pad=0, order=order, faint=faint).astype(float)   # ten 8x8 tiles, row by row
    cols = grid.shape[1] // 8
    tiles = [grid[8 * (i // cols):8 * (i // cols + 1), 8 * (i % cols):8 * (i % cols + 1)] for i in range(10)]
    assert np.ptp(tiles[0]) == pytest.approx(255, abs=1)   # unit 3 first, at full contrast
    assert np.ptp(tiles[1]) == pytest.approx(FAINT * 255, abs=2)   # unit 0, faint
    assert all(np.ptp(t) == pytest.approx(255, abs=1) for t in tiles[2:])


@pytest.mark.parametrize("name, counted", [("vanilla", True), ("conv", True), ("lstm", None), ("linear", None)])
def test_the_first_layer_view_counts_its_units_on_the_unit_pool(name, counted):
    model = _model(name)
    shape = SHAPES[name]
    g = torch.Generator().manual_seed(5)
    data = Dataset("t", "T", torch.rand(20, *shape, generator=g), None, torch.rand(2 * POOL, *shape, generator=g), None,
                   "image" if len(shape) == 3 else "sequence", None, (0.0, 1.0), "generated")
    view = first_layer(model, data)
    if counted is None:   # an LSTM's first layer has no picture per unit; a linear AE's first layer is its code
        assert view is None
        return
    pool, _ = unit_pool(model, data)
    assert len(pool) == POOL and view.samples == POOL
    firing = first_layer_firing(model, pool).numpy()
    assert np.array_equal(view.firing, firing) and view.units == len(firing)
    assert view.unused == int((firing == 0).sum())
    assert view.mean_rate == pytest.approx(firing[firing > 0].mean())
    assert view.grid.dtype == np.uint8 and view.grid.ndim == 2   # grey
