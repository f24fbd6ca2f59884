"""The atlas component's network view: a gallery of samples, and every layer of the network for the one under the
mouse, computed in the browser from aecore.views.decoder_export.export_network (frontend/src/inside.js)."""
from __future__ import annotations

import numpy as np

from aecore.views.decoder_export import BrowserDecoder

from . import _call
from .wire import Payload

MAX_SAMPLES = 256   # the gallery: enough to choose from, a few hundred KB at most for MNIST-sized samples


def network_ui(network: BrowserDecoder, samples: np.ndarray, labels: np.ndarray | None = None, *,
               value_range: tuple[float, float] = (0.0, 1.0), caption: str = "", key: str) -> None:
    """`network` is export_network(model); `samples` (N, *input shape) floats in the data's value range; `labels`
    (N,) ints, told to a conditional model; `caption` is shown under the layers. The frame sizes itself."""
    shape = tuple(network.spec["shape"])
    samples = np.ascontiguousarray(samples, dtype="<f4")
    if samples.shape[1:] != shape or not 0 < len(samples) <= MAX_SAMPLES:
        raise ValueError(f"the gallery needs 1..{MAX_SAMPLES} samples of shape {shape}, got {samples.shape}")
    if labels is not None and len(labels) != len(samples):
        raise ValueError(f"{len(labels)} labels for {len(samples)} samples")
    payloads = [Payload("weights", network.weights, eager=True), Payload("samples", samples.tobytes(), eager=True)]
    _call(key, payloads, mode="network", network=network.spec, value_range=[float(v) for v in value_range],
          labels=None if labels is None else [int(v) for v in labels], caption=caption)
