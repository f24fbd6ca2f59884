"""Latent space: where the test set lands in the model's code space, and what its points decode to.

Session-state keys of this page: "explore_snapshot" (shared with Generate: the (run id, step, model copy)
the views use while a job trains), "latent_umap" (set of (run id, step) whose UMAP view was asked for),
"latent_click" (the last clicked sample, to prefill the code sliders), "latent_z<d>" (code sliders),
"latent_code_for" (the weight fingerprint those sliders were set up for).
"""
from __future__ import annotations

from contextlib import nullcontext

import numpy as np
import streamlit as st
import torch

import ui
from aecore import explore, infer, plots
from aecore.infer import reconstruct
from aecore.project import Projection, project

ui.ensure_frame()

MAX_POINTS = 5000      # WebGL draws this many smoothly in any browser; more only hides structure under overlap
UMAP_POINTS = 2000     # UMAP embeds at most this many (fit directly, no transform): ~10 s on 2 busy cores;
                       # 5,000 took 2 min there, and placing extra points with .transform costs as much again
MAX_SHOWN = 32         # selected images shown with their reconstructions (two rows of 16)
MAX_LINES = 8          # selected sequences shown, one small plot each


@st.cache_data(max_entries=8, show_spinner="Encoding the test set…")
def encoded(run_id: str, step: int, fp: str, data_key: tuple, _model, _x: torch.Tensor, _y) -> explore.Encoded:
    """Test-set codes of one model state. Keyed by run id + step (+ a weight fingerprint), not the tensors."""
    return explore.encode_split(_model, _x, _y)


@st.cache_data(max_entries=16, show_spinner=False)
def projection(run_id: str, step: int, fp: str, data_key: tuple, method: str, cap: int, _codes: np.ndarray) -> Projection:
    """2-D view of the codes of one model state (those `explore.subsample(n, cap)` picks)."""
    return project(_codes, method, max_fit=len(_codes))


def model_ui(run):
    """The model the views use, its step, and whether it is training. While a job trains the run, a copy
    taken between two steps, kept until the person refreshes it (a slow UMAP view is not redone each rerun)."""
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
                 scale: int = 3) -> None:
    """Images as a crisp grid; sequences and vectors as line plots."""
    if kind == "image":
        ui.show_images(x, value_range, ncols=ncols, caption=caption, scale=scale)
    else:
        st.plotly_chart(plots.line_groups([x.numpy()], [caption or ""], gradient=False,
                                          x_title=plots.x_title(kind)), width="stretch")


def selected_indices(event) -> list[int]:
    """Test-set indices of the selected points (each point carries its index as customdata)."""
    out = []
    for p in (event.selection.points if event else []):
        c = p.get("customdata")
        if c is None:
            continue
        out.append(int(c[0] if isinstance(c, (list, tuple)) else c))
    return list(dict.fromkeys(out))


def selection_ui(model, data, idx: list[int], codes: np.ndarray) -> None:
    """The picked samples and their reconstructions."""
    if not idx:
        st.caption("Click a point to decode it, or drag a box or lasso (toolbar, top right) to compare many.")
        return
    cap = MAX_SHOWN if data.kind == "image" else MAX_LINES
    shown = explore.spread(idx, cap)
    ncols = min(len(shown), 16)
    if data.kind == "image":
        shown = shown[:len(shown) // ncols * ncols]   # whole rows, so each input sits above its reconstruction
    x = data.x_test[shown]
    y = data.y_test[shown] if data.y_test is not None else None
    x_hat = reconstruct(model, x, y)
    names = data.label_names
    if len(idx) == 1:
        i = idx[0]
        label = f" · label **{names[int(data.y_test[i])]}**" if y is not None and names else ""
        code = ", ".join(f"{v:.2f}" for v in codes[i][:8]) + (" …" if codes.shape[1] > 8 else "")
        st.markdown(f"Test sample **#{i}**{label} · code ({code})")
        if st.session_state.get("latent_click") != i and codes.shape[1] <= 2:   # start the code sliders there
            st.session_state.latent_click = i
            for d in range(codes.shape[1]):
                st.session_state[f"latent_z{d}"] = round(float(codes[i, d]), 2)
    else:
        st.markdown(f"**{len(idx)} selected**" + (f" (showing {len(shown)}, spread over the selection)"
                                                   if len(shown) < len(idx) else ""))
    if data.kind != "image":
        st.plotly_chart(plots.recon_lines(x.numpy(), x_hat.numpy(), [f"#{i}" for i in shown],
                                          plots.x_title(data.kind)), width="stretch")
    elif len(shown) == 1:
        cols = st.columns([1, 1, 3])
        with cols[0]:
            ui.show_images(x, data.value_range, caption="input", scale=6)
        with cols[1]:
            ui.show_images(x_hat, data.value_range, caption="reconstruction", scale=6)
    else:
        ui.show_images(explore.paired_rows(x, x_hat, ncols), data.value_range, ncols=ncols, scale=3,
                       caption="rows in pairs: inputs, then their reconstruction below")


@st.fragment
def code_ui(model, data, ranges: np.ndarray, fp: str) -> None:
    """Choose a position in a 1- or 2-D code and see what it decodes to (only this panel reruns)."""
    k = model.config.latent_dim
    if st.session_state.get("latent_code_for") != fp:   # a new model (or snapshot): start in the middle of its codes
        st.session_state.latent_code_for = fp
        for d in range(k):
            st.session_state[f"latent_z{d}"] = round(float(ranges[d].mean()), 2)
    cols = st.columns([1, 1, 2])
    z = []
    for d in range(k):
        lo, hi = round(float(ranges[d, 0]), 2), round(float(ranges[d, 1]), 2)
        key = f"latent_z{d}"
        st.session_state[key] = float(np.clip(st.session_state.get(key, 0.0), lo, hi))   # ranges move as it trains
        with cols[d]:
            z.append(st.slider(f"z{d + 1}", lo, hi, key=key, step=0.01))
    label = None
    if model.config.conditional:
        with cols[-1]:
            label = st.selectbox("Class to decode as", range(len(data.label_names)), key="latent_class",
                                 format_func=lambda c: data.label_names[c])
    x = infer.decode(model, np.array(z, np.float32), label)
    with cols[-1]:
        show_samples(x, data.kind, data.value_range, caption=f"decoded from ({', '.join(f'{v:.2f}' for v in z)})",
                     scale=6)


def _ask_umap(key: tuple) -> None:
    st.session_state.setdefault("latent_umap", set()).add(key)


def method_ui(run, step: int, k: int) -> str | None:
    """"direct" for codes of 1 or 2 numbers; otherwise PCA at once, or UMAP once asked for (it takes seconds)."""
    if k <= 2:
        return "direct"
    choice = st.radio("Projection", ["PCA", "UMAP"], horizontal=True, key="latent_method",
                      help="The code has more than two numbers, so it is flattened to 2-D. PCA keeps the two "
                           "directions of largest spread (a linear view); UMAP keeps neighbours together "
                           "(nonlinear, shows clusters better, takes several seconds).")
    if choice == "PCA":
        return "pca"
    if (run.id, step) in st.session_state.get("latent_umap", set()):
        return "umap"
    st.info("UMAP fits a nonlinear map: about 5 to 15 s here, and up to a minute more the first time after the "
            "server starts (it compiles its code).")
    st.button("Compute UMAP", key="latent_umap_go", type="primary", on_click=_ask_umap, args=((run.id, step),))
    return None


def scatter_ui(run, step: int, fp: str, data, codes: np.ndarray, method: str) -> list[int]:
    """The codes as a WebGL scatter coloured by label; returns the test indices selected in it."""
    n = len(codes)
    cap = UMAP_POINTS if method == "umap" else MAX_POINTS
    shown = explore.subsample(n, cap)
    data_key = (data.name, data.source, n)
    with st.spinner(f"Fitting UMAP to {len(shown):,} codes…") if method == "umap" else nullcontext():
        proj = projection(run.id, step, fp, data_key, method, cap, codes[shown])
    labels = data.y_test.numpy()[shown] if data.y_test is not None else None
    if len(shown) < n:
        st.caption(f"{proj.method.upper() if method != 'direct' else 'Codes'} sampled to {len(shown):,} of "
                   f"{n:,} test samples (a fixed random sample, for speed)")
    else:
        st.caption(f"{n:,} test samples")
    fig = plots.latent_scatter(proj.coords, labels, data.label_names, shown, proj.axis_labels)
    event = st.plotly_chart(fig, key=f"latent_scatter_{run.id}_{method}", on_select="rerun",
                            selection_mode=("points", "box", "lasso"), width="stretch")
    return selected_indices(event)


def page() -> None:
    ui.model_banner()
    st.title("Latent space")
    st.markdown(
        "An autoencoder squeezes every input into a short **code**, a few numbers, and rebuilds the input from "
        "it. Each dot below is one test sample placed by its code and coloured by its label: if similar samples "
        "land together, the code has captured what makes them alike, though no one told the model the labels.")
    run = ui.current_run()
    if run is None:
        st.info("Train a model on the **Train** page (or load one on **Models**) to see its latent space.")
        return
    data = ui.data_for_run(run)
    if data is None:
        st.warning(f"This model was trained on **{run.data_info.title}**, which is not loaded. Choose it in "
                   "the sidebar (or upload the same file) to see where its test samples land.")
        return
    model, step, training = model_ui(run)
    if training:
        c1, c2 = st.columns([4, 1])
        c1.info(f"Training is running: this view is a snapshot of the model at step {step:,}.")
        if c2.button("Refresh snapshot", key="latent_refresh"):
            st.session_state.pop("explore_snapshot", None)
            st.rerun()
    fp = explore.fingerprint(model)
    enc = encoded(run.id, step, fp, (data.name, data.source, len(data.x_test)), model, data.x_test, data.y_test)
    codes = enc.codes

    method = method_ui(run, step, codes.shape[1])
    if method is not None:
        selection_ui(model, data, scatter_ui(run, step, fp, data, codes, method), codes)

    if codes.shape[1] <= 2:
        st.subheader("Decode any code")
        st.caption("The code has so few numbers that you can choose them yourself: move the sliders and watch "
                   "what the decoder makes of that spot (also the empty ones between the clusters).")
        code_ui(model, data, explore.covering_ranges(model, codes), fp)

    if enc.kl is not None:
        st.subheader("Which code dimensions does the VAE use?")
        active = explore.active_count(enc.kl)
        st.caption(f"{active} of {len(enc.kl)} dimensions carry information (KL above {explore.ACTIVE_KL:g} nats). "
                   "A VAE pays for every nat a dimension carries, so dimensions it does not need collapse to the "
                   "prior (KL near 0) and the decoder ignores them.")
        st.plotly_chart(plots.kl_bar(enc.kl, explore.ACTIVE_KL), key="latent_kl", width="stretch")


page()
