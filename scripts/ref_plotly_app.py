"""The simplest alternative to the Latent space page, for scripts/bench_pages.py: the same points (the bundled
demo VAE's codes of every MNIST digit, train then test) in a bare `st.plotly_chart` of `go.Scattergl`, one trace
per digit. Reads full MNIST from $BENCH_MNIST (default ../shared/datasets/mnist) and stops when it is not there."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import plotly.graph_objects as go
import streamlit as st

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "e2e"))
sys.path.insert(0, str(REPO))
import harness  # noqa: E402

from aecore.runs.checkpoint import load_run  # noqa: E402
from aecore.views.codes import encode_dataset  # noqa: E402

st.set_page_config(page_title="Plotly reference", layout="wide")


@st.cache_resource
def figure() -> go.Figure:
    data = harness.full_mnist(Path(os.environ.get("BENCH_MNIST", harness.MNIST)))
    codes = encode_dataset(load_run(REPO / "assets" / "demos" / "vae-mnist-2d").model, data, "all")
    fig = go.Figure()
    for label, name in enumerate(data.label_names):
        xy = codes.codes[codes.labels == label]
        fig.add_trace(go.Scattergl(x=xy[:, 0], y=xy[:, 1], mode="markers", name=name, marker={"size": 3}))
    fig.update_layout(height=520, margin={"l": 10, "r": 10, "t": 10, "b": 10})
    return fig


st.title("Plotly reference")
st.plotly_chart(figure(), key="scatter")
