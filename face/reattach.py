"""No silent rollback: what a save records about the training job, and what a restore tells the student when the
server that trained their model went away (it restarted, or their page moved to another replica) mid-training.

A save (face.persist) stores `job_state(ws)` beside the model: whether it was training, when, at which speed, on
which server, and which uploaded file it used. A restore that finds "training" in it, and no live job here to
follow, marks the run interrupted (`Workspace.interrupted`): the Train page shows it as interrupted and ready to
Resume, with `interrupted_message` saying where training stopped and how much was lost at most.
"""
from __future__ import annotations

import time
import uuid

import streamlit as st

from aecore import jobs
from aecore.data import DataError
from aecore.runs.store import Saved
from aecore.train import Run

from .datasets import UPLOAD, parse_upload
from .session import widgets, workspace
from .workspace import Upload, Workspace

SERVER_ID = uuid.uuid4().hex   # this server process: a restore on another (or a restarted) one reads a different id


def job_state(ws: Workspace, every_s: float) -> dict:
    """What a save records about the job: enough for a restore to tell an interrupted run from a stopped one.
    `every_s` is the longest a save can lag behind training (the save cadence plus the page's timer)."""
    run, upload = ws.run, ws.upload
    state = {"training": ws.training, "saved_at": time.time(), "server": SERVER_ID, "every_s": every_s,
             "upload": upload.name if upload.data is not None and widgets.get("dataset") == UPLOAD else None}
    if run is not None and run.history:
        last = run.history[-1]
        state["steps_per_s"] = last.samples_per_s / max(run.train_config.batch_size, 1)
    return state


def interrupted_message(state: dict, run: Run, now: float | None = None) -> str:
    """The student's news after a restore of a run that was training: where it stopped and what was lost."""
    now = time.time() if now is None else now
    where = jobs.progress_of(run).where.replace("Epoch", "epoch", 1)
    lost_s = max(0.0, min(now - float(state.get("saved_at", now)), float(state.get("every_s", 0.0))))
    steps = round(lost_s * float(state.get("steps_per_s", 0.0)))
    why = ("The server restarted while your model trained" if state.get("server") != SERVER_ID
           else "Your model stopped training while no page followed it (the tab was closed)")
    lost = (f"at most the last ~{lost_s:.0f} s of training (about {steps:,} steps) were lost"
            if lost_s >= 0.5 else "nothing after it was lost")
    return (f"{why}: training stopped at {where} (step {run.step:,}), where it was last saved; {lost}. "
            "Press **Resume** on the Train page to go on.")


def restore(ws: Workspace, saved: Saved) -> None:
    """After a restore from the store (no live job here to follow): a run that was training is interrupted, not
    stopped; the student's kept upload comes back, or the page says that it must be uploaded again."""
    lost_file = restore_upload(ws, saved.upload, saved.state)
    if saved.settings.get("dataset") == UPLOAD and (ws.upload.data is not None or lost_file):
        widgets["dataset"] = UPLOAD   # a link cannot carry an upload (aecore.lecture.share); the store can
    if saved.state.get("training") and ws.run is not None:
        ws.interrupted = interrupted_message(saved.state, ws.run) + (f" {lost_file}" if lost_file else "")
    elif lost_file:
        ws.messages.lost_upload = lost_file


def restore_upload(ws: Workspace, kept: tuple[str, bytes] | None, state: dict) -> str | None:
    """Bring back the student's kept upload; returns what to say when the file in use is gone."""
    if kept is not None:
        name, blob = kept
        try:
            ws.upload = Upload(data=parse_upload(blob, name), name=name, kept=True)
            return None
        except DataError as err:
            return f"Your file {name} no longer loads here ({err}): upload it again in the sidebar."
    if state.get("upload"):
        return (f"Your file {state['upload']} was not kept on the server (it did not fit in a student's space "
                "there): upload it again in the sidebar to train or resume.")
    return None


def interrupted_ui(page_title: str) -> None:
    """On every page but Train (whose progress view shows it), the news of an interrupted run, until Resume;
    a lost upload said once."""
    ws = workspace()
    if ws.interrupted and page_title != "Train":
        st.warning(ws.interrupted, icon=":material/restart_alt:")
    notice, ws.messages.lost_upload = ws.messages.lost_upload, None
    if notice:
        st.warning(notice, icon=":material/upload_file:")
