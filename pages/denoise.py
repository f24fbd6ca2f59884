"""Denoising: corrupt test samples with a chosen noise, and compare a denoising autoencoder, a plain one of the
same size, a median filter and PCA at restoring them (PSNR, and pictures side by side).

Session-state keys of this page: "denoise_group" (aecore.apps.training.Group: the two models, training or
trained, and the settings they were started with), "denoise_show_level" (the level slider of the pictures).
"""
from __future__ import annotations

import streamlit as st

import ui
from aecore import plots
from aecore.apps import denoise
from aecore.apps.baselines import PCA, fit_pca
from aecore.jobs import Group, ModelSpec
from aecore.config import TrainConfig
from aecore.plots import recon_lines

ui.ensure_frame()

SHOWN = 12            # test samples in the picture rows

INTRO = """A **denoising autoencoder** sees a corrupted input but is graded on rebuilding the *clean* one, so it
must learn what digits look like rather than copy pixels (Vincent et al. 2008). Here it is compared with a plain
autoencoder of exactly the same size, and with two classical fixes: a 3×3 median filter and keeping only the top
PCA components. PSNR (decibels) measures how close each result is to the clean test sample: higher is better."""


@st.cache_resource(max_entries=4, show_spinner="Fitting PCA…")
def pca_for(data_key: tuple, k: int, _x) -> PCA:
    """PCA of the training split: read-only and a pure function of the data, so shared between sessions."""
    return fit_pca(_x, k)


@st.cache_data(max_entries=8, show_spinner="Measuring PSNR at every noise level…")
def curve(run_ids: tuple, data_key: tuple, kind: str, k: int, _methods, _x, _value_range) -> list[dict]:
    return denoise.psnr_curve(_x, _methods, kind, list(denoise.LEVELS), _value_range)


def settings_ui(data) -> dict | None:
    """The noise and the model size, in a form: nothing trains until the button is pressed."""
    with st.form("denoise_form"):
        c1, c2, c3, c4 = st.columns(4)
        kind = c1.selectbox("Noise", denoise.NOISE_KINDS, key="denoise_noise",
                            help="gaussian: add N(0, σ²) and clip; masking: set a fraction of values to 0; "
                                 "salt-and-pepper: set a fraction to the minimum or maximum.")
        level = c2.slider("Training noise level", 0.05, 0.9, 0.5, 0.05, key="denoise_level",
                          help="Gaussian: σ. Masking, salt-and-pepper: the fraction of values hit.")
        k = c3.number_input("Bottleneck size", 2, 256, 64, key="denoise_k",
                            help="Both autoencoders get this code size; PCA keeps this many components.")
        epochs = c4.number_input("Epochs", 1, 50, ui.default_epochs(data, 5), key="denoise_epochs",
                                 help="Passes over the training set for each of the two models.")
        go = st.form_submit_button("Train both autoencoders", type="primary")
    if not go:
        return None
    return {"kind": kind, "level": float(level), "k": int(k), "epochs": int(epochs)}


def start(data, p: dict) -> None:
    old = st.session_state.get("denoise_group")
    if old is not None:
        old.stop()
    cfgs = denoise.denoiser_configs(p["kind"], p["level"], p["k"])
    train = TrainConfig(epochs=p["epochs"], seed=int(st.session_state.get("seed", 0)), eval_every_epoch=False)
    specs = [ModelSpec(name, data, cfg, train, "denoising" if "denoising" in name else "vanilla")
             for name, cfg in cfgs.items()]
    st.session_state.denoise_group = Group.start(specs, {**p, "data_key": ui.data_key(data)})


@st.fragment
def pictures_ui(data, methods, p: dict) -> None:
    """Clean, noisy and every method's output for a few test samples, at a level chosen with a slider."""
    level = st.select_slider("Noise level shown", denoise.LEVELS, p["level"] if p["level"] in denoise.LEVELS else 0.5,
                             key="denoise_show_level")
    x = data.x_test[:SHOWN]
    noisy = denoise.add_noise(x, p["kind"], level, data.value_range)
    lo, hi = data.value_range
    outs = {"clean": x, **{name: fn(noisy).clamp(lo, hi) for name, fn in methods.items()}}
    if data.kind == "image":
        for name, out in outs.items():
            score = "" if name == "clean" else f" · {denoise.psnr(x, out, data.value_range):.1f} dB on these {SHOWN}"
            ui.show_images(out, data.value_range, ncols=SHOWN, caption=f"{name}{score}", scale=ui.image_scale(2))
    else:
        st.plotly_chart(recon_lines(noisy[:4].numpy(), outs["denoising AE"][:4].numpy(),
                                    [f"#{i}: noisy (grey) and denoised" for i in range(4)]),
                        width="stretch", key="denoise_lines")


def page() -> None:
    ui.model_banner()
    st.title("Denoising")
    st.markdown(INTRO)
    data = ui.current_data()
    if data is None:
        return
    p = settings_ui(data)
    if p is not None:
        start(data, p)
    group = ui.finished_group("denoise_group", data, button="Train both autoencoders",
                              hint="Choose a noise and press **Train both autoencoders**. "
                                   "Defaults take seconds on the bundled digits.")
    if group is None:
        return
    p = group.params
    models = group.models()
    pca = pca_for(ui.data_key(data), p["k"], data.x_train)
    methods = denoise.methods(models, pca, images=data.kind == "image")
    st.caption(f"Trained on {p['kind']} noise at level {p['level']:g}, bottleneck {p['k']}, {p['epochs']} epochs, "
               f"{len(data.x_train):,} training samples of {data.title}.")
    pictures_ui(data, methods, p)
    run_ids = tuple(r.id for r in group.runs.values())
    rows = curve(run_ids, ui.data_key(data), p["kind"], p["k"], methods, data.x_test, data.value_range)
    st.subheader("PSNR against noise level")
    st.caption(f"Every test sample ({len(data.x_test):,}), corrupted with a fixed seed. PSNR pools the squared "
               "error over all values, after clipping each result to the data's range. Dashed: baselines.")
    st.plotly_chart(plots.psnr_curve(rows, p["kind"]), width="stretch", key="denoise_curve",
                    config=ui.chart_config("denoising-psnr"))
    at = {r["method"]: r["psnr"] for r in rows if abs(r["level"] - p["level"]) < 1e-9}
    if at:
        gain = at["denoising AE"] - at["noisy input"]
        st.markdown(f"At the training level {p['level']:g}: the denoising AE reaches **{at['denoising AE']:.1f} dB**, "
                    f"{gain:+.1f} dB over the noisy input; the plain AE {at['plain AE']:.1f} dB; "
                    + ", ".join(f"{m} {v:.1f} dB" for m, v in at.items() if "AE" not in m and m != "noisy input") + ".")


page()
