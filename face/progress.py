"""The Train page's view of a model: progress bar, loss curves and reconstructions, redrawn on a timer while the
session's job trains (the page never blocks), drawn once for a finished or loaded model.

What it keeps between runs is the Workspace's `train_view` (face.parts.TrainView): the history already received
from the job (each poll brings only new steps), how long a redraw takes, and the interval the timer was started with.
"""
from __future__ import annotations

import os
import time
from dataclasses import replace

import streamlit as st

from aecore import jobs, plots
from aecore.imaging import PAGE_LEVEL, png_bytes
from aecore.train import Run

from . import persist
from .datasets import Settings, data_for_run
from .paths import scrub
from .session import workspace
from .widgets import chart_config, model_banner, presenting

# Redraw every CADENCE_S while training; slower (up to MAX_CADENCE_S) when a redraw takes more than
# DRAW_BUDGET of the interval. Measured with scripts/bench_ui.py on the 2-core machine: a redraw costs the
# server ~1% of a core at 0.5-2 s; the browser's cost dominates (~0.15 core/s for the loss chart, ~0.1 for
# the rest, software rendering), so 1 s, as the issue asks, with slowing down on a busy server.
CADENCE_S = float(os.environ.get("LATENT_LAB_CADENCE_S", "1.0"))   # the variable is for scripts/bench_ui.py
MAX_CADENCE_S = 5.0
DRAW_BUDGET = 0.05
PREVIEW_SCALE = 3   # pixels per data pixel in the reconstruction grid: crisp on a projector
ROW_NAMES = {"input": "test inputs", "corrupted": "the same, corrupted (what the model sees)",
             "reconstruction": "reconstructions"}


def poll(job: jobs.Job) -> tuple[jobs.Progress, list]:
    """The job's progress, and the whole history of its run (only new steps cross the thread boundary)."""
    key, view = (job.run.id, id(job.run)), workspace().train_view
    cache = view.steps
    if cache is None or cache[0] != key:
        cache = view.steps = (key, [])
    progress = job.poll(since=len(cache[1]))
    cache[1].extend(progress.history)
    return progress, cache[1]


def progress_ui(progress: jobs.Progress, steps: list, run: Run) -> None:
    """One frame: queue notice or progress bar, error, loss curves and reconstructions. Charts have the camera
    icon (the Export section points to it) once training has ended; while it runs they redraw every second."""
    if progress.status == "queued":   # said once: the bar would repeat it at 0%
        st.info(f"Waiting for a free trainer: {progress.running} model(s) are training on this server and yours is "
                f"number {progress.queue_position} in the queue. It starts by itself.")
    else:
        st.progress(progress.fraction, text=progress.summary)
    if progress.error:
        (st.error if progress.status == "failed" else st.warning)(scrub(progress.error))
    config = {"displayModeBar": False} if progress.active else chart_config("loss-curve")
    chart, recon = st.columns([5, 4], gap="medium")
    with chart:
        st.markdown("**Loss** (lower is better)")
        st.plotly_chart(plots.loss_curve(steps, progress.test_history, run.model_config.variational,
                                         height=loss_height()), key="train_loss", config=config)
        last = steps[-1].losses["loss"] if steps else None
        cols = st.columns(3)
        cols[0].metric("Train loss (last batch)", "–" if last is None else f"{last:.2f}")
        cols[1].metric("Test loss", "–" if progress.test_loss is None else f"{progress.test_loss:.2f}")
        cols[2].metric("Samples / s", "–" if not progress.samples_per_s else f"{progress.samples_per_s:,.0f}")
    with recon:
        st.markdown("**Reconstructions** of test samples")
        preview_ui(progress.preview, progress.active)


def loss_height() -> int:
    """The loss chart's height in pixels: lower in presenter view, where the text around it is larger, so the
    whole chart stays on a 1080-pixel-high screen."""
    return 280 if presenting() else 320


def preview_ui(preview: jobs.Preview | None, active: bool = False) -> None:
    if preview is None:
        st.caption("They appear here after the first training step.")
        return
    rows = " · ".join(ROW_NAMES.get(name, name) for name in preview.rows)
    caption = f"Rows, top to bottom: {rows} (at step {preview.step:,})"
    if preview.grid is not None:
        grid = png_bytes(preview.grid, PREVIEW_SCALE, PAGE_LEVEL)
        st.image(grid, caption=caption, output_format="PNG")   # no JPEG blur
    else:
        st.plotly_chart(plots.series_preview(preview.values, preview.rows), key="train_series",
                        config={"displayModeBar": False} if active else chart_config("reconstructions"))
        st.caption(caption.replace("Rows, top to bottom", "Lines"))


def cadence() -> float:
    """Seconds between redraws: CADENCE_S, or slower when a redraw takes more than DRAW_BUDGET of it."""
    draw_s = workspace().train_view.draw_s or 0.0
    return min(MAX_CADENCE_S, max(CADENCE_S, draw_s / DRAW_BUDGET))


def _live_ui(banner) -> None:
    """Redrawn on a timer while the job is queued or running; a full rerun when it ends stops the timer.
    It also redraws the banner (a container at the top of the page), whose test loss changes each epoch."""
    t0 = time.perf_counter()
    ws = workspace()
    if ws.job is None or ws.job.run is not ws.run:
        st.rerun()
    progress, steps = poll(ws.job)
    with banner:
        model_banner()
    progress_ui(progress, steps, ws.run)
    persist.save()   # every SAVE_EVERY_S while training: a reload mid-run finds the model this far
    draw_s = time.perf_counter() - t0   # wall time: on a busy machine, waiting for the CPU is part of the cost
    view = ws.train_view
    view.draw_s = 0.8 * (draw_s if view.draw_s is None else view.draw_s) + 0.2 * draw_s
    timer = view.cadence or CADENCE_S
    if not progress.active or not timer / 1.5 <= cadence() <= timer * 1.5:
        st.rerun()   # the buttons, the banner and the timer follow the new state (or the new cadence)


def live_ui(banner) -> None:
    """The view while this session's job trains: a fragment on a timer at the current cadence."""
    view = workspace().train_view
    view.cadence = cadence()
    st.fragment(run_every=view.cadence)(_live_ui)(banner)


def idle_ui(settings: Settings, data) -> None:
    """Before the first Train: the same layout, empty (it also makes the browser load its chart library now,
    not after the click: that took seconds on a busy 2-core machine, see scripts/bench_ui.py)."""
    st.caption(f"Press **Train** to train a **{settings.variant}** with a {settings.model.latent_dim}-number code on "
               f"{data.title} for {settings.train.epochs} epoch(s). Change the settings in the sidebar.")
    chart, recon = st.columns([5, 4], gap="medium")
    with chart:
        st.markdown("**Loss** (lower is better)")
        empty = plots.loss_curve([], [], settings.model.variational, height=loss_height(), epochs=settings.train.epochs)
        st.plotly_chart(empty, key="train_loss", config={"displayModeBar": False})
    with recon:
        st.markdown("**Reconstructions** of test samples")
        preview_ui(None)


def final_ui() -> None:
    """The state after training (or of a loaded model): drawn once, no timer."""
    ws = workspace()
    run, job = ws.run, ws.job
    if job is not None and job.run is run:
        progress, steps = poll(job)
    else:   # a loaded model: its history, and a preview computed here (a few test samples, milliseconds)
        data = data_for_run(run)
        preview = jobs.preview_for(run, data) if data is not None else None
        progress = jobs.progress_of(run, preview)
        if ws.interrupted:   # not stopped by the student: its server went away mid-training (face.reattach)
            progress = replace(progress, status="interrupted", error=ws.interrupted)
        steps = run.history
    progress_ui(progress, steps, run)
