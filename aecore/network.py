"""A model's network as one ordered list of ops per half, derived from its modules here and nowhere else.

An op is a dict: "op" (linear, act, conv, convT, lstm, lstm_seq, last, flatten, concat_label), its sizes, and its
weights as tensors under "w", "b" (an LSTM: one dict of tensors per layer). An op with a "name" makes a layer of
the network: its output is what the network view shows. decoder_export packs the same ops (tensors become offsets
into one float32 buffer) for the browser, and activations.py runs them in PyTorch, so the layers a person sees, the
browser's decoder and the model are one description. The decoder's input is the code followed by the one-hot label
(Autoencoder._decode_raw), outside the op list, as the browser decoder's format 1 has it.
"""
from __future__ import annotations

from torch import nn

from .models import Autoencoder
from .nets import ConvDecoder, ConvEncoder, LSTMDecoder, LSTMEncoder, MLPDecoder, MLPEncoder


def linear_op(layer: nn.Linear, name: str | None = None) -> dict:
    op = {"op": "linear", "in": layer.in_features, "out": layer.out_features, "w": layer.weight, "b": layer.bias}
    return {**op, "name": name} if name else op


def act_op(fn: str, name: str | None = None) -> dict:
    return {"op": "act", "fn": fn, **({"name": name} if name else {})}


def _lstm_layers(lstm: nn.LSTM) -> list[dict]:
    """Each layer's weights, gates in PyTorch's order: input, forget, cell, output."""
    return [{key: getattr(lstm, f"{key}_l{i}") for key in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}
            for i in range(lstm.num_layers)]


def _conv_op(module: nn.Conv2d | nn.ConvTranspose2d, c: int, h: int, w: int) -> dict:
    """A (transposed) convolution on a (c, h, w) map, with its output size; weight (cin, cout, k, k) for convT."""
    (k, _), (s, _), (pad, _) = module.kernel_size, module.stride, module.padding
    if isinstance(module, nn.ConvTranspose2d):
        oph, opw = module.output_padding
        h_out, w_out, kind = (h - 1) * s - 2 * pad + k + oph, (w - 1) * s - 2 * pad + k + opw, "convT"
    else:
        h_out, w_out, kind = (h + 2 * pad - k) // s + 1, (w + 2 * pad - k) // s + 1, "conv"
    return {"op": kind, "cin": c, "cout": module.out_channels, "k": k, "stride": s, "pad": pad,
            "h": h, "w_in": w, "h_out": h_out, "w_out": w_out, "w": module.weight, "b": module.bias}


def _conv_body(body: nn.Sequential, act: str, c: int, h: int, w: int, part: str, first: int = 1) -> list[dict]:
    """The convolutions of a Sequential; each activation's output is a layer, numbered from `first`."""
    ops: list[dict] = []
    for module in body:
        if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
            ops.append(_conv_op(module, c, h, w))
            c, h, w = module.out_channels, ops[-1]["h_out"], ops[-1]["w_out"]
        else:
            ops.append(act_op(act, f"{part}.{first}"))
            first += 1
    return ops


def encoder_ops(model: Autoencoder) -> list[dict]:
    """The encoder, input to features, then the head: its last op is named "code" (deterministic) or is the
    head of a VAE (mu and log-variance side by side, 2 * latent_dim values: activations.py splits them)."""
    enc, act, n_cls = model.encoder, model.config.activation, model.config.n_classes
    label = [{"op": "concat_label", "n_classes": n_cls}] if n_cls else []
    if isinstance(enc, MLPEncoder):
        ops = [{"op": "flatten"}, *label]
        for i, layer in enumerate(enc.layers, 1):
            ops += [linear_op(layer), act_op(act, f"encoder.{i}")]
    elif isinstance(enc, ConvEncoder):
        ops = [*_conv_body(enc.body, act, model.input_shape[0], *enc.sizes[0], "encoder"), {"op": "flatten"}, *label]
    elif isinstance(enc, LSTMEncoder):
        steps, _ = model.input_shape
        ops = [{"op": "lstm_seq", "in": enc.lstm.input_size, "hidden": enc.lstm.hidden_size, "steps": steps,
                "layers": _lstm_layers(enc.lstm), "name": "encoder.lstm"}, {"op": "last"}, *label]
    else:
        raise ValueError(f"no op list for {type(enc).__name__}")
    return [*ops, linear_op(model.head, None if model.config.variational else "code")]


def decoder_ops(model: Autoencoder) -> list[dict]:
    """The decoder, code (+ one-hot label) to the pre-activation output; the model's output function follows."""
    dec, act = model.decoder, model.config.activation
    if isinstance(dec, MLPDecoder):
        ops: list[dict] = []
        for i, layer in enumerate(dec.layers[:-1], 1):
            ops += [linear_op(layer), act_op(act, f"decoder.{i}")]
        return ops + [linear_op(dec.layers[-1])]
    if isinstance(dec, ConvDecoder):
        c, h, w = dec.start
        return [linear_op(dec.fc), act_op(act, "decoder.1"), *_conv_body(dec.body, act, c, h, w, "decoder", 2)]
    if isinstance(dec, LSTMDecoder):
        lstm = dec.lstm
        return [{"op": "lstm", "in": lstm.input_size, "hidden": lstm.hidden_size, "steps": dec.steps,
                 "layers": _lstm_layers(lstm), "name": "decoder.lstm"}, linear_op(dec.out)]
    raise ValueError(f"no op list for {type(dec).__name__}")

