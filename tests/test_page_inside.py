"""AppTest of pages/inside.py: the network view is sent the whole network (export_network) and a gallery of the
model's test samples; what the browser computes from them is tests/test_network_browser.py's, what it draws
tests/e2e/test_inside.py's."""
from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from helpers import data_for, trained_run
from page_helpers import seed_workspace, ws
from streamlit.testing.v1 import AppTest

from aecore.config import TrainConfig
from aecore.models import variant_config
from aecore.train import fit, new_run
from aecore.views.units import first_layer

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


def frame_asks(at: AppTest, names: tuple[str, ...]) -> AppTest:
    """What the frame does once it has drawn the layers: ask for the payloads it lacks, then the rerun."""
    need = [h for name, h in network_args(at)["payloads"].items() if name in names]
    at.session_state["inside_network"] = {"need": need, "nonce": f"need-{time.monotonic_ns()}"}
    return at.run()


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
    points = np.array(args["code_map"]["points"])   # the samples' codes, hovered to pick one
    assert points.shape == (len(picks), 2) and args["code_map"]["labels"] == data.y_test[picks].tolist()
    assert np.isfinite(points).all() and points.std(0).min() > 0
    if args["labels"]:
        assert args["labels"] == data.y_test[picks].tolist()


@pytest.mark.parametrize("variant", ["denoising", "sparse", "vanilla"])
def test_each_unit_is_sent_what_it_stands_for_and_a_denoiser_its_clean_targets(variant):
    run, data = trained_run(variant, epochs=1)
    at = open_page(run, data)
    lazy = ("paints", "top", "unit_samples")
    first = network_args(at)
    assert not any(f"data_{name}" in first for name in lazy)   # the layers first, the units' pictures next
    args = network_args(frame_asks(at, lazy))
    shape = list(data.x_test.shape[1:])
    units = args["units"]
    assert units["paint_layer"] == "decoder.2" and units["paint_shape"] == shape
    assert len(args["data_paints"]) == 4 * run.model_config.hidden[0] * int(np.prod(shape))
    offsets = units["top"]
    assert list(offsets) == ["encoder.2", "code", "decoder.1"]
    top = np.frombuffer(args["data_top"], dtype="<i4")
    assert top.size == sum(n * k for _, n, k in offsets.values()) and offsets["code"][1:] == [2, 9]
    pool = np.frombuffer(args["data_unit_samples"], dtype=np.uint8).reshape(-1, *shape)
    assert top.max() < len(pool)
    samples = np.frombuffer(first["data_samples"], dtype="<f4").reshape(-1, *shape)
    picks = np.linspace(0, len(data.x_test) - 1, min(64, len(data.x_test))).round().astype(int)
    if variant == "denoising":   # fed the noisy samples, shown the clean ones beside the output
        targets = np.frombuffer(first["data_targets"], dtype="<f4").reshape(samples.shape)
        assert np.array_equal(targets, data.x_test[picks].numpy())
        assert 0.1 < np.abs(samples - targets).mean() < 0.4
    else:
        assert "data_targets" not in first and np.array_equal(samples, data.x_test[picks].numpy())
    assert args["fire"] == (0.1 if variant == "sparse" else None)


def test_the_weights_the_view_followed_while_training_download_as_a_gif():
    run, data = trained_run("vanilla", epochs=1)
    at = AppTest.from_file(PAGE, default_timeout=30)
    at.session_state["dataset"] = "upload"
    workspace = seed_workspace(at, run, data)
    at.run()
    assert not at.exception and not at.get("download_button")   # nothing followed yet: no GIF
    frames = workspace.filter_frames()
    assert frames.add(run.model, 1)
    with torch.no_grad():
        run.model.encoder.layers[0].weight.mul_(0.5).add_(0.1)
    assert frames.add(run.model, 2)
    at.run()
    [button] = at.get("download_button")
    assert "(3 frames)" in button.proto.label   # the two followed, and the trained weights at the end
    assert [step for step, _ in frames.frames] == [1, 2, run.step]
    assert button.proto.url   # the GIF's bytes are served (FilterFrames.gif: tests/test_units.py)


def grids(at: AppTest) -> list[tuple[str, str]]:
    """(title, caption) of each first-layer grid the page shows, left to right."""
    titles = [m.value for m in at.markdown if m.value.startswith(("**Kept:", "**Now:"))]
    captions = [c.value for c in at.caption if c.value.startswith("All ")]
    assert len(at.get("image")) == len(titles) == len(captions)
    return list(zip(titles, captions))


def named_run(variant: str):
    """A run of the registry's `variant` (its name shown in the grid's title), trained an epoch on tiny data."""
    data = data_for(variant)
    run = new_run(data, variant_config(variant, latent_dim=4), TrainConfig(epochs=1, batch_size=32, lr=3e-3), variant)
    for _ in fit(run, data):
        pass
    return run, data


def test_the_first_layer_grid_counts_the_units_that_fire_and_keeps_one_beside_the_next_model():
    run, data = named_run("sparse")
    at = open_page(run, data)
    assert not at.exception
    layer = first_layer(run.model, data)
    [(title, caption)] = grids(at)
    assert title == "**Now: sparse · bottleneck 4 · 1 epochs**"
    used = layer.units - layer.unused
    assert f"All {layer.units} units of encoder.1" in caption
    assert f"{used} fire for at least one of {layer.samples:,} test samples" in caption
    assert f"{layer.mean_rate:.0%} of them on average" in caption
    at.button(key="inside_keep").click().run()
    assert len(grids(at)) == 1 and "Train another model" in at.caption[-1].value   # the same model: shown once
    other, _ = named_run("vanilla")
    ws(at).adopt(other)
    at.run()
    [(kept, kept_caption), (now, now_caption)] = grids(at)
    assert (kept, kept_caption) == (title.replace("Now", "Kept"), caption)
    assert now == "**Now: vanilla · bottleneck 4 · 1 epochs**"
    at.button(key="inside_unkeep").click().run()
    assert grids(at) == [(now, now_caption)]
