"""A bare Streamlit app around the atlas component, for tests/e2e/test_atlas.py and scripts/bench_atlas.py.

Query parameters: view=scatter|sliders (default scatter), n=points (default 70000: all of MNIST), decoder=mlp|conv
(the sliders' model). Python's side of every event is printed in a code block, so a test can count what arrived.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
import atlas_data  # noqa: E402

from aecore.decoder_export import export_decoder  # noqa: E402
from face.atlas import Thumbs, atlas_ui, latent_sliders_ui  # noqa: E402

st.set_page_config(page_title="Atlas demo", layout="wide")


@st.cache_resource(max_entries=2)
def demo(n: int) -> atlas_data.Demo:
    return atlas_data.load_demo(n)


@st.cache_resource(max_entries=2)
def thumbs(n: int) -> Thumbs:
    return Thumbs.from_images(demo(n).images)


@st.cache_resource(max_entries=4)
def decoder(n: int, name: str):
    return export_decoder(demo(n).models[name])


def log_ui(event: dict | None) -> None:
    """Every event Python received, in order (without nonces), as JSON a test can read."""
    log = st.session_state.setdefault("events", [])
    if event:
        log.append({k: (len(v) if k == "selected" else v) for k, v in event.items() if k != "nonce"})
    st.code(json.dumps({"events": log}), language="json")


@st.fragment
def scatter_ui(n: int) -> None:
    d = demo(n)
    event = atlas_ui(d.codes, d.labels, d.label_names, thumbs=thumbs(n), decoder=decoder(n, "mlp"),
                     inverse="identity", key="atlas")
    log_ui(event)


@st.fragment
def sliders_ui(n: int, name: str) -> None:
    d = demo(n)
    log_ui(latent_sliders_ui(decoder(n, name), label_names=d.label_names, key=f"sliders-{name}"))


query = st.query_params
n_points = int(query.get("n", 70_000))
st.title("Atlas demo")
if query.get("view", "scatter") == "sliders":
    sliders_ui(n_points, query.get("decoder", "mlp"))
else:
    scatter_ui(n_points)
