"""The skeleton every application page shares: its models train together in the background as a group kept in
the Workspace under the page's key, a progress bar redraws while they train, and the results are drawn once
they are done."""
from __future__ import annotations

import streamlit as st

from aecore import jobs
from aecore.data import Dataset
from aecore.train import Run

from .datasets import data_for_run, data_key
from .session import workspace

GROUP_POLL_S = 1.0   # progress refresh of an application page's models while they train


@st.fragment(run_every=GROUP_POLL_S)
def group_progress_ui(key: str) -> None:
    """The training bar of an application page's models; when they are done, rerun the page."""
    group = workspace().groups.get(key)
    if group is None:
        return
    p = group.progress()
    if p.finished:
        st.rerun()
    st.progress(p.fraction, text=p.summary)


def usable_current(data: Dataset) -> Run | None:
    """The current model when an application page can use it on `data`: trained on this data, not
    conditional, and not training now."""
    ws = workspace()
    run = ws.run
    if run is None or run.model_config.conditional or ws.training:
        return None
    own = data_for_run(run)
    return run if own is not None and data_key(own) == data_key(data) else None


def finished_group(key: str, data: Dataset, hint: str, button: str) -> jobs.Group | None:
    """An application page's trained models when there are results to draw; otherwise None, with what the
    page shows instead: the hint, the training bar, or why training failed."""
    group = workspace().groups.get(key)
    if group is None or group.params["data_key"] != data_key(data):
        st.info(hint)
        return None
    if not group.finished:
        group_progress_ui(key)
        return None
    if not group.complete:
        st.error("Training did not finish, so there are no results to show. " + " ".join(group.progress().errors)
                 + f" Press **{button}** to start again.")
        return None
    return group


def default_epochs(data: Dataset, large: int) -> int:
    """An application page's default epochs: `large` on a full dataset, 20 on a small one (<= 10,000 samples,
    such as the embedded 5k digits). Measured there: with 3 epochs the denoising AE lost to the median filter
    (12.1 dB vs 14.1) and the compression AE to PCA at every size; with 20 it wins (16.2 dB; at 2 and 8 numbers)
    and trains in about 10 s."""
    return 20 if len(data.x_train) <= 10_000 else large
