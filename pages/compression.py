"""Compression: how reconstruction error falls as the code grows (autoencoder against PCA), and how many bytes a
stored code really costs (float32, float16, 8-bit) against the quality it gives back, with JPEG for reference.

Session-state keys of this page: "compress_group" (aecore.apps.training.Group: one model per bottleneck size,
and the settings they were started with).
"""
from __future__ import annotations

import pandas as pd
import streamlit as st

import ui
from aecore import plots
from aecore.apps import compress
from aecore.apps.baselines import fit_pca
from aecore.jobs import Group, ModelSpec
from aecore.config import TrainConfig
from aecore.models import variant_config

ui.ensure_frame()

DEFAULT_SIZES = [2, 8, 32]   # three models: a sweep that finishes in seconds on the bundled digits

INTRO = """An autoencoder is a learnt compressor: the encoder turns each sample into a few numbers (the **code**)
and the decoder rebuilds it. More numbers rebuild better, and each number can be stored more or less precisely.
Below, the autoencoder is compared with PCA (the best *linear* code of the same size) and, for images, with JPEG."""


@st.cache_data(max_entries=8, show_spinner="Measuring every size and format…")
def results(run_ids: tuple, data_key: tuple, k: int, current: tuple | None, _models, _current_model, _data) -> dict:
    """The sweep rows and the bytes-against-PSNR rows (pure functions of the trained models and the data)."""
    sizes = sorted(_models)
    pcas = {s: fit_pca(_data.x_train, s) for s in sizes}
    x, vr = _data.x_test, _data.value_range
    rate = (compress.code_rows(_models[k], x, vr, _data.x_train) + compress.pca_rows(pcas[k], x, vr, _data.x_train))
    if _current_model is not None:
        for r in compress.code_rows(_current_model, x, vr, _data.x_train):
            rate.append({**r, "method": f"current model ({current[0]}, {current[1]}-d code)"})
    if _data.kind == "image" and _data.in_unit_range and _data.shape[0] in (1, 3):
        rate += compress.jpeg_rows(x)
    return {"sweep": compress.sweep_rows(_models, pcas, x, vr), "rate": rate}


def settings_ui(data) -> dict | None:
    with st.form("compress_form"):
        c1, c2, c3 = st.columns([2, 1, 1])
        sizes = c1.multiselect("Bottleneck sizes to train", list(compress.SIZES), DEFAULT_SIZES, key="compress_sizes",
                               help="One autoencoder per size; PCA is fit at the same sizes.")
        k = c2.selectbox("Code size for the bytes chart", list(compress.SIZES), 2, key="compress_k",
                         help="Trained as well if it is not in the list.")
        epochs = c3.number_input("Epochs", 1, 50, ui.default_epochs(data, 3), key="compress_epochs")
        go = st.form_submit_button("Train the autoencoders", type="primary")
    if not go:
        return None
    return {"sizes": tuple(sorted(set(sizes) | {k})), "k": int(k), "epochs": int(epochs)}


def start(data, p: dict) -> None:
    old = st.session_state.get("compress_group")
    if old is not None:
        old.stop()
    train = TrainConfig(epochs=p["epochs"], seed=int(st.session_state.get("seed", 0)), eval_every_epoch=False)
    specs = [ModelSpec(str(s), data, variant_config("vanilla", latent_dim=s), train, "vanilla") for s in p["sizes"]]
    st.session_state.compress_group = Group.start(specs, {**p, "data_key": ui.data_key(data)})


def current_model(data):
    """The session's current model, when it was trained on this data and is not training now."""
    run, job = ui.current_run(), st.session_state.get("job")
    if run is None or run.model_config.conditional:
        return None
    own = ui.data_for_run(run)
    if own is None or ui.data_key(own) != ui.data_key(data):
        return None
    if job is not None and job.run is run and job.active:
        return None
    return run


def page() -> None:
    ui.model_banner()
    st.title("Compression")
    st.markdown(INTRO)
    data = ui.current_data()
    if data is None:
        return
    p = settings_ui(data)
    if p is not None:
        start(data, p)
    group = ui.finished_group("compress_group", data, button="Train the autoencoders",
                              hint="Choose the bottleneck sizes and press **Train the autoencoders** "
                                   "(one small model per size).")
    if group is None:
        return
    p = group.params
    models = {int(name): m for name, m in group.models().items()}
    cur = current_model(data)
    cur_key = (cur.variant, cur.model_config.latent_dim, cur.id, cur.step) if cur is not None else None
    res = results(tuple(r.id for r in group.runs.values()), ui.data_key(data), p["k"], cur_key, models,
                  cur.model.eval() if cur is not None else None, data)

    st.subheader("Reconstruction error against bottleneck size")
    st.caption(f"Test split of {data.title} ({len(data.x_test):,} samples), {p['epochs']} epochs per model. "
               "PCA (dashed) is the best a linear code can do; the gap is what the nonlinearity buys.")
    st.plotly_chart(plots.sweep(res["sweep"]), width="stretch", key="compress_sweep", config=ui.chart_config("compression-sweep"))

    st.subheader("Bytes per sample against quality")
    k = p["k"]
    st.caption(f"A {k}-number code takes {compress.code_bytes(k, 'float32')} bytes as float32, "
               f"{compress.code_bytes(k, 'float16')} as float16 and {compress.code_bytes(k, '8-bit')} as 8-bit "
               f"integers (plus a {compress.table_bytes(k, '8-bit')}-byte table of per-dimension offsets and scales, "
               "stored once). JPEG files are divided by the number of images, so headers are shared too. "
               f"The raw sample is {data.x_test[0].numel():,} values.")
    rows = res["rate"]
    st.plotly_chart(plots.rate_distortion(rows), width="stretch", key="compress_rate", config=ui.chart_config("compression-bytes"))
    jpeg = [r for r in rows if r["method"] == "JPEG"]
    if jpeg:
        ae8 = next(r for r in rows if r["method"].startswith("autoencoder") and r["format"] == "8-bit")
        near = compress.nearest_jpeg(jpeg, ae8["bytes"])
        st.markdown(f"At the 8-bit code's **{ae8['bytes']} bytes** the autoencoder gives **{ae8['psnr']:.1f} dB**; the "
                    f"closest JPEG ({near['format']}) needs **{near['bytes']:.0f} bytes** for {near['psnr']:.1f} dB.")
    table = pd.DataFrame(rows)[["method", "format", "bytes", "psnr"]].rename(columns={"bytes": "bytes/sample", "psnr": "PSNR (dB)"})
    st.dataframe(table, hide_index=True, width="content",
                 column_config={"bytes/sample": st.column_config.NumberColumn(format="%.1f"),
                                "PSNR (dB)": st.column_config.NumberColumn(format="%.2f")})


page()
