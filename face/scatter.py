"""The Latent space scatter: how the codes are flattened to 2-D, the WebGL scatter with point, box and lasso
selection, and the selected test samples beside their reconstructions.

Session-state keys: "latent_method" (PCA or UMAP), "latent_umap" (set of model keys whose UMAP view was asked
for), "latent_click" (the last single clicked sample, which moved the code sliders there).
"""
from __future__ import annotations

from contextlib import nullcontext

import numpy as np
import streamlit as st

from aecore import explore, plots
from aecore.data import Dataset
from aecore.infer import reconstruct
from aecore.models import Autoencoder

from . import caches
from .datasets import data_key
from .widgets import show_images

MAX_POINTS = 5000      # WebGL draws this many smoothly in any browser; more only hides structure under overlap
UMAP_POINTS = 2000     # UMAP embeds at most this many (fit directly, no transform): ~10 s on 2 busy cores;
                       # 5,000 took 2 min there, and placing extra points with .transform costs as much again
MAX_SHOWN = 32         # selected images shown with their reconstructions (two rows of 16)
MAX_LINES = 8          # selected sequences shown, one small plot each


def _ask_umap(key: tuple) -> None:
    st.session_state.setdefault("latent_umap", set()).add(key)


def method_ui(key: tuple, k: int) -> str | None:
    """"direct" for codes of 1 or 2 numbers; otherwise PCA at once, or UMAP once asked for (it takes seconds)."""
    if k <= 2:
        return "direct"
    choice = st.radio("Projection", ["PCA", "UMAP"], horizontal=True, key="latent_method",
                      help="The code has more than two numbers, so it is flattened to 2-D. PCA keeps the two "
                           "directions of largest spread (a linear view); UMAP keeps neighbours together "
                           "(nonlinear, shows clusters better, takes several seconds).")
    if choice == "PCA":
        return "pca"
    if key in st.session_state.get("latent_umap", set()):
        return "umap"
    st.info("UMAP fits a nonlinear map: about 5 to 15 s here, and up to a minute more the first time after the "
            "server starts (it compiles its code).")
    st.button("Compute UMAP", key="latent_umap_go", type="primary", on_click=_ask_umap, args=(key,))
    return None


def selected_indices(event) -> list[int]:
    """Test-set indices of the selected points (each point carries its index as customdata)."""
    out = []
    for p in (event.selection.points if event else []):
        c = p.get("customdata")
        if c is None:
            continue
        out.append(int(c[0] if isinstance(c, (list, tuple)) else c))
    return list(dict.fromkeys(out))


def scatter_ui(key: tuple, data: Dataset, codes: np.ndarray, method: str) -> list[int]:
    """The codes as a WebGL scatter coloured by label; returns the test indices selected in it."""
    n = len(codes)
    cap = UMAP_POINTS if method == "umap" else MAX_POINTS
    shown = explore.subsample(n, cap)
    with st.spinner(f"Fitting UMAP to {len(shown):,} codes…") if method == "umap" else nullcontext():
        proj = caches.projection(key, data_key(data), method, cap, codes[shown])
    labels = data.y_test.numpy()[shown] if data.y_test is not None else None
    if len(shown) < n:
        st.caption(f"{proj.method.upper() if method != 'direct' else 'Codes'} sampled to {len(shown):,} of "
                   f"{n:,} test samples (a fixed random sample, for speed)")
    else:
        st.caption(f"{n:,} test samples")
    fig = plots.latent_scatter(proj.coords, labels, data.label_names, shown, proj.axis_labels)
    event = st.plotly_chart(fig, key=f"latent_scatter_{key[0]}_{method}", on_select="rerun",
                            selection_mode=("points", "box", "lasso"), width="stretch")
    return selected_indices(event)


def _start_sliders_at(i: int, codes: np.ndarray) -> None:
    """A single clicked sample of a 1- or 2-D code: the code sliders start at its code (once per click)."""
    if st.session_state.get("latent_click") != i and codes.shape[1] <= 2:
        st.session_state.latent_click = i
        for d in range(codes.shape[1]):
            st.session_state[f"latent_z{d}"] = round(float(codes[i, d]), 2)


def _heading(data: Dataset, idx: list[int], shown: list[int], codes: np.ndarray) -> None:
    if len(idx) == 1:
        i = idx[0]
        names = data.label_names
        label = f" · label **{names[int(data.y_test[i])]}**" if data.y_test is not None and names else ""
        code = ", ".join(f"{v:.2f}" for v in codes[i][:8]) + (" …" if codes.shape[1] > 8 else "")
        st.markdown(f"Test sample **#{i}**{label} · code ({code})")
        _start_sliders_at(i, codes)
    else:
        st.markdown(f"**{len(idx)} selected**" + (f" (showing {len(shown)}, spread over the selection)"
                                                   if len(shown) < len(idx) else ""))


def selection_ui(model: Autoencoder, data: Dataset, idx: list[int], codes: np.ndarray) -> None:
    """The picked samples and their reconstructions."""
    if not idx:
        st.caption("Click a point to decode it, or drag a box or lasso (toolbar, top right) to compare many.")
        return
    shown = explore.spread(idx, MAX_SHOWN if data.kind == "image" else MAX_LINES)
    ncols = min(len(shown), 16)
    if data.kind == "image":
        shown = shown[:len(shown) // ncols * ncols]   # whole rows, so each input sits above its reconstruction
    x = data.x_test[shown]
    x_hat = reconstruct(model, x, data.y_test[shown] if data.y_test is not None else None)
    _heading(data, idx, shown, codes)
    if data.kind != "image":
        st.plotly_chart(plots.recon_lines(x.numpy(), x_hat.numpy(), [f"#{i}" for i in shown],
                                          plots.x_title(data.kind)), width="stretch")
    elif len(shown) == 1:
        cols = st.columns([1, 1, 3])
        with cols[0]:
            show_images(x, data.value_range, caption="input", scale=6)
        with cols[1]:
            show_images(x_hat, data.value_range, caption="reconstruction", scale=6)
    else:
        show_images(explore.paired_rows(x, x_hat, ncols), data.value_range, ncols=ncols, scale=3,
                    caption="rows in pairs: inputs, then their reconstruction below")
