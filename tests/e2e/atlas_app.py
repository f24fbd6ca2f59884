"""A bare Streamlit app around the atlas component, for tests/e2e/test_atlas.py and scripts/bench_atlas.py.

Query parameters: view=scatter|sliders (default scatter); data=mnist|sines (scatter; sines: line-plot pictures
and an LSTM decoder); n=points (MNIST, default 70000: all of it); thumbs=zlib|png (MNIST pictures);
decoder=mlp|conv|cvae (the sliders' model). Python's side of every event is printed in a code block, so a test
can count what arrived.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
import atlas_data  # noqa: E402

from aecore.views.decoder_export import export_decoder  # noqa: E402
from face.atlas import Thumbs, atlas_ui, latent_sliders_ui  # noqa: E402

st.set_page_config(page_title="Atlas demo", layout="wide")


@st.cache_resource(max_entries=4)
def demo(data: str, n: int) -> atlas_data.Demo:
    return atlas_data.load_waves() if data == "sines" else atlas_data.load_demo(n)


@st.cache_resource(max_entries=4)
def thumbs(data: str, n: int, fmt: str) -> Thumbs:
    d = demo(data, n)
    return Thumbs.from_lines(d.samples, d.value_range) if data == "sines" else Thumbs.from_images(d.samples, fmt)


@st.cache_resource(max_entries=4)
def decoder(name: str):
    return export_decoder(atlas_data.model(name))


def log_ui(event: dict | None) -> None:
    """Every event Python received, in order (without nonces), as JSON a test can read."""
    log = st.session_state.setdefault("events", [])
    if event:
        log.append({k: (len(v) if k == "selected" else v) for k, v in event.items() if k != "nonce"})
    st.code(json.dumps({"events": log}), language="json")


@st.fragment
def scatter_ui(data: str, n: int, fmt: str) -> None:
    d = demo(data, n)
    event = atlas_ui(d.codes, d.labels, d.label_names, thumbs=thumbs(data, n, fmt),
                     decoder=decoder("lstm" if data == "sines" else "mlp"), inverse="identity", key="atlas")
    log_ui(event)


@st.fragment
def sliders_ui(name: str) -> None:
    names = atlas_data.dataset("mnist").label_names
    log_ui(latent_sliders_ui(decoder(name), label_names=names, key=f"sliders-{name}"))


query = st.query_params
st.title("Atlas demo")
if query.get("view", "scatter") == "sliders":
    sliders_ui(query.get("decoder", "mlp"))
else:
    scatter_ui(query.get("data", "mnist"), int(query.get("n", 70_000)), query.get("thumbs", "zlib"))
