"""The skeleton every application page shares: a form -> its models training together in the background (a
jobs.Group in the Workspace under the page's key) -> a progress bar while they train -> the results, computed once
per (models, data, settings).

    outcome = experiment_ui(form_ui, data, key="denoise", button="Train both autoencoders", hint="...")
    if outcome is not None:
        st.plotly_chart(outcome.exp.figure(outcome.result))

`form_ui` draws the widgets (inside the form) and returns the application object (aecore.apps) they describe;
a ValueError it or `specs` raises is shown when the button is pressed, and nothing starts.
"""
from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import streamlit as st

from aecore.apps import Experiment
from aecore.data import Dataset
from aecore.fingerprint import current
from aecore.models import Autoencoder
from aecore.tasks import Task
from aecore.train import Run

from .datasets import data_for_run, data_key
from .paths import scrub
from .session import workspace
from .widgets import presenting

BACKGROUND_SAMPLES = 10_000   # training samples above which an evaluation that reports progress runs in the background
GROUP_POLL_S = 1.0   # progress refresh of an application page's models while they train
CURRENT = "current"  # group param: the page used the session's current model instead of training one
STOPPED = "stopped"  # group param: the page's Stop button ended its training


@dataclass(frozen=True)
class Outcome:
    """What an application page draws: the settings its models were trained with (the form may show others by
    now), the runs, and `exp.evaluate`'s result (None when the page evaluates as its widgets move)."""

    exp: Experiment
    runs: dict[str, Run]
    result: Any = None

    @property
    def models(self) -> dict[str, Autoencoder]:
        return {name: run.model.eval() for name, run in self.runs.items()}

    @property
    def key(self) -> tuple:
        """What tells two sets of trained models apart (for caches and widget keys): each model's content
        fingerprint (hashed once per trained state), not its run id, which an uploaded model can copy."""
        return tuple((name, current(run)) for name, run in self.runs.items())


def experiment_ui(form_ui: Callable[[], Experiment], data: Dataset, *, key: str, button: str, hint: str,
                  current: Run | None = None, extra: dict[str, Run] | None = None, evaluate: bool = True,
                  spinner: str = "Measuring…") -> Outcome | None:
    """The form, the training, the results: None (with the hint, the progress bar or the failure on screen)
    until there are results to draw.

    Parameters
    ----------
    current : a model trained elsewhere (the session's current one) to use instead of training: pressing the
        button then trains nothing, and later reruns keep using the current model while it fits this data.
    extra : more runs handed to `evaluate` beside the trained ones (Compression measures the current model too).
    """
    start_ui(form_ui, data, key, button, current)
    found = trained_ui(key, data, hint, button)
    if found is None:
        return None
    outcome = Outcome(found.exp, {**found.runs, **(extra or {})})
    return evaluated(outcome, data, spinner) if evaluate else outcome


def start_ui(form_ui: Callable[[], Experiment], data: Dataset, key: str, button: str, current: Run | None) -> None:
    """The page's settings in a form (moving a widget reruns nothing). When its button is pressed and the settings
    make sense for this data, the models start training (replacing the page's old ones); else the reason shows.
    In presenter view, once there are results, the form is one line that opens on a click: the results fit below."""
    group = workspace().groups.get(key)
    done = group is not None and group.complete and group.params["data_key"] == data_key(data)
    box = (st.expander("Settings: open to change them and train again", icon=":material/tune:")
           if done and presenting() else st.container())
    with box, st.form(f"{key}_form"):
        try:
            exp, error = form_ui(), None
        except ValueError as err:
            exp, error = None, err
        pressed = st.form_submit_button(button, type="primary")
    if not pressed:
        return
    try:
        if error is not None:
            raise error
        specs = [] if current is not None else exp.specs(data)   # checks the settings against the data
        workspace().start_group(key, specs, {"exp": exp, "data_key": data_key(data), CURRENT: current is not None},
                                describe=getattr(exp, "describe", None))   # or refused by the class's limits
    except ValueError as err:
        text = str(err).rstrip(".")
        st.error(scrub(f"{text[:1].upper()}{text[1:]}."))


def trained_ui(key: str, data: Dataset, hint: str, button: str) -> Outcome | None:
    """The page's trained models when they are ready, else None with what the page shows instead: the hint,
    the training bar, or why training failed."""
    group = workspace().groups.get(key)
    if group is None or group.params["data_key"] != data_key(data):
        st.info(hint)
        return None
    if not group.finished:
        group_progress_ui(key)
        return None
    if not group.complete:
        if group.params.get(STOPPED):
            st.info(f"Stopped before the end, so there are no results to show. Press **{button}** to train again.")
        else:
            st.error(scrub("Training did not finish, so there are no results to show. "
                           + " ".join(group.progress().errors) + f" Press **{button}** to start again."))
        return None
    exp = group.params["exp"]
    if not group.params[CURRENT]:
        return Outcome(exp, group.runs)
    run = usable_current(data)
    if run is None:
        st.warning(f"The current model changed or is training: press **{button}** again.")
        return None
    return current_outcome(exp, run, data)


def current_outcome(exp: Experiment, run: Run, data: Dataset) -> Outcome:
    """The current model standing in for the one model an experiment would train (under that model's name)."""
    (spec,) = exp.specs(data)
    return Outcome(exp, {spec.name: run})


def evaluated(outcome: Outcome, data: Dataset, spinner: str = "Measuring…") -> Outcome | None:
    """The outcome with `exp.evaluate`'s result, cached per (models, data, settings); a page that has its model
    without the form (the current one) calls it directly. An experiment whose `evaluate` reports progress runs
    it, on more than BACKGROUND_SAMPLES training samples, in the background with a bar and the time left (None
    until done): Features' classifiers on full MNIST took minutes behind a bare spinner."""
    if "progress" in inspect.signature(outcome.exp.evaluate).parameters and len(data.x_train) > BACKGROUND_SAMPLES:
        return evaluated_in_background(outcome, data, spinner)
    with st.spinner(spinner):
        result = _evaluated(outcome.key, data_key(data), repr(outcome.exp), outcome.exp, outcome.models, data)
    return Outcome(outcome.exp, outcome.runs, result)


@st.cache_data(max_entries=16, show_spinner=False)
def _evaluated(trained: tuple, dkey: tuple, params: str, _exp: Experiment, _models: dict, _data: Dataset) -> Any:
    """exp.evaluate, once per (models, data, settings): a pure function of them."""
    return _exp.evaluate(_models, _data)


def evaluated_in_background(outcome: Outcome, data: Dataset, title: str) -> Outcome | None:
    task = _evaluation(outcome.key, data_key(data), repr(outcome.exp))
    if not task.done:
        task.start(lambda fraction: outcome.exp.evaluate(outcome.models, data, progress=task.report))
        evaluation_progress_ui(task, title)
        return None
    if task.error is not None:
        st.error(f"Measuring failed: {task.error}")
        return None
    return Outcome(outcome.exp, outcome.runs, task.result)


@st.cache_resource(max_entries=16, show_spinner=False)
def _evaluation(trained: tuple, dkey: tuple, params: str) -> Task:
    return Task("app-evaluation")


@st.fragment(run_every=GROUP_POLL_S)
def evaluation_progress_ui(task: Task, title: str) -> None:
    """The measuring's bar: what runs now and the time left; when done, the page again with the results."""
    if task.done:
        st.rerun()
    st.progress(task.fraction, text=f"{title.rstrip('…')}: {task.what}" + task.time_left())


@st.fragment(run_every=GROUP_POLL_S)
def group_progress_ui(key: str) -> None:
    """The training bar of an application page's models; when they are done, rerun the page."""
    group = workspace().groups.get(key)
    if group is None:
        return
    p = group.progress()
    if p.finished:
        st.rerun()
    bar, stop = st.columns([6, 1], vertical_alignment="bottom")
    bar.progress(p.fraction, text=p.summary)
    stop.button("Stop", key=f"{key}_stop", on_click=stop_group, args=(key,), width="stretch",
                help="Stop training these models. Nothing is shown until they are trained again.")


def stop_group(key: str) -> None:
    """Stop button callback: the page's models stop after their current step."""
    group = workspace().groups.get(key)
    if group is not None:
        group.params[STOPPED] = True
        workspace().stop_group(key)


def usable_current(data: Dataset) -> Run | None:
    """The current model when an application page can use it on `data`: trained on this data, not
    conditional, and not training now."""
    ws = workspace()
    run = ws.run
    if run is None or run.model_config.conditional or ws.training:
        return None
    own = data_for_run(run)
    return run if own is not None and data_key(own) == data_key(data) else None


