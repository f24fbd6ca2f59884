"""Imputation: hide a region or a fraction of every test sample, fill it in by repeated reconstruction, and
compare the error on the hidden values with filling in the training mean.

State: the Workspace's group "imputation" (aecore.apps.Imputation's model, when the current one is not used);
widgets "impute_source", "impute_mask", "impute_fraction", "impute_iterations".
"""
from __future__ import annotations

from dataclasses import replace

import streamlit as st

from aecore import plots
from aecore.apps import Imputation, Schedule, impute
from aecore.lecture.pageclaims import page_default
from face.datasets import current_data, seed
from face.experiment import Outcome, current_outcome, evaluated, experiment_ui, usable_current
from face.session import page_setup
from face.widgets import chart_config, choice_ui, intro_ui, model_banner, show_images

SHOWN = 12
BUTTON = "Train the autoencoder"
MASK_NAMES = {"block": "a block (square / time span)", "random": "scattered values"}
INTRO = """Suppose part of each sample is missing: dropped readings in a signal, dead pixels in an image. An
autoencoder has learnt what whole samples look like, so it can guess the missing values from the rest: fill the
gaps with the average, reconstruct, copy the reconstruction into the gaps only, and repeat. The visible values are
never changed, so the error below is measured on the hidden values alone, against simply filling in the mean.
Scattered gaps are where it shines (on MNIST about 60% less error than the mean); hide one big **block** instead
and there is far less left to guess from: the first round still helps a little, and later rounds drift back
towards the average digit, as the error curve shows."""


def form_ui(data) -> Imputation:
    d = page_default("imputation", data)   # aecore.lecture.pageclaims: the default whose claim is checked
    c1, c2 = st.columns(2)
    k = c1.number_input("Bottleneck size", 2, 256, d.latent_dim, key="impute_k",
                        help="Bigger codes copy more detail; smaller ones guess more from the overall shape.")
    epochs = c2.number_input("Epochs", 1, 50, d.schedule.epochs, key="impute_epochs")
    return Imputation(int(k), schedule=Schedule(int(epochs), seed=seed()))


def model_ui(data) -> Outcome | None:
    """The model to fill with: the current one when it fits this data, else one trained here on request."""
    current = usable_current(data)
    choices = (["current"] if current is not None else []) + ["new"]
    source = choice_ui("Fill with", choices, "impute_source",
                      format_func=lambda s: f"the current model ({current.variant}, "
                      f"{current.model_config.latent_dim}-d code)" if s == "current" else "an autoencoder trained here")
    if source == "current":
        return current_outcome(Imputation(), current, data)
    return experiment_ui(lambda: form_ui(data), data, key="imputation", button=BUTTON, evaluate=False,
                         hint=f"Press **{BUTTON}** (or train one on **Train** and come back: it is used directly).")


@st.fragment
def fill_ui(data, out: Outcome) -> None:
    """Mask settings and the results they give (only this panel reruns as the sliders move)."""
    c1, c2, c3 = st.columns(3)
    d = Imputation()
    mask = c1.selectbox("Hide", impute.MASKS, key="impute_mask", format_func=MASK_NAMES.get)
    fraction = c2.slider("Fraction hidden", 0.05, 0.8, d.fraction, 0.05, key="impute_fraction")
    iterations = c3.slider("Iterations", 1, 20, d.iterations, key="impute_iterations",
                           help="Rounds of reconstruct-and-replace. The curve below runs to at least "
                                f"{impute.CURVE_ROUNDS} rounds and marks the lowest: past it, more rounds drift back "
                                "towards the average sample.")
    exp = replace(out.exp, mask=mask, fraction=fraction, iterations=iterations)
    res = evaluated(replace(out, exp=exp), data, "Filling in…").result   # once per model, data and mask settings:
    # a rerun with nothing changed fills nothing again (0.4 s of 11 reconstructions of 2,000 digits, full MNIST)
    base, final = res.baseline, res.final
    m = st.columns(3)
    m[0].metric("Mean fill: error on hidden values", f"{base:.4f}")
    m[1].metric(f"Autoencoder ({rounds(iterations)}): error on hidden values", f"{final:.4f}",
                f"{(final - base) / base:+.0%}", delta_color="inverse")
    m[2].metric("Hidden values", f"{int(res.mask.sum()):,}", help=f"Over {len(res.x):,} test samples.")
    if data.kind == "image":
        lo, hi = data.value_range
        holes = res.x[:SHOWN].masked_fill(res.mask[:SHOWN], (lo + hi) / 2)   # hidden values drawn mid-grey
        for caption, img in (("original", res.x[:SHOWN]), ("what the model sees (hidden: grey)", holes),
                             ("filled with the mean", res.filled[0][:SHOWN]),
                             (f"filled by the autoencoder, {rounds(iterations)}", res.filled[-1][:SHOWN])):
            show_images(img, data.value_range, ncols=SHOWN, caption=caption, scale=2)
    else:
        st.plotly_chart(plots.recon_lines(res.x[:4].numpy(), res.filled[-1][:4].numpy(),
                                          [f"#{i}: original (grey), filled" for i in range(4)]),
                        width="stretch", key="impute_lines")
    st.plotly_chart(exp.figure(res), width="stretch", key="impute_curve", config=chart_config("imputation"))
    st.markdown(verdict(res))


def rounds(n: int) -> str:
    return f"{n} iteration" + ("" if n == 1 else "s")


def verdict(res) -> str:
    """One honest line under the curve: whether the autoencoder beat the mean here, and at which round it was best."""
    best = res.best
    if best["hidden_mse"] >= res.baseline:
        return ("Here the autoencoder does **not** beat the mean fill at any round: too much is hidden, or the model "
                "keeps too little detail (a 2-number code guesses only the overall shape). Hide scattered values, "
                "or train an autoencoder here with a bigger code.")
    gain = 1 - best["hidden_mse"] / res.baseline
    return (f"The autoencoder's lowest error is after **{rounds(best['iteration'])}**, {gain:.0%} below the mean fill"
            + ("." if res.final < res.baseline else f"; after {rounds(res.iterations)} it is worse than the mean."))


page_setup()
model_banner()
st.title("Imputation")
intro_ui(INTRO)
data = current_data()
out = data and model_ui(data)
if out:
    fill_ui(data, out)
