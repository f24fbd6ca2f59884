"""The yardstick for scripts/bench_atlas.py: the same points as atlas_app.py in Streamlit's own st.plotly_chart
with a WebGL scatter (go.Scattergl), one trace per label, as a page would draw them without the component."""
from __future__ import annotations

import sys
from pathlib import Path

import plotly.graph_objects as go
import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
import atlas_data  # noqa: E402

st.set_page_config(page_title="Plotly yardstick", layout="wide")


@st.cache_resource(max_entries=2)
def figure(n: int) -> go.Figure:
    d = atlas_data.load_demo(n)
    fig = go.Figure()
    for label, name in enumerate(d.label_names):
        xy = d.codes[d.labels == label]
        fig.add_trace(go.Scattergl(x=xy[:, 0], y=xy[:, 1], mode="markers", name=name, marker={"size": 3}))
    fig.update_layout(height=520, margin={"l": 10, "r": 10, "t": 10, "b": 10})
    return fig


st.title("Plotly yardstick")
st.plotly_chart(figure(int(st.query_params.get("n", 70_000))), key="scatter")
