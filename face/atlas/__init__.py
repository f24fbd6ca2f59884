"""The latent-space atlas: a Streamlit component that draws every point, shows a point's input on hover, decodes
the spot under the mouse in the browser, and a sliders variant that redraws a decoded sample while dragging.

The bundle in frontend/dist is committed (built from frontend/src by frontend/build.sh), so the app needs no
Node. Arrays travel as bytes, and big ones only once per content hash (see wire.py): keep the component inside
an `st.fragment`, so a click or a selection reruns that fragment and resends nothing heavy.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import streamlit.components.v1 as components

from aecore.views.decoder_export import BrowserDecoder

from ..session import widgets, workspace
from .wire import Channel, Payload, Thumbs, coords_bytes, inverse_args, labels_bytes

__all__ = ["atlas_ui", "latent_sliders_ui", "points_drawn", "Thumbs", "BrowserDecoder"]

_component = components.declare_component("atlas", path=str(Path(__file__).parent / "frontend" / "dist"))


def _scale(scale: float) -> float:
    if not 0.5 <= scale <= 4:
        raise ValueError(f"scale must be between 0.5 and 4, got {scale}")
    return float(scale)


def _channel(key: str) -> Channel:
    return workspace().components.setdefault(key, Channel())


def points_drawn(key: str) -> bool:
    """Whether the atlas `key` has drawn its points in this session's browser (its frame then asks for the
    pictures and weights it lacks), counting a request that this run has not read yet: a page can hold back what
    would compete with that first drawing."""
    return _channel(key).drawn_by(widgets.event(key))


def _call(key: str, payloads: list[Payload], **args) -> dict | None:
    """Run the component once: take its newest event, then render it with this run's acknowledgement."""
    channel = _channel(key)
    event = channel.receive(widgets.event(key))   # read before rendering: the render must acknowledge it
    meta, data = channel.args(payloads)
    _component(key=key, default=None, **args, **meta, **data)
    return event


def atlas_ui(coords: np.ndarray, labels: np.ndarray | None = None, label_names: tuple[str, ...] = (), *,
             thumbs: Thumbs | None = None, decoder: BrowserDecoder | None = None, inverse=None,
             colors: list[str] | None = None, height: int = 520, scale: float = 1.0, key: str) -> dict | None:
    """Every point of a 2-D view; returns the user's newest action, once, or None.

    Events: `{"clicked": i}` (a point was pinned), `{"selected": [i, ...], "how": "box" | "lasso" | "clear"}`,
    each with a `"nonce"`. Every click reaches Python exactly once, even when clicks come faster than reruns.

    Parameters
    ----------
    coords : (N, 2) floats, the view (codes, PCA, UMAP). Up to ~200,000 points stay fluid.
    labels : (N,) ints in 0..255 (colours and legend), or None.
    thumbs : pictures shown on hover, `Thumbs.from_images(uint8 images)` or `Thumbs.from_lines(...)`.
    decoder, inverse : with both, the spot under the mouse is decoded in the browser. `decoder` is
        `aecore.views.decoder_export.export_decoder(model)`; `inverse` is "identity" when the view is a 2-D code, or a
        fitted PCA (`mean_`, `components_`). Leave it None for views that cannot be inverted (UMAP).
    scale : how much larger type, pictures and hit areas are than Streamlit's defaults (presenter view: the
        page's own font scale, so the component grows with the page around it).
    key : required; it keeps the frame (and what it has cached) across reruns.
    """
    xy = coords_bytes(coords)
    n = len(xy) // 8
    payloads = [Payload("coords", xy, eager=True)]
    if labels is not None:
        payloads.append(Payload("labels", labels_bytes(labels, n), eager=True))
    if thumbs is not None:
        if thumbs.count != n:
            raise ValueError(f"thumbs has {thumbs.count} pictures for {n} points")
        payloads.append(Payload("thumbs", thumbs.data, eager=False, digest=thumbs.digest))
    if decoder is not None:
        payloads.append(Payload("weights", decoder.weights, eager=False))
    inv = inverse_args(inverse, decoder.spec["latent_dim"]) if decoder is not None else None
    return _call(key, payloads, mode="scatter", label_names=[str(s) for s in label_names], colors=colors,
                 thumbs=thumbs.meta() if thumbs else None, decoder=decoder.spec if decoder else None,
                 inverse=inv, height=int(height), scale=_scale(scale))


def latent_sliders_ui(decoder: BrowserDecoder, *, value=None, ranges=None, dims=None, names=None,
                      revision: str | int | None = None, label: int | None = None,
                      label_names: tuple[str, ...] = (), height: int = 260, scale: float = 1.0,
                      key: str) -> dict | None:
    """One slider per latent dimension; the browser redraws the decoded sample while a slider moves.

    Returns `{"code": [z...], "label": int | None, "nonce": ...}` when a slider is let go (or the class changes for
    a conditional model), else None. `value` sets the sliders (e.g. a pinned point's code); `ranges` gives
    (low, high) per dimension, default (-3, 3): three standard deviations of a VAE's prior. `dims` shows sliders
    for those dimensions only (the others stay at `value`), titled `names` (default "z1", "z2", ...). With a
    `revision`, the sliders move to `value` only when the revision changes (a button, a new pin), so passing back
    the code the sliders reported never pulls one away from the person dragging it.
    """
    k = decoder.spec["latent_dim"]
    ranges = [[-3.0, 3.0]] * k if ranges is None else [[float(lo), float(hi)] for lo, hi in ranges]
    if len(ranges) != k:
        raise ValueError(f"ranges has {len(ranges)} entries for {k} latent dimensions")
    dims = None if dims is None else [int(d) for d in dims]
    if dims is not None and not all(0 <= d < k for d in dims):
        raise ValueError(f"dims must lie in 0..{k - 1}, got {dims}")
    if names is not None and len(names) != len(dims if dims is not None else ranges):
        raise ValueError("names needs one title per shown slider")
    z = None if value is None else [float(v) for v in np.asarray(value, dtype=float).ravel()]
    return _call(key, [Payload("weights", decoder.weights, eager=True)], mode="sliders", decoder=decoder.spec,
                 ranges=ranges, dims=dims, names=None if names is None else [str(n) for n in names], value=z,
                 revision=revision, label=label, label_names=[str(s) for s in label_names], height=int(height),
                 scale=_scale(scale))
