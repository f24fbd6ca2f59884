"""Train: start, stop, resume or reset a model with the sidebar's settings, and watch it learn live.

Session-state keys of this page: "train_steps" (the history this page has already received from the job,
keyed by run, so each poll only brings new steps), "train_draw_s" (how long a redraw takes, smoothed),
"train_cadence" (the redraw interval the timer was started with), "train_error" (why the last button press could not start training).
"""
from __future__ import annotations

import os
import time

import streamlit as st

import ui
from aecore import jobs, plots, resume
from aecore.imaging import png_bytes
from aecore.train import new_run

ui.ensure_frame()

# Redraw every CADENCE_S while training; slower (up to MAX_CADENCE_S) when a redraw takes more than
# DRAW_BUDGET of the interval. Measured with scripts/bench_ui.py on the 2-core machine: a redraw costs the
# server ~1% of a core at 0.5-2 s; the browser's cost dominates (~0.15 core/s for the loss chart, ~0.1 for
# the rest, software rendering), so 1 s, as the issue asks, with slowing down on a busy server.
CADENCE_S = float(os.environ.get("LATENT_LAB_CADENCE_S", "1.0"))   # the variable is for scripts/bench_ui.py
MAX_CADENCE_S = 5.0
DRAW_BUDGET = 0.05
FIRST_STEP_WAIT_S = 0.5   # a step takes milliseconds; the first one also builds the preview
PREVIEW_SCALE = 3   # pixels per data pixel in the reconstruction grid: crisp on a projector
ROW_NAMES = {"input": "test inputs", "corrupted": "the same, corrupted (what the model sees)",
             "reconstruction": "reconstructions"}

INTRO = """An autoencoder learns to squeeze each sample through a small **code** (the bottleneck) and rebuild
it. Training shows it many samples and nudges its weights to make the rebuilt sample closer to the input:
the **loss** measures how far off it still is, on data it trains on and on test data it never sees.
Below, watch the loss fall and the reconstructions of a few test samples sharpen."""


@st.cache_resource(show_spinner=False)
def warm_up():
    """Once per server, in the background: torch's first optimizer costs seconds (see jobs.warm_up)."""
    return jobs.warm_up()


def start_ui(fresh: bool) -> None:
    """Button callback: a new run from the sidebar's settings (fresh), or the current run continued."""
    st.session_state.train_error = None
    data = ui.current_data()
    try:
        settings = ui.settings_from_state(data.kind)
        if fresh:
            stop_ui()
            run = new_run(data, settings.model, settings.train, settings.variant)
            st.session_state.run = run
        else:
            run = st.session_state.run
            resume.prepare_resume(run, settings.train)
        st.session_state.job = job = jobs.start(run, data)
        job.wait_first_step(FIRST_STEP_WAIT_S)   # so this very rerun shows a loss point and reconstructions
    except ValueError as err:   # settings that cannot build this model on this data
        st.session_state.train_error = str(err)


def stop_ui() -> None:
    job = st.session_state.get("job")
    if job is not None and job.active:
        job.stop()
        job.wait(2.0)   # within one step: the buttons then show the stopped state at once


def reset_ui() -> None:
    stop_ui()
    for key in ("run", "job", "train_steps", "train_error"):
        st.session_state.pop(key, None)


def poll(job: jobs.Job) -> tuple[jobs.Progress, list]:
    """The job's progress, and the whole history of its run (only new steps cross the thread boundary)."""
    key = (job.run.id, id(job.run))
    cache = st.session_state.get("train_steps")
    if cache is None or cache[0] != key:
        cache = st.session_state.train_steps = (key, [])
    progress = job.poll(since=len(cache[1]))
    cache[1].extend(progress.history)
    return progress, cache[1]


def progress_ui(progress: jobs.Progress, steps: list, run) -> None:
    """One frame: progress bar, loss curves and reconstructions."""
    if progress.status == "queued":
        running = jobs.default_pool().counts[0]
        st.info(f"Waiting for a free trainer: {running} model(s) are training on this server and yours is "
                f"number {progress.queue_position} in the queue. It starts by itself.")
    st.progress(progress.fraction, text=progress.summary)
    if progress.error:
        (st.error if progress.status == "failed" else st.warning)(progress.error)
    chart, recon = st.columns([5, 4], gap="medium")
    with chart:
        st.markdown("**Loss** (lower is better)")
        st.plotly_chart(plots.loss_curve(steps, progress.test_history, run.model_config.variational),
                        key="train_loss", config={"displayModeBar": False})
        last = steps[-1].losses["loss"] if steps else None
        cols = st.columns(3)
        cols[0].metric("Train loss (last batch)", "–" if last is None else f"{last:.2f}")
        cols[1].metric("Test loss", "–" if progress.test_loss is None else f"{progress.test_loss:.2f}")
        cols[2].metric("Samples / s", "–" if not progress.samples_per_s else f"{progress.samples_per_s:,.0f}")
    with recon:
        st.markdown("**Reconstructions** of test samples")
        preview_ui(progress.preview, run)


def preview_ui(preview: jobs.Preview | None, run) -> None:
    if preview is None:
        st.caption("They appear here after the first training step.")
        return
    rows = " · ".join(ROW_NAMES.get(name, name) for name in preview.rows)
    caption = f"Rows, top to bottom: {rows} (at step {preview.step:,})"
    if preview.grid is not None:
        st.image(png_bytes(preview.grid, scale=PREVIEW_SCALE), caption=caption, output_format="PNG")   # no JPEG blur
    else:
        st.plotly_chart(plots.series_preview(preview.values, preview.rows), key="train_series",
                        config={"displayModeBar": False})
        st.caption(caption.replace("Rows, top to bottom", "Lines"))


def cadence() -> float:
    """Seconds between redraws: CADENCE_S, or slower when a redraw takes more than DRAW_BUDGET of it."""
    draw_s = st.session_state.get("train_draw_s", 0.0)
    return min(MAX_CADENCE_S, max(CADENCE_S, draw_s / DRAW_BUDGET))


def live_ui(banner) -> None:
    """Redrawn on a timer while the job is queued or running; a full rerun when it ends stops the timer.
    It also redraws the banner (a container at the top of the page), whose test loss changes each epoch."""
    t0 = time.perf_counter()
    job, run = st.session_state.get("job"), ui.current_run()
    if job is None or job.run is not run:
        st.rerun()
    progress, steps = poll(job)
    with banner:
        ui.model_banner()
    progress_ui(progress, steps, run)
    draw_s = time.perf_counter() - t0   # wall time: on a busy machine, waiting for the CPU is part of the cost
    st.session_state.train_draw_s = 0.8 * st.session_state.get("train_draw_s", draw_s) + 0.2 * draw_s
    timer = st.session_state.get("train_cadence", CADENCE_S)
    if not progress.active or not timer / 1.5 <= cadence() <= timer * 1.5:
        st.rerun()   # the buttons, the banner and the timer follow the new state (or the new cadence)


def idle_ui(settings, data) -> None:
    """Before the first Train: the same layout, empty (it also makes the browser load its chart library now,
    not after the click: that took seconds on a busy 2-core machine, see scripts/bench_ui.py)."""
    st.caption(f"Press **Train** to train a **{settings.variant}** with a {settings.model.latent_dim}-number code on "
               f"{data.title} for {settings.train.epochs} epoch(s). Change the settings in the sidebar.")
    chart, recon = st.columns([5, 4], gap="medium")
    with chart:
        st.markdown("**Loss** (lower is better)")
        st.plotly_chart(plots.loss_curve([], [], settings.model.variational), key="train_loss",
                        config={"displayModeBar": False})
    with recon:
        st.markdown("**Reconstructions** of test samples")
        preview_ui(None, None)


def final_ui() -> None:
    """The state after training (or of a loaded model): drawn once, no timer."""
    job, run = st.session_state.get("job"), ui.current_run()
    if job is not None and job.run is run:
        progress, steps = poll(job)
    else:   # a loaded model: its history, and a preview computed here (a few test samples, milliseconds)
        data = ui.data_for_run(run)
        preview = jobs.preview_for(run, data) if data is not None else None
        progress = jobs.progress_of(run, preview)
        steps = run.history
    progress_ui(progress, steps, run)


warm_up()
banner = st.container()   # the banner: drawn by the live view while training, else here
run, job = ui.current_run(), st.session_state.get("job")
training = job is not None and job.run is run and job.active
if not training:
    with banner:
        ui.model_banner()
st.title("Train")
st.markdown(INTRO)

data = ui.current_data()
if data is None:
    st.info("Choose a dataset in the sidebar, or upload a file there, to train on.")
    st.stop()
try:
    settings = ui.settings_from_state(data.kind)
except ValueError as err:
    st.error(f"These settings cannot build a model: {err}")
    st.stop()

can_resume = run is not None and not training and resume.resumable(run, data, settings.model, settings.train)
buttons = st.columns([1, 1, 1, 1, 4])
buttons[0].button("Train", key="train_go", type="primary", disabled=training, on_click=start_ui, args=(True,),
                  help="Build a new model from the sidebar's settings and train it from scratch.")
buttons[1].button("Stop", key="train_stop", disabled=not training, on_click=stop_ui,
                  help="Stop after the current step. The model keeps what it has learnt so far.")
buttons[2].button("Resume", key="train_resume", disabled=not can_resume, on_click=start_ui, args=(False,),
                  help="Continue the stopped model where it left off. Needs the same model, data, batch size "
                       "and seed; a new learning rate or more epochs are fine.")
buttons[3].button("Reset", key="train_reset", disabled=run is None and job is None, on_click=reset_ui,
                  help="Forget the current model (download it on the Models page first to keep it).")
if st.session_state.get("train_error"):
    st.error(st.session_state.train_error)

if training:
    st.session_state.train_cadence = cadence()
    st.fragment(run_every=st.session_state.train_cadence)(live_ui)(banner)
elif run is not None:
    final_ui()
else:
    idle_ui(settings, data)
