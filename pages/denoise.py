"""Denoising: corrupt test samples with a chosen noise, and compare a denoising autoencoder, a plain one of the
same size, a median filter and PCA at restoring them (PSNR, and pictures side by side).

State: the Workspace's group "denoise" (aecore.apps.Denoising's two models); widget "denoise_show_level".
"""
from __future__ import annotations

import streamlit as st

from aecore import plots
from aecore.apps import Denoising, Schedule, denoise
from aecore.lecture.pageclaims import page_default
from face.datasets import current_data, seed
from face.experiment import Outcome, experiment_ui
from face.session import page_setup
from face.widgets import chart_config, intro_ui, model_banner, presenting, show_images

SHOWN = 12            # test samples in the picture rows
BUTTON = "Train both autoencoders"
INTRO = """A **denoising autoencoder** sees a corrupted input but is graded on rebuilding the *clean* one, so it
must learn what digits look like rather than copy pixels (Vincent et al. 2008). Here it is compared with a plain
autoencoder of exactly the same size, and with two classical fixes: a 3×3 median filter and keeping only the top
PCA components. PSNR (decibels) measures how close each result is to the clean test sample: higher is better."""


def form_ui(data) -> Denoising:
    """The noise and the model size (nothing trains until the button is pressed)."""
    c1, c2, c3, c4 = st.columns(4)
    kind = c1.selectbox("Noise", denoise.NOISE_KINDS, key="denoise_noise",
                        help="gaussian: add N(0, σ²) and clip; masking: set a fraction of values to 0; "
                             "salt-and-pepper: set a fraction to the minimum or maximum.")
    level = c2.slider("Training noise level", 0.05, 0.9, Denoising().level, 0.05, key="denoise_level",
                      help="Gaussian: σ. Masking, salt-and-pepper: the fraction of values hit.")
    k = c3.number_input("Bottleneck size", 2, 256, Denoising().latent_dim, key="denoise_latent_dim",
                        help="Both autoencoders get this code size; PCA keeps this many components.")
    epochs = c4.number_input("Epochs", 1, 50, page_default("denoise", data).schedule.epochs, key="denoise_epochs",
                             help="Passes over the training set for each of the two models.")
    return Denoising(kind, float(level), int(k), schedule=Schedule(int(epochs), seed=seed()))


@st.fragment
def pictures_ui(data, out: Outcome) -> None:
    """Clean, noisy and every method's output for a few test samples, at a level chosen with a slider."""
    exp = out.exp
    level = st.select_slider("Noise level shown", denoise.LEVELS, exp.level if exp.level in denoise.LEVELS else 0.5,
                             key="denoise_show_level")
    shown = exp.restored(out.models, out.result, data, level, SHOWN)
    first = ("clean", "noisy input", denoise.DENOISING, denoise.PLAIN)   # the comparison the page is about, first
    shown = {**{k: shown[k] for k in first if k in shown}, **shown}
    if data.kind != "image":
        st.plotly_chart(plots.recon_lines(shown["noisy input"][:4].numpy(), shown[denoise.DENOISING][:4].numpy(),
                                          [f"#{i}: noisy (grey) and denoised" for i in range(4)]),
                        width="stretch", key="denoise_lines")
        return
    n = SHOWN // 2 if presenting() else SHOWN   # presenter view: two columns of half rows, all on one screen
    boxes = st.columns(2) if presenting() else [st.container()]
    clean = shown["clean"][:n]
    for i, (name, x) in enumerate(shown.items()):
        score = "" if name == "clean" else f" · {denoise.psnr(clean, x[:n], data.value_range):.1f} dB on these {n}"
        with boxes[i * len(boxes) // len(shown)]:
            show_images(x[:n], data.value_range, ncols=n, caption=f"{name}{score}", scale=2)


def summary(exp: Denoising, at: dict[str, float]) -> str:
    gain = at[denoise.DENOISING] - at["noisy input"]
    others = ", ".join(f"{m} {v:.1f} dB" for m, v in at.items() if "AE" not in m and m != "noisy input")
    return (f"At the training level {exp.level:g}: the denoising AE reaches **{at[denoise.DENOISING]:.1f} dB**, "
            f"{gain:+.1f} dB over the noisy input; the plain AE {at[denoise.PLAIN]:.1f} dB; {others}.")


page_setup()
model_banner()
st.title("Denoising")
intro_ui(INTRO)
data = current_data()
out = data and experiment_ui(lambda: form_ui(data), data, key="denoise", button=BUTTON,
                             spinner="Measuring PSNR at every noise level…",
                             hint=f"Choose a noise and press **{BUTTON}**. Defaults take seconds on the bundled digits.")
if out:
    exp = out.exp
    st.caption(f"Trained on {exp.noise} noise at level {exp.level:g}, bottleneck {exp.latent_dim}, "
               f"{exp.schedule.epochs} epochs, {len(data.x_train):,} training samples of {data.title}.")
    pictures_ui(data, out)
    st.subheader("PSNR against noise level")
    st.caption(f"Every test sample ({len(data.x_test):,}), corrupted with a fixed seed. PSNR pools the squared "
               "error over all values, after clipping each result to the data's range. Dashed: baselines.")
    st.plotly_chart(exp.figure(out.result), width="stretch", key="denoise_curve", config=chart_config("denoising-psnr"))
    st.markdown(summary(exp, out.result.at(exp.level)))
