"""The Export section below Train, Latent space and Generate: loss history and latent codes (CSV),
reconstructions and samples (PNG). Session-state key: "export_files" ((key, [aecore.export.Download]))."""
from __future__ import annotations

import streamlit as st

from aecore import export

from .datasets import data_for_run
from .session import workspace


def export_ui() -> None:
    """The files are made once per model state (run id and step) and kept in this session only; nothing is
    offered while the model is training (its weights change under us)."""
    ws = workspace()
    run = ws.run
    if run is None or ws.training:
        return
    data = data_for_run(run)
    key = (run.id, id(run), run.step, None if data is None else (data.name, len(data.x_test)))
    cached = st.session_state.get("export_files")
    if cached is None or cached[0] != key:
        cached = st.session_state.export_files = (key, export.run_downloads(run, data))
    with st.expander("Export", icon=":material/download:"):
        # one row that wraps: equal columns cut the longer labels off ("Latent codes of the test set (CSV)")
        with st.container(horizontal=True):
            for d in cached[1]:
                st.download_button(d.label, d.data, d.file_name, d.mime, on_click="ignore", icon=":material/download:",
                                   key=f"export_{d.file_name.rsplit('-', 1)[-1]}")
        st.caption("Charts: hold the pointer over a chart and press the camera icon at its top right to save it as "
                   "a PNG.")
