"""The one network export (aecore/network.py), run op by op (aecore/activations.py), agrees with the model itself
for every registered variant: the code with encode, the last layer with the reconstruction."""
from __future__ import annotations

import json

import pytest
import torch
from helpers import random_model

from aecore.activations import first_layer_weights, layer_activations, locality
from aecore.models import MODELS
from aecore.views.decoder_export import export_decoder, export_network


@pytest.mark.parametrize("name", sorted(MODELS))
def test_layers_run_in_network_order_and_agree_with_therandom_model(name):
    model = random_model(name)
    x = torch.rand(model.input_shape, generator=torch.Generator().manual_seed(1))
    y = 2 if model.config.conditional else None
    layers = layer_activations(model, x, y)
    names = list(layers)
    assert names[0] == "input" and names[-1] == "reconstruction"
    yb = None if y is None else torch.tensor([y])
    with torch.no_grad():
        code = model.encode(x[None], yb)[0]
        x_hat = model(x[None], yb)[0]
    code_name = "z" if model.config.variational else "code"
    assert torch.allclose(torch.from_numpy(layers[code_name]), code, atol=1e-5)
    assert torch.allclose(torch.from_numpy(layers["reconstruction"]), x_hat, atol=1e-5)
    assert layers["input"].shape == model.input_shape
    if model.config.variational:
        assert names.index("mu") < names.index("sigma") < names.index("z")
        assert (layers["sigma"] > 0).all()
    encoder = [n for n in names if n.startswith("encoder.")]
    decoder = [n for n in names if n.startswith("decoder.")]
    assert names == ["input", *encoder, *(["mu", "sigma", "z"] if model.config.variational else ["code"]),
                     *decoder, "reconstruction"]
    n_hidden = len(model.config.hidden)
    if model.config.architecture != "lstm":   # a layer per hidden width, each side (conv: the decoder's fc is one)
        assert len(encoder) == len(decoder) == n_hidden


def test_conv_layers_are_feature_maps_and_lstm_layers_hidden_states_over_time():
    conv = layer_activations(random_model("conv"), torch.rand(1, 8, 8))
    assert conv["encoder.1"].shape == (4, 4, 4) and conv["encoder.2"].shape == (6, 2, 2)
    assert conv["decoder.2"].shape == (4, 4, 4)
    lstm = layer_activations(random_model("lstm"), torch.rand(12, 3))
    assert lstm["encoder.lstm"].shape == (12, 8) and lstm["decoder.lstm"].shape == (12, 8)


def test_a_vae_sample_follows_the_seed_and_the_decoder_follows_it():
    model, x = random_model("vae"), torch.rand(1, 8, 8)
    a, b, mean = (layer_activations(model, x, seed=s) for s in (1, 1, None))
    assert (a["z"] == b["z"]).all() and not (a["z"] == mean["z"]).all()
    with torch.no_grad():
        want = model.decode(torch.from_numpy(a["z"])[None])[0]
    assert torch.allclose(torch.from_numpy(a["reconstruction"]), want, atol=1e-5)


def test_first_layer_weights_are_pictures_of_the_input():
    model = random_model("cvae")   # the label's weights are not part of the picture
    w = first_layer_weights(model)
    assert w.shape == (10, 1, 8, 8)
    assert torch.equal(w.flatten(1), model.encoder.layers[0].weight[:, :64])
    assert first_layer_weights(random_model("conv")).shape == (4, 1, 4, 4)
    with pytest.raises(ValueError, match="LSTM"):
        first_layer_weights(random_model("lstm"))


def test_a_sample_of_the_wrong_shape_is_refused():
    with pytest.raises(ValueError, match="shape"):
        layer_activations(random_model("vanilla"), torch.rand(1, 9, 8))


def test_locality_of_known_first_layers():
    model = random_model("vanilla")
    first = model.encoder.layers[0].weight   # (10, 64)
    with torch.no_grad():
        first.fill_(1.0)                      # every pixel alike: the top 10% (6 of 64) hold 6/64 of the energy
        assert locality(model) == pytest.approx(6 / 64)
        first.zero_()
        first[:, 3] = 2.0                     # one pixel per unit: all of it
        assert locality(model) == pytest.approx(1.0)


def test_locality_leaves_out_inputs_the_data_never_varies():
    """MNIST's border pixels are always 0: their weights keep the initialisation's draw, and must not count."""
    model = random_model("vanilla")
    first = model.encoder.layers[0].weight   # (10, 64): an 8x8 input
    x = torch.rand(50, 1, 8, 8)
    x[..., 0, :] = 0.0                       # the top row never lights up
    with torch.no_grad():
        first.fill_(1.0)
        first[:, :8] = 30.0                  # big untrained weights on the dead row: all the energy, if counted
        assert locality(model) == pytest.approx(6 * 900 / (8 * 900 + 56))   # the dead row looks like a stroke
        assert locality(model, x) == pytest.approx(round(0.1 * 56) / 56)   # the 56 live pixels, alike


@pytest.mark.parametrize("name", sorted(MODELS))
def test_the_network_export_holds_every_weight_once_and_its_decoder_is_the_decoder_export(name):
    model = random_model(name)
    net, dec = export_network(model), export_decoder(model)
    json.dumps(net.spec)
    assert len(net.weights) == 4 * sum(p.numel() for p in model.parameters())
    n_enc = 4 * sum(p.numel() for part in (model.encoder, model.head) for p in part.parameters())
    assert net.weights[n_enc:] == dec.weights             # the decoder half is byte for byte the decoder export
    shift = n_enc // 4
    def offsets(op: dict, by: int) -> dict:   # the op with its weights' offsets moved back by `by` floats
        if "layers" in op:
            return {**op, "layers": [{k: v - by for k, v in layer.items()} for layer in op["layers"]]}
        return {k: (v - by if k in ("w", "b") else v) for k, v in op.items()}
    assert [offsets(op, shift) for op in net.spec["ops"]] == [offsets(op, 0) for op in dec.spec["ops"]]
    assert net.spec["encoder"][-1]["out"] == model.config.latent_dim * (2 if model.config.variational else 1)
