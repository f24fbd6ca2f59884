"""Compression: how reconstruction error falls as the code grows (autoencoder against PCA), and how many bytes a
stored code really costs (float32, float16, 8-bit) against the quality it gives back, with JPEG for reference.

State: the Workspace's group "compression" (aecore.apps.Compression's models, one per bottleneck size).
"""
from __future__ import annotations

import pandas as pd
import streamlit as st

from aecore.apps import Compression, Schedule, compress
from face.datasets import current_data, seed
from aecore.lecture.pageclaims import page_default
from face.experiment import experiment_ui, usable_current
from face.session import page_setup
from face.widgets import chart_config, intro_ui, model_banner

BUTTON = "Train the autoencoders"
INTRO = """An autoencoder is a learnt compressor: the encoder turns each sample into a few numbers (the **code**)
and the decoder rebuilds it. More numbers rebuild better, and each number can be stored more or less precisely.
Below, the autoencoder is compared with PCA (the best *linear* code of the same size) and, for images, with JPEG.
With a few numbers the autoencoder rebuilds clearly better than PCA; at 32 numbers a short training may leave PCA
ahead (on the 5,000 offline digits it is), which the sweep shows."""


def form_ui(data) -> Compression:
    """The form, opening on the page's default (lecture/pageclaims.py: three sizes, seconds on the 5k digits)."""
    d = page_default("compression", data)
    c1, c2, c3 = st.columns([2, 1, 1])
    sizes = c1.multiselect("Bottleneck sizes to train", list(compress.SIZES), list(d.sizes), key="compress_sizes",
                           help="One autoencoder per size; PCA is fit at the same sizes.")
    k = c2.selectbox("Code size for the bytes chart", list(compress.SIZES), compress.SIZES.index(d.latent_dim),
                     key="compress_k", help="Trained as well if it is not in the list.")
    epochs = c3.number_input("Epochs", 1, 50, d.schedule.epochs, key="compress_epochs")
    return Compression(tuple(sorted(sizes)), int(k), schedule=Schedule(int(epochs), seed=seed()))


def bytes_caption(k: int, data) -> str:
    return (f"A {k}-number code takes {compress.code_bytes(k, 'float32')} bytes as float32, "
            f"{compress.code_bytes(k, 'float16')} as float16 and {compress.code_bytes(k, '8-bit')} as 8-bit "
            f"integers (plus a {compress.table_bytes(k, '8-bit')}-byte table of per-dimension offsets and scales, "
            "stored once). JPEG files are divided by the number of images, so headers are shared too. "
            f"The raw sample is {data.x_test[0].numel():,} values.")


page_setup()
model_banner()
st.title("Compression")
intro_ui(INTRO)
data = current_data()
cur = data and usable_current(data)   # the session's own model joins the bytes chart
extra = {f"current model ({cur.variant}, {cur.model_config.latent_dim}-d code)": cur} if cur else None
out = data and experiment_ui(lambda: form_ui(data), data, key="compression", button=BUTTON, extra=extra,
                             spinner="Measuring every size and format…",
                             hint=f"Choose the bottleneck sizes and press **{BUTTON}** (one small model per size).")
if out:
    exp, res = out.exp, out.result
    sweep, rate = exp.figures(res)
    st.subheader("Reconstruction error against bottleneck size")
    st.caption(f"Test split of {data.title} ({len(data.x_test):,} samples), {exp.schedule.epochs} epochs per model. "
               "PCA (dashed) is the best a linear code can do; the gap is what the nonlinearity buys.")
    st.plotly_chart(sweep, width="stretch", key="compress_sweep", config=chart_config("compression-sweep"))
    st.subheader("Bytes per sample against quality")
    st.caption(bytes_caption(exp.latent_dim, data))
    st.plotly_chart(rate, width="stretch", key="compress_rate", config=chart_config("compression-bytes"))
    if match := res.jpeg_match():
        ae8, near = match
        st.markdown(f"At the 8-bit code's **{ae8['bytes']} bytes** the autoencoder gives **{ae8['psnr']:.1f} dB**; the "
                    f"closest JPEG ({near['format']}) needs **{near['bytes']:.0f} bytes** for {near['psnr']:.1f} dB.")
    table = pd.DataFrame(res.rate)[["method", "format", "bytes", "psnr"]]
    st.dataframe(table.rename(columns={"bytes": "bytes/sample", "psnr": "PSNR (dB)"}), hide_index=True,
                 width="content", column_config={"bytes/sample": st.column_config.NumberColumn(format="%.1f"),
                                                 "PSNR (dB)": st.column_config.NumberColumn(format="%.2f")})
