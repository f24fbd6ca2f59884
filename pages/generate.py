"""Generate: make new samples with a variational autoencoder by choosing codes yourself: sliders, random
draws from the prior, traversals, interpolations, and a grid over two code dimensions.

Session-state keys of this page: "explore_snapshot" (shared with Latent space: the model copy used while a
job trains), "gen_z<d>" (latent sliders), "gen_seed" (random-sample counter), "gen_class" (cvae class),
"gen_a_*"/"gen_b_*" (interpolation ends), "gen_steps", "gen_dims", "gen_grid_n".
"""
from __future__ import annotations

import numpy as np
import streamlit as st
import torch

import ui
from aecore import explore, infer, plots
from aecore.models import MODELS

ui.ensure_frame()

TOP_DIMS = 8           # sliders for the most used dimensions; a wall of 64 sliders teaches nothing
TRAVERSAL_STEPS = 9    # odd: the middle column is the starting code itself
SLIDER_SCALE = 8       # a 28-pixel digit drawn 224 pixels wide
SLIDER_CAPTION = "your code, decoded"   # also how the browser tests find this image


@st.cache_data(max_entries=8, show_spinner="Encoding the test set…")
def encoded(run_id: str, step: int, fp: str, data_key: tuple, _model, _x: torch.Tensor, _y) -> explore.Encoded:
    """Test-set codes and per-dimension KL of one model state (the same cache key as the Latent page's)."""
    return explore.encode_split(_model, _x, _y)


def model_ui(run):
    """The model to decode with, its step, and whether it is training (then: a copy taken between steps)."""
    job = st.session_state.get("job")
    if job is None or job.run is not run or not job.active:
        st.session_state.pop("explore_snapshot", None)
        return run.model.eval(), run.step, False
    snap = st.session_state.get("explore_snapshot")
    if snap is None or snap[0] != run.id:
        model, step = explore.snapshot(run, job.lock)
        snap = st.session_state.explore_snapshot = (run.id, step, model)
    return snap[2], snap[1], True


def show_samples(x: torch.Tensor, kind: str, value_range, ncols: int | None = None, caption: str | None = None,
                 scale: int = 3, key: str | None = None) -> None:
    """Images as a crisp grid; sequences and vectors as one line plot (shaded first to last)."""
    if kind == "image":
        ui.show_images(x, value_range, ncols=ncols, caption=caption, scale=scale)
    else:
        st.plotly_chart(plots.line_groups([x.numpy()], [caption or ""], gradient=len(x) > 1,
                                          x_title=plots.x_title(kind)), width="stretch", key=key)


def dim_name(d: int, kl: np.ndarray | None) -> str:
    return f"z{d + 1}" + (f" ({kl[d]:.2f} nats)" if kl is not None else "")


def _set_code(values: dict[int, float]) -> None:
    for d, v in values.items():
        st.session_state[f"gen_z{d}"] = v


def _random(model, dims: list[int]) -> None:
    st.session_state.gen_seed = st.session_state.get("gen_seed", 0) + 1
    _set_code(explore.random_code(model, dims, st.session_state.gen_seed))


@st.fragment
def sliders_ui(model, dims: list[int], kl, label: int | None, kind: str, value_range) -> None:
    """One slider per shown dimension and the decoded sample; dragging reruns only this panel."""
    k = model.config.latent_dim
    b1, b2, _ = st.columns([1, 1, 3])
    b1.button("Random sample", icon=":material/casino:", key="gen_random", on_click=_random, args=(model, dims), width="stretch",
              help="Draw the shown dimensions from the prior N(0, 1); the hidden ones stay at 0.")
    b2.button("Reset to 0", key="gen_reset", on_click=_set_code, args=({d: 0.0 for d in dims},), width="stretch",
              help="The centre of the prior: the most typical code.")
    left, right = st.columns([3, 2])
    z = np.zeros(k, np.float32)
    with left:
        for d in dims:
            st.session_state.setdefault(f"gen_z{d}", 0.0)   # set here, not as value=, so the buttons can move it
            z[d] = st.slider(dim_name(d, kl), -explore.SPAN, explore.SPAN, step=0.05, key=f"gen_z{d}",
                             help="Standard deviations of the prior: ±3 covers 99.7% of it.")
    with right:
        x = infer.decode(model, z, label)
        show_samples(x, kind, value_range, caption=SLIDER_CAPTION, scale=SLIDER_SCALE, key="gen_slider_plot")
    if k > len(dims):
        st.caption(f"Showing the {len(dims)} dimensions the model uses most; the other {k - len(dims)} stay at 0.")


def class_ui(run) -> int | None:
    """For a conditional VAE, the class to generate."""
    if not run.model_config.conditional:
        return None
    names = run.data_info.label_names
    return st.columns([1, 2])[0].selectbox("Class to generate", range(len(names)), key="gen_class", format_func=lambda c: names[c],
                        help="A conditional VAE is told the label, so the code only has to hold the style.")


@st.fragment
def traversal_ui(model, dims: list[int], kl, label: int | None, kind: str, value_range) -> None:
    """Each shown dimension swept from -3 sigma to +3 sigma, the others at 0."""
    grid = explore.traversal_grid(model, dims, steps=TRAVERSAL_STEPS, label=label)
    if kind == "image":
        ui.show_images(grid, value_range, ncols=TRAVERSAL_STEPS, scale=3,
                       caption="rows, top to bottom: " + ", ".join(f"z{d + 1}" for d in dims)
                               + " · columns: −3σ … +3σ")
    else:
        groups = [grid[r * TRAVERSAL_STEPS:(r + 1) * TRAVERSAL_STEPS].numpy() for r in range(len(dims))]
        st.plotly_chart(plots.line_groups(groups, [dim_name(d, kl) for d in dims], x_title=plots.x_title(kind)),
                        width="stretch", key="gen_traversal_plot")
        st.caption("Lines shade from dark (−3σ) to light green (+3σ).")


def _pick_ui(data, side: str, default: int) -> int:
    """One end of the interpolation: a test sample chosen by class and position, or by index."""
    n = len(data.x_test)
    if data.y_test is None or not data.label_names:
        return int(st.number_input("Test sample", 0, n - 1, min(default, n - 1), key=f"gen_{side}_index"))
    names = data.label_names
    c = st.selectbox("Class", range(len(names)), index=default % len(names), key=f"gen_{side}_class",
                     format_func=lambda i: names[i])
    members = np.flatnonzero(data.y_test.numpy() == c)
    if len(members) == 0:
        st.caption("No test sample of this class; using the first one.")
        return 0
    key = f"gen_{side}_nth"
    st.session_state[key] = min(int(st.session_state.get(key, 1)), len(members))   # the class may have changed
    j = st.number_input(f"Which one ({len(members)} in the test set)", 1, len(members), key=key)
    return int(members[int(j) - 1])


@st.fragment
def interpolation_ui(model, data, label: int | None) -> None:
    """Decode the straight line between the codes of two test samples."""
    a_col, b_col, s_col = st.columns(3)
    with a_col:
        a = _pick_ui(data, "a", 0)
    with b_col:
        b = _pick_ui(data, "b", 1)
    with s_col:
        steps = st.slider("Steps", 3, 15, 10, key="gen_steps")
    idx = [a, b]
    y = data.y_test[idx] if data.y_test is not None else None
    path = explore.interpolation(model, data.x_test[idx], y, steps, label)
    if data.kind == "image":
        ui.show_images(data.x_test[idx], data.value_range, ncols=2, scale=3, caption="the two test samples")
        ui.show_images(path, data.value_range, ncols=steps, scale=3,
                       caption="decoded along the line between their codes (the ends are their reconstructions)")
    else:
        st.plotly_chart(plots.line_groups([data.x_test[idx].numpy(), path.numpy()],
                                          ["the two test samples", "decoded along the line"],
                                          x_title=plots.x_title(data.kind)),
                        width="stretch", key="gen_interp_plot")
        st.caption("Lines shade from the first sample (dark) to the second (light green).")
    if model.config.conditional:
        st.caption("A conditional VAE encodes each end with its own label and decodes the whole line as the "
                   "class chosen above, so the line changes style, not class.")


@st.fragment
def manifold_ui(model, dims: list[int], kl, label: int | None, value_range) -> None:
    """An n x n grid of decodes over two chosen dimensions, at Gaussian quantiles."""
    k = model.config.latent_dim
    c1, c2, c3 = st.columns(3)
    options = list(range(k))
    dx = c1.selectbox("Across", options, index=dims[0], key="gen_dim_x", format_func=lambda d: dim_name(d, kl))
    dy = c2.selectbox("Up", options, index=dims[1], key="gen_dim_y", format_func=lambda d: dim_name(d, kl))
    n = c3.slider("Grid size", 5, 25, 15, key="gen_grid_n")
    if dx == dy:
        st.warning("Choose two different dimensions.")
        return
    grid = explore.manifold_grid(model, (dx, dy), n, label=label)
    ui.show_images(grid, value_range, ncols=n, scale=2,
                   caption=f"z{dx + 1} grows left to right, z{dy + 1} bottom to top, at the 5%…95% quantiles of "
                           "the prior (equal prior probability between neighbours); other dimensions at 0")


def not_generative_ui(run) -> None:
    family = ", ".join(f"**{v}**" for v in sorted(MODELS) if MODELS[v].generative)
    st.info(f"The current model, **{run.variant}**, is a plain autoencoder: it learnt to compress and rebuild its "
            "inputs, but nothing tells it which codes are *typical*. Its codes can sit anywhere, with gaps between "
            "them, and codes in the gaps may decode to nonsense, so there is no distribution to sample from. A "
            "variational autoencoder also learns to keep its codes close to a known distribution (the prior, "
            "N(0, 1)), so a draw from that decodes to something plausible.")
    st.markdown(f"To generate, train one of the VAE family on the **Train** page: {family}. "
                "You can still decode codes of your choosing with this model on **Latent space** "
                "(when its code has 1 or 2 numbers).")


def page() -> None:
    ui.model_banner()
    st.title("Generate")
    st.markdown(
        "A variational autoencoder (VAE) learns codes that follow a simple bell curve, so *any* code drawn "
        "from it should decode to something that looks like the data. Move the sliders to choose a code "
        "yourself and watch the decoder turn it into a new sample that is in no dataset.")
    run = ui.current_run()
    if run is None:
        st.info("Train a VAE on the **Train** page (or load one on **Models**) to generate with it.")
        return
    if not run.model_config.variational:
        not_generative_ui(run)
        return
    model, step, training = model_ui(run)
    if training:
        c1, c2 = st.columns([4, 1])
        c1.info(f"Training is running: you are decoding with a snapshot of the model at step {step:,}.")
        if c2.button("Refresh snapshot", key="gen_refresh"):
            st.session_state.pop("explore_snapshot", None)
            st.rerun()
    data = ui.data_for_run(run)
    kl = None
    if data is not None:
        enc = encoded(run.id, step, explore.fingerprint(model), (data.name, data.source, len(data.x_test)),
                      model, data.x_test, data.y_test)
        kl = enc.kl
    k = model.config.latent_dim
    dims = explore.rank_dims(kl, k, TOP_DIMS)
    kind, value_range = run.data_info.kind, run.data_info.value_range
    label = class_ui(run)

    st.subheader("Choose a code")
    sliders_ui(model, dims, kl, label, kind, value_range)

    st.subheader("Traversals: one dimension at a time")
    st.caption("Each row moves one code dimension from −3σ to +3σ with the others at 0: what does it control?")
    traversal_ui(model, dims, kl, label, kind, value_range)

    st.subheader("Interpolation between two test samples")
    if data is None:
        st.info(f"Load **{run.data_info.title}** in the sidebar to pick test samples to interpolate between.")
    else:
        interpolation_ui(model, data, label)

    st.subheader("The learnt manifold: a grid over two dimensions")
    if kind != "image":
        st.caption("The manifold grid is for image data: a grid of line plots would be unreadable.")
    elif k < 2:
        st.caption("The manifold grid needs a code of at least 2 dimensions; this one has 1.")
    else:
        manifold_ui(model, dims, kl, label, value_range)


page()
