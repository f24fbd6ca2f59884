"""The atlas component's network view: a gallery of samples, and every layer of the network for the one under the
mouse, computed in the browser from aecore.views.decoder_export.export_network (frontend/src/inside.js)."""
from __future__ import annotations

import numpy as np

from aecore.views.decoder_export import BrowserDecoder
from aecore.views.units import UnitViews

from . import _call
from .wire import Payload

MAX_SAMPLES = 256   # the gallery: enough to choose from, a few hundred KB at most for MNIST-sized samples


def network_ui(network: BrowserDecoder, samples: np.ndarray, labels: np.ndarray | None = None, *,
               value_range: tuple[float, float] = (0.0, 1.0), targets: np.ndarray | None = None,
               units: UnitViews | None = None, fire: float | None = None, code_map: np.ndarray | None = None,
               map_labels: np.ndarray | None = None, caption: str = "", scale: float = 1.0, key: str) -> None:
    """`network` is export_network(model); `samples` (N, *input shape) floats in the data's value range, what the
    network is fed; `labels` (N,) ints, told to a conditional model; `targets` the clean samples a denoiser is asked
    for (shown beside its output); `units` what each unit stands for (aecore.views.units.unit_views); `fire` the
    |value| from which a sparse code's unit counts as firing; `code_map` (N, 2) the samples' places in the code
    space (aecore.views.units.code_map), dots coloured by `map_labels`, hovered to pick a sample; `caption` is shown
    under the layers; `scale` how much larger the layers and pictures are (presenter view). The frame sizes itself."""
    shape = tuple(network.spec["shape"])
    samples = np.ascontiguousarray(samples, dtype="<f4")
    if samples.shape[1:] != shape or not 0 < len(samples) <= MAX_SAMPLES:
        raise ValueError(f"the gallery needs 1..{MAX_SAMPLES} samples of shape {shape}, got {samples.shape}")
    if labels is not None and len(labels) != len(samples):
        raise ValueError(f"{len(labels)} labels for {len(samples)} samples")
    if code_map is not None and np.shape(code_map) != (len(samples), 2):
        raise ValueError(f"a code map of shape {np.shape(code_map)} for {len(samples)} samples")
    if targets is not None and np.shape(targets) != samples.shape:
        raise ValueError(f"targets of shape {np.shape(targets)} for samples of shape {samples.shape}")
    payloads = [Payload("weights", network.weights, eager=True), Payload("samples", samples.tobytes(), eager=True)]
    if targets is not None:
        payloads.append(Payload("targets", np.ascontiguousarray(targets, dtype="<f4").tobytes(), eager=True))
    unit_args = None
    if units is not None:
        payloads += _unit_payloads(units)
        unit_args = {"paint_layer": units.paint_layer, "sample_shape": list(shape), "top": _top_offsets(units),
                     "paint_shape": None if units.paints is None else list(units.paints.shape[1:])}
    _call(key, payloads, mode="network", network=network.spec, value_range=[float(v) for v in value_range],
          labels=None if labels is None else [int(v) for v in labels], caption=caption, units=unit_args,
          fire=fire, scale=float(scale), code_map=None if code_map is None else {
              "points": np.round(np.asarray(code_map, dtype=float), 5).tolist(),
              "labels": None if map_labels is None else [int(v) for v in map_labels]})


def _top_offsets(units: UnitViews) -> dict[str, list[int]]:
    """layer -> [offset into the top payload, units, samples per unit], in the order _unit_payloads packs them."""
    offsets, at = {}, 0
    for name, top in units.top.items():
        offsets[name] = [at, int(top.shape[0]), int(top.shape[1])]
        at += top.size
    return offsets


def _unit_payloads(units: UnitViews) -> list[Payload]:
    top = np.concatenate([t.ravel() for t in units.top.values()]) if units.top else np.zeros(0)
    # second, once the layers are drawn (the frame asks for them): a unit's pictures matter from the first hover on
    payloads = [Payload("top", np.ascontiguousarray(top, dtype="<i4").tobytes(), eager=False),
                Payload("unit_samples", np.ascontiguousarray(units.samples, dtype=np.uint8).tobytes(), eager=False)]
    if units.paints is not None:
        payloads.append(Payload("paints", np.ascontiguousarray(units.paints, dtype="<f4").tobytes(), eager=False))
    return payloads
