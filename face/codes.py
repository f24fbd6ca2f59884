"""Panels that decode codes a person chooses: Latent space's sliders, and Generate's sliders, traversals,
interpolation and manifold grid. Each is a fragment, so moving its widgets reruns only it.

The sliders decode in the browser while they move (face.atlas.latent_sliders_ui, with the decoder from
aecore.views.decoder_export); a decoder that cannot be exported gets the server's sliders, which decode when let go.
Their widget keys are in face.session.WIDGETS ("latent_*", "gen_*"); the rest is the Workspace's panels
(face.parts): Latent space's `latent.code_for` (the model state the server's sliders were centred for) and
`latent.click` (the pin that set them); Generate's `generate.code` (the sliders' code), `generate.revision` (bumped by
the buttons, so the browser's sliders move) and `generate.seed` (the random-sample counter).
"""
from __future__ import annotations

import numpy as np
import streamlit as st

from aecore import plots
from aecore.data import Dataset
from aecore.infer import decode
from aecore.models import Autoencoder
from aecore.views import explore

from . import caches
from .atlas import BrowserDecoder, latent_sliders_ui
from .session import widgets, workspace
from .widgets import component_scale, show_images, show_samples

TRAVERSAL_STEPS = 9    # odd: the middle column is the starting code itself
TOP_DIMS = 8           # sliders for the most used dimensions; a wall of 64 sliders teaches nothing
SLIDER_SCALE = 8       # a 28-pixel digit drawn 224 pixels wide
SLIDER_CAPTION = "your code, decoded"   # also how the browser tests find this image


def dim_name(d: int, kl: np.ndarray | None) -> str:
    return f"z{d + 1}" + (f" ({kl[d]:.2f} nats)" if kl is not None else "")


@st.fragment
def code_ui(model: Autoencoder, data: Dataset, ranges: np.ndarray, fp: str) -> None:
    """Latent space: choose a position in a 1- or 2-D code and see what it decodes to."""
    k = model.config.latent_dim
    panel = workspace().latent   # a new model clears it (Workspace.adopt): start in the middle of its codes
    if panel.code_for != fp:     # so does a new snapshot of a model in training
        panel.code_for = fp
        for d in range(k):
            widgets[f"latent_z{d}"] = round(float(ranges[d].mean()), 2)
    cols = st.columns([1, 1, 2])
    z = []
    for d in range(k):
        lo, hi = round(float(ranges[d, 0]), 2), round(float(ranges[d, 1]), 2)
        key = f"latent_z{d}"
        widgets[key] = float(np.clip(widgets.get(key, 0.0), lo, hi))   # ranges move as it trains
        with cols[d]:
            z.append(st.slider(f"z{d + 1}", lo, hi, key=key, step=0.01))
    label = None
    if model.config.conditional:
        with cols[-1]:
            label = st.selectbox("Class to decode as", range(len(data.label_names)), key="latent_class",
                                 format_func=lambda c: data.label_names[c])
    x = decode(model, np.array(z, np.float32), label)
    with cols[-1]:
        show_samples(x, data.kind, data.value_range, caption=f"decoded from ({', '.join(f'{v:.2f}' for v in z)})",
                     scale=6)


def fallback_note(reason: str) -> None:
    st.caption(f":orange[This model's decoder cannot run in your browser ({reason}), so the picture is decoded on "
               "the server when you let go of a slider.]")


def code_panel_ui(model: Autoencoder, data: Dataset, decoder: BrowserDecoder | str, codes: np.ndarray,
                  kl, pin: tuple[int, int] | None, fp: str) -> None:
    """Latent space: decode a code of your choosing, starting from the pinned point's (pin: (position, row))."""
    k = model.config.latent_dim
    ranges = explore.covering_ranges(model, codes)
    start = codes[pin[1]] if pin else ranges.mean(1)
    if isinstance(decoder, str):
        if k > 2:
            st.caption(f"This model's decoder cannot run in your browser ({decoder}): the code sliders need it for "
                       "codes of more than two numbers.")
            return
        fallback_note(decoder)
        panel = workspace().latent
        if pin and panel.click != pin[0]:   # once per pin: then the sliders are yours
            panel.click = pin[0]
            for d in range(k):
                widgets[f"latent_z{d}"] = round(float(start[d]), 2)
        code_ui(model, data, ranges, fp)
        return
    dims = sorted(explore.rank_dims(kl, k, TOP_DIMS))   # the most used, in their order: z1 above z2
    latent_sliders_ui(decoder, value=start, ranges=ranges, dims=dims, names=[dim_name(d, kl) for d in dims],
                      revision=f"{fp}:{pin[0] if pin else ''}", label_names=tuple(data.label_names),
                      scale=component_scale(), key="latent_sliders")
    hidden = f"; the other {k - len(dims)} dimensions stay at {'the pinned' if pin else 'the middle'} code" \
        if k > len(dims) else ""
    st.caption(f"Decoded in your browser while you drag{hidden}. "
               + ("They start at the pinned point's code." if pin else "Pin a point to start from its code."))


def _set_code(values: dict[int, float]) -> None:
    """Buttons: move the sliders (the server's, and the browser's by a new revision)."""
    panel = workspace().generate
    code = list(panel.code or [])
    for d, v in values.items():
        widgets[f"gen_z{d}"] = v
        if d < len(code):
            code[d] = v
    panel.code = code
    panel.revision += 1


def _random(model: Autoencoder, dims: list[int]) -> None:
    panel = workspace().generate
    panel.seed += 1
    _set_code({d: 0.0 for d in range(model.config.latent_dim)})
    _set_code(explore.random_code(model, dims, panel.seed))


@st.fragment
def sliders_ui(model: Autoencoder, dims: list[int], kl, label: int | None, kind: str, value_range,
               decoder: BrowserDecoder | str = "no decoder given", label_names: tuple[str, ...] = ()) -> None:
    """Generate: one slider per shown dimension and the decoded sample, redrawn in the browser while dragging."""
    k = model.config.latent_dim
    panel = workspace().generate
    if len(panel.code or []) != k:
        panel.code = [0.0] * k
    b1, b2, _ = st.columns([1, 1, 3])
    b1.button("Random sample", icon=":material/casino:", key="gen_random", on_click=_random, args=(model, dims),
              width="stretch", help="Draw the shown dimensions from the prior N(0, 1); the hidden ones stay at 0.")
    b2.button("Reset to 0", key="gen_reset", on_click=_set_code, args=({d: 0.0 for d in range(k)},),
              width="stretch", help="The centre of the prior: the most typical code.")
    if isinstance(decoder, str):
        fallback_note(decoder)
        _server_sliders(model, dims, kl, label, kind, value_range)
    else:
        event = latent_sliders_ui(decoder, value=panel.code, ranges=[(-explore.SPAN, explore.SPAN)] * k,
                                  dims=dims, names=[dim_name(d, kl) for d in dims], label=label,
                                  revision=panel.revision, label_names=label_names,
                                  scale=component_scale(), key="gen_sliders")
        if event and "code" in event:   # where the sliders were let go: kept for the next visit of the page
            panel.code = [float(v) for v in event["code"]]
    if k > len(dims):
        st.caption(f"Showing the {len(dims)} dimensions the model uses most; the other {k - len(dims)} stay at 0.")


def _server_sliders(model: Autoencoder, dims: list[int], kl, label: int | None, kind: str, value_range) -> None:
    """Generate's sliders on the server, for a decoder the browser cannot run: one decode per slider release."""
    left, right = st.columns([3, 2])
    z = np.zeros(model.config.latent_dim, np.float32)
    with left:
        for d in dims:
            widgets.setdefault(f"gen_z{d}", 0.0)   # set here, not as value=, so the buttons can move it
            z[d] = st.slider(dim_name(d, kl), -explore.SPAN, explore.SPAN, step=0.05, key=f"gen_z{d}",
                             help="Standard deviations of the prior: ±3 covers 99.7% of it.")
    with right:
        show_samples(decode(model, z, label), kind, value_range, caption=SLIDER_CAPTION, scale=SLIDER_SCALE,
                     key="gen_slider_plot", gradient=True)


@st.fragment
def traversal_ui(model: Autoencoder, dims: list[int], kl, label: int | None, kind: str, value_range) -> None:
    """Generate: each shown dimension swept from -3 sigma to +3 sigma, the others at 0."""
    grid = explore.traversal_grid(model, dims, steps=TRAVERSAL_STEPS, label=label)
    if kind == "image":
        show_images(grid, value_range, ncols=TRAVERSAL_STEPS, scale=3,
                    caption="rows, top to bottom: " + ", ".join(f"z{d + 1}" for d in dims) + " · columns: −3σ … +3σ")
    else:
        groups = [grid[r * TRAVERSAL_STEPS:(r + 1) * TRAVERSAL_STEPS].numpy() for r in range(len(dims))]
        st.plotly_chart(plots.line_groups(groups, [dim_name(d, kl) for d in dims], x_title=plots.x_title(kind)),
                        width="stretch", key="gen_traversal_plot")
        st.caption("Lines shade from dark (−3σ) to light green (+3σ).")


END_NAMES = {"a": "Start", "b": "End"}   # the interpolation's two ends, as their pickers are labelled


def _pick_ui(data: Dataset, side: str, default: int) -> int:
    """One end of the interpolation: a test sample chosen by class and position, or by index."""
    n = len(data.x_test)
    end = END_NAMES[side]
    if data.y_test is None or not data.label_names:
        return int(st.number_input(f"{end}: test sample", 0, n - 1, min(default, n - 1), key=f"gen_{side}_index"))
    names = data.label_names
    c = st.selectbox(f"{end}: class", range(len(names)), index=default % len(names), key=f"gen_{side}_class",
                     format_func=lambda i: names[i])
    members = np.flatnonzero(data.y_test.numpy() == c)
    if len(members) == 0:
        st.caption("No test sample of this class; using the first one.")
        return 0
    key = f"gen_{side}_nth"
    widgets[key] = min(int(widgets.get(key, 1)), len(members))   # the class may have changed
    j = st.number_input(f"Which one ({len(members)} in the test set)", 1, len(members), key=key)
    return int(members[int(j) - 1])


@st.fragment
def interpolation_ui(model: Autoencoder, data: Dataset, label: int | None) -> None:
    """Generate: decode the straight line between the codes of two test samples."""
    a_col, b_col, s_col = st.columns(3)
    with a_col:
        a = _pick_ui(data, "a", 0)
    with b_col:
        b = _pick_ui(data, "b", 1)
    with s_col:
        steps = st.slider("Steps", 3, 15, 10, key="gen_steps")
    ends = data.x_test[[a, b]]
    path = explore.interpolation(model, ends, data.y_test[[a, b]] if data.y_test is not None else None, steps, label)
    if data.kind == "image":
        show_images(ends, data.value_range, ncols=2, scale=3, caption="the two test samples")
        show_images(path, data.value_range, ncols=steps, scale=3,
                    caption="decoded along the line between their codes (the ends are their reconstructions)")
    else:
        groups = plots.line_groups([ends.numpy(), path.numpy()], ["the two test samples", "decoded along the line"],
                                   x_title=plots.x_title(data.kind))
        st.plotly_chart(groups, width="stretch", key="gen_interp_plot")
        st.caption("Lines shade from the first sample (dark) to the second (light green).")
    if model.config.conditional:
        st.caption("A conditional VAE encodes each end with its own label and decodes the whole line as the "
                   "class chosen above, so the line changes style, not class.")


@st.fragment
def manifold_ui(model: Autoencoder, dims: list[int], kl, label: int | None, value_range, fp: str) -> None:
    """Generate: an n x n grid of decodes over two chosen dimensions, at Gaussian quantiles."""
    c1, c2, c3 = st.columns(3)
    options = list(range(model.config.latent_dim))
    dx = c1.selectbox("Across", options, index=dims[0], key="gen_dim_x", format_func=lambda d: dim_name(d, kl))
    dy = c2.selectbox("Up", options, index=dims[1], key="gen_dim_y", format_func=lambda d: dim_name(d, kl))
    n = c3.slider("Grid size", 5, 25, 15, key="gen_grid_n")
    if dx == dy:
        st.warning("Choose two different dimensions.")
        return
    show_images(caches.manifold(fp, (dx, dy), n, label, model), value_range, ncols=n, scale=2,
                caption=f"z{dx + 1} grows left to right, z{dy + 1} bottom to top, at the 5%…95% quantiles of "
                        "the prior (equal prior probability between neighbours); other dimensions at 0")
