"""A model's decoder as a JSON spec plus float32 weights, so a browser can decode codes with no server round trip.

The spec is a short list of ops (linear, act, convT, lstm) that face/atlas/frontend/src/decoder.js runs in order;
offsets ("w", "b", ...) count float32 values into the one weight buffer. A conditional model's decoder input is
the code followed by the one-hot label, as in Autoencoder._decode_raw. Why not ONNX: our three decoder bodies
need four ops, which fit in ~150 lines of plain JavaScript (a few KB) where onnxruntime-web ships megabytes of
WebAssembly, and the browser then decodes one code in well under a frame.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from .budget import check_model
from .models import Autoencoder
from .nets import ConvDecoder, LSTMDecoder, MLPDecoder

FORMAT = 1   # bump when the op list changes meaning; decoder.js refuses other formats


@dataclass(frozen=True)
class BrowserDecoder:
    """What the browser needs to decode: `spec` (JSON-able dict) and `weights` (little-endian float32 bytes)."""

    spec: dict
    weights: bytes


class _Packer:
    """Appends tensors to one float32 buffer and returns each one's offset, in floats."""

    def __init__(self):
        self.parts: list[np.ndarray] = []
        self.size = 0

    def add(self, t: torch.Tensor) -> int:
        # contiguous() also undoes the channels-last layout conv models keep their weights in
        a = t.detach().to("cpu", torch.float32).contiguous().numpy().ravel()
        offset, self.size = self.size, self.size + a.size
        self.parts.append(a)
        return offset

    def tobytes(self) -> bytes:
        return np.concatenate(self.parts).astype("<f4").tobytes() if self.parts else b""


def _linear(layer: nn.Linear, p: _Packer) -> dict:
    return {"op": "linear", "in": layer.in_features, "out": layer.out_features,
            "w": p.add(layer.weight), "b": p.add(layer.bias)}


def _mlp_ops(dec: MLPDecoder, act: str, p: _Packer) -> list[dict]:
    ops: list[dict] = []
    for layer in dec.layers[:-1]:
        ops += [_linear(layer, p), {"op": "act", "fn": act}]
    return ops + [_linear(dec.layers[-1], p)]


def _conv_ops(dec: ConvDecoder, act: str, p: _Packer) -> list[dict]:
    ops = [_linear(dec.fc, p), {"op": "act", "fn": act}]
    c, h, w = dec.start
    for module in dec.body:
        if not isinstance(module, nn.ConvTranspose2d):
            ops.append({"op": "act", "fn": act})
            continue
        (k, _), (s, _), (pad, _), (oph, opw) = (module.kernel_size, module.stride, module.padding,
                                                module.output_padding)
        h_out, w_out = (h - 1) * s - 2 * pad + k + oph, (w - 1) * s - 2 * pad + k + opw
        ops.append({"op": "convT", "cin": c, "cout": module.out_channels, "k": k, "stride": s, "pad": pad,
                    "h": h, "w_in": w, "h_out": h_out, "w_out": w_out,
                    "w": p.add(module.weight), "b": p.add(module.bias)})  # weight: (cin, cout, k, k)
        c, h, w = module.out_channels, h_out, w_out
    return ops


def _lstm_ops(dec: LSTMDecoder, p: _Packer) -> list[dict]:
    lstm = dec.lstm
    layers = [{name: p.add(getattr(lstm, f"{name}_l{i}")) for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}
              for i in range(lstm.num_layers)]   # gates in PyTorch's order: input, forget, cell, output
    return [{"op": "lstm", "in": lstm.input_size, "hidden": lstm.hidden_size, "steps": dec.steps, "layers": layers},
            _linear(dec.out, p)]


def export_decoder(model: Autoencoder) -> BrowserDecoder:
    """The decoder of `model` (MLP, conv or LSTM; conditional or not) as ops a browser runs, and their weights.
    Checked against the model budget again (ModelTooLarge): a model built where the limits were raised (the CLI)
    is not shipped to students' browsers under the server's own limits."""
    check_model(model.config, model.input_shape)
    cfg, dec, p = model.config, model.decoder, _Packer()
    if isinstance(dec, MLPDecoder):
        ops = _mlp_ops(dec, cfg.activation, p)
    elif isinstance(dec, ConvDecoder):
        ops = _conv_ops(dec, cfg.activation, p)
    elif isinstance(dec, LSTMDecoder):
        ops = _lstm_ops(dec, p)
    else:
        raise ValueError(f"no browser decoder for {type(dec).__name__}")
    spec = {"format": FORMAT, "latent_dim": cfg.latent_dim, "n_classes": cfg.n_classes, "output": cfg.output,
            "shape": list(model.input_shape), "value_range": [float(v) for v in model.value_range], "ops": ops}
    return BrowserDecoder(spec, p.tobytes())
