"""The Export section below Train, Latent space and Generate: loss history and latent codes (CSV),
reconstructions and samples (PNG). The files are made once per model state and dataset for every session
(`downloads`): a page view in a new session (every reload) used to encode the test set again for them."""
from __future__ import annotations

import streamlit as st

from aecore.data import Dataset
from aecore.runs import export
from aecore.train import Run

from .datasets import data_for_run, data_key
from .session import workspace


@st.cache_resource(max_entries=8, show_spinner=False)
def _downloads(key: str, dkey: tuple | None, _run: Run, _data: Dataset | None) -> tuple[export.Download, ...]:
    return tuple(export.run_downloads(_run, _data))


def downloads(run: Run, view, data: Dataset | None) -> tuple[export.Download, ...]:
    """The run's files, keyed by its model state (its content fingerprint) and the dataset: bytes no session
    changes."""
    return _downloads(view.fingerprint, None if data is None else data_key(data), run, data)


def export_ui() -> None:
    """The files of the model state on screen; nothing is offered while the model is training (its weights
    change under us)."""
    ws = workspace()
    run = ws.run
    if run is None or ws.training:
        return
    files = downloads(run, ws.view_model(), data_for_run(run))
    with st.expander("Export", icon=":material/download:"):
        # one row that wraps: equal columns cut the longer labels off ("Latent codes of the test set (CSV)")
        with st.container(horizontal=True):
            for d in files:
                st.download_button(d.label, d.data, d.file_name, d.mime, on_click="ignore", icon=":material/download:",
                                   key=f"export_{d.file_name.rsplit('-', 1)[-1]}")
        st.caption("Charts: hold the pointer over a chart and press the camera icon at its top right to save it as "
                   "a PNG.")
