"""A model's decoder as a JSON spec plus float32 weights, so a browser can decode codes with no server round trip.

The spec is the decoder's op list from aecore/network.py (linear, act, convT, lstm; a "name" marks a layer the
network view shows) that face/atlas/frontend/src/decoder.js runs in order;
offsets ("w", "b", ...) count float32 values into the one weight buffer. A conditional model's decoder input is
the code followed by the one-hot label, as in Autoencoder._decode_raw. Why not ONNX: our three decoder bodies
need four ops, which fit in ~150 lines of plain JavaScript (a few KB) where onnxruntime-web ships megabytes of
WebAssembly, and the browser then decodes one code in well under a frame.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..budget import check_model
from ..models import Autoencoder
from ..network import decoder_ops, encoder_ops

FORMAT = 1   # bump when the op list changes meaning; decoder.js refuses other formats
# the ops face/atlas/frontend/src/ops.js implements (tests/test_network_browser.py holds the two lists equal)
BROWSER_OPS = frozenset({"act", "linear", "conv", "convT", "lstm", "lstm_seq", "last", "flatten", "concat_label"})


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


def pack(value, p: _Packer):
    """An op (or a list or dict of them) with every tensor replaced by its offset in the packer's buffer."""
    if isinstance(value, torch.Tensor):
        return p.add(value)
    if isinstance(value, dict):
        return {key: pack(v, p) for key, v in value.items()}
    if isinstance(value, list):
        return [pack(v, p) for v in value]
    return value


def export_decoder(model: Autoencoder) -> BrowserDecoder:
    """The decoder of `model` (MLP, conv or LSTM; conditional or not) as ops a browser runs, and their weights.
    Checked against the model budget again (ModelTooLarge): a model built where the limits were raised (the CLI)
    is not shipped to students' browsers under the server's own limits."""
    check_model(model.config, model.input_shape)
    cfg, p = model.config, _Packer()
    ops = pack(decoder_ops(model), p)   # the op list of aecore/network.py, weights packed
    spec = {"format": FORMAT, "latent_dim": cfg.latent_dim, "n_classes": cfg.n_classes, "output": cfg.output,
            "shape": list(model.input_shape), "value_range": [float(v) for v in model.value_range], "ops": ops}
    return BrowserDecoder(spec, p.tobytes())


def export_network(model: Autoencoder) -> BrowserDecoder:
    """The whole network for the browser: the encoder's ops (input to the head), then the decoder's (the decoder
    spec's "ops"), weights in one buffer. A VAE's head writes mu and log-variance side by side (2 * latent_dim)."""
    check_model(model.config, model.input_shape)
    cfg, p = model.config, _Packer()
    encoder = pack(encoder_ops(model), p)
    decoder = pack(decoder_ops(model), p)
    spec = {"format": FORMAT, "latent_dim": cfg.latent_dim, "n_classes": cfg.n_classes, "output": cfg.output,
            "variational": cfg.variational, "shape": list(model.input_shape),
            "value_range": [float(v) for v in model.value_range], "encoder": encoder, "ops": decoder}
    return BrowserDecoder(spec, p.tobytes())


def server_only_reason(spec: dict) -> str | None:
    """Why the browser cannot run this network spec (the page then computes its layers on the server), or None."""
    missing = sorted({op["op"] for op in (*spec.get("encoder", ()), *spec["ops"])} - BROWSER_OPS)
    return f"the browser has no {', '.join(missing)} op: its layers are computed on the server" if missing else None
