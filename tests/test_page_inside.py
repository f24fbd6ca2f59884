"""AppTest of pages/inside.py: the network view is sent the whole network (export_network) and a gallery of the
model's test samples; what the browser computes from them is tests/test_network_browser.py's, what it draws
tests/e2e/test_inside.py's."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from helpers import trained_run
from page_helpers import seed_workspace

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "inside.py")


def open_page(run=None, data=None) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=30)
    at.session_state["dataset"] = "upload"
    seed_workspace(at, run, data)
    return at.run()


def network_args(at: AppTest) -> dict | None:
    """The network view's arguments, its payloads' bytes under "data_<name>"."""
    for el in at.get("component_instance"):
        args = json.loads(el.proto.json_args)
        if args.get("key") == "inside_network":
            return {**args, **{a.key: a.bytes for a in el.proto.special_args}}
    return None


def test_without_a_model_the_page_says_what_to_do():
    at = open_page()
    assert not at.exception
    assert "Train a model" in at.info[0].value
    assert network_args(at) is None


@pytest.mark.parametrize("variant", ["vanilla", "conv", "cvae", "lstm"])
def test_the_browser_gets_the_whole_network_and_a_gallery(variant):
    run, data = trained_run(variant, epochs=1)
    at = open_page(run, data)
    assert not at.exception
    args = network_args(at)
    assert args["mode"] == "network"
    spec = args["network"]
    assert spec["shape"] == list(data.x_test.shape[1:]) and spec["encoder"] and spec["ops"]
    assert args["value_range"] == list(data.value_range)
    picks = np.linspace(0, len(data.x_test) - 1, min(64, len(data.x_test))).round().astype(int)
    samples = np.frombuffer(args["data_samples"], dtype="<f4").reshape(len(picks), *data.x_test.shape[1:])
    assert np.array_equal(samples, data.x_test[picks].numpy())   # the gallery: test samples spread over the split
    assert len(args["data_weights"]) == 4 * sum(p.numel() for p in run.model.parameters())
    assert (args["labels"] is not None) == (variant == "cvae")   # only a conditional model is told the label
    if args["labels"]:
        assert args["labels"] == data.y_test[picks].tolist()
