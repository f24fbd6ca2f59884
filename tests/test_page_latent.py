"""AppTest of pages/latent.py with a tiny trained run seeded in session state.

The atlas and the code sliders are custom components (face.atlas): AppTest shows each as an element whose
arguments we read (`component`), and a person's click or selection is its value, set in session state.
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from helpers import trained_run
from page_helpers import LATENT_PAGE as PAGE
from page_helpers import atlas, charts, component, frame_asks, seed_workspace, ws
from streamlit.testing.v1 import AppTest

from aecore.views import explore
from aecore.views.codes import encode_dataset


def open_page(run, data, job=None, **state) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state["dataset"] = "upload"
    seed_workspace(at, run, data, job)
    for k, v in state.items():
        at.session_state[k] = v
    return at.run()


def coords(at: AppTest) -> np.ndarray:
    """The atlas' points, from the run that sent them (the first, or one after the view changed)."""
    return np.frombuffer(atlas(at)["data_coords"], "<f4").reshape(-1, 2)


def act(at: AppTest, **event) -> AppTest:
    """A click ({"clicked": i}) or a selection ({"selected": [...], "how": "box"}) in the atlas, then its rerun."""
    at.session_state["latent_atlas"] = {**event, "nonce": f"test-{time.monotonic_ns()}"}
    return at.run()


@pytest.fixture(scope="module")
def vae2():
    return trained_run("vae", latent_dim=2)


def test_vae_with_2d_code(vae2):
    run, data = vae2
    at = open_page(run, data)
    assert not at.exception
    codes = encode_dataset(run.model, data, "all")
    xy = coords(at)
    assert len(xy) == len(data.x_train) + len(data.x_test), "every sample, train and test"
    np.testing.assert_allclose(xy, codes.codes, rtol=1e-5, atol=1e-6)   # train first, then test
    args = atlas(at)
    assert np.frombuffer(args["data_labels"], np.uint8).tolist() == codes.labels.tolist()
    assert args["label_names"] == list(data.label_names) and args["thumbs"]["count"] == len(xy)
    assert args["inverse"] == {"mean": [0.0, 0.0], "components": [[1.0, 0.0], [0.0, 1.0]]}, "decodes under the mouse"
    assert args["decoder"]["latent_dim"] == 2
    at = frame_asks(at)   # the KL chart's plotly waits for the points to be drawn (tests/test_page_speed.py)
    assert any(c["data"][0]["type"] == "bar" for c in charts(at)), "KL-per-dimension bar chart"
    sliders = component(at, "latent_sliders")
    assert sliders["dims"] == [0, 1], "sliders to decode a chosen 2-D code, in the browser"

    i = len(data.x_train) + 5                      # a test sample: pinned, shown, and the sliders start at its code
    act(at, clicked=i)
    assert not at.exception
    assert any("Pinned: **Test sample #5**" in m.value for m in at.markdown)
    assert len(at.get("image")) == 2, "its input and its reconstruction"
    moved = component(at, "latent_sliders")
    np.testing.assert_allclose(moved["value"], codes.codes[i], rtol=1e-5)
    assert moved["revision"] != sliders["revision"], "a new pin moves the sliders"


def test_a_selection_shows_its_inputs_count_and_label_mix(vae2):
    run, data = vae2
    at = open_page(run, data)
    act(at, selected=list(range(40, 100)), how="lasso")
    assert not at.exception
    text = next(m.value for m in at.markdown if "selected" in m.value)
    labels = encode_dataset(run.model, data, "all").labels[40:100]
    top = np.bincount(labels).argmax()
    assert text.startswith("**60 selected**") and f"{data.label_names[top]}: {np.bincount(labels)[top]}" in text
    assert len(at.get("image")) == 1 and "inputs, then their reconstruction" in at.get("image")[0].proto.imgs[0].caption
    act(at, selected=[], how="clear")
    assert not any("selected" in m.value for m in at.markdown)


def test_the_split_toggle_draws_one_split(vae2):
    run, data = vae2
    at = open_page(run, data)
    at.radio(key="latent_split").set_value("test").run()
    assert not at.exception
    xy = coords(at)
    np.testing.assert_allclose(xy, encode_dataset(run.model, data, "test").codes, rtol=1e-5, atol=1e-6)
    assert atlas(at)["thumbs"]["count"] == len(data.x_test)
    act(at, clicked=0)
    assert any("Pinned: **Test sample #0**" in m.value for m in at.markdown)


def test_beyond_the_cap_an_even_sample_says_how_many_of_how_many(vae2, monkeypatch):
    from aecore.views import codes as engine
    from face import caches
    monkeypatch.setattr(caches, "even_sample", lambda n: engine.even_sample(n, 100))   # MAX_POINTS, scaled down
    caches._points.clear()
    caches._thumbs_task.clear()
    run, data = vae2
    at = open_page(run, data)
    assert not at.exception
    assert len(coords(at)) == 100 and atlas(at)["thumbs"]["count"] == 100
    n = len(data.x_train) + len(data.x_test)
    assert any(f"100 of {n:,} samples (an even sample)" in c.value for c in at.caption)
    caches._points.clear()
    caches._thumbs_task.clear()


@pytest.fixture(scope="module")
def vae5():
    return trained_run("vae", latent_dim=5, epochs=1)


def test_higher_dim_code_uses_pca(vae5):
    run, data = vae5
    at = open_page(run, data)
    assert not at.exception
    assert any("PC1" in c.value for c in at.caption)
    inverse = atlas(at)["inverse"]
    assert len(inverse["mean"]) == 5 and np.array(inverse["components"]).shape == (2, 5), "PCA decodes under the mouse"
    at = frame_asks(at)   # the sliders follow the points' first drawing
    kl = explore.encode_split(run.model, data.x_test, data.y_test).kl
    assert component(at, "latent_sliders")["dims"] == sorted(explore.rank_dims(kl, 5)), "a slider per dimension"
    assert not at.slider, "no server sliders: the browser decodes"


@pytest.mark.slow
def test_umap_computes_in_the_background_with_pca_meanwhile(vae5):
    from face import caches
    run, data = vae5
    at = open_page(run, data)
    at.radio(key="latent_method").set_value("UMAP").run()
    assert not at.exception
    assert any("PC1" in c.value for c in at.caption), "PCA is drawn while UMAP computes"
    assert any("UMAP" in p.proto.text for p in at.get("progress")), "with its progress"
    phases = ("neighbours", "neighbour graph", "laying out")   # aecore.views.umapx.phase: the bar says what runs
    assert any(any(ph in p.proto.text for ph in phases) for p in at.get("progress")), "and what it is doing"
    task = caches._umap_task(ws(at).view_model().fingerprint, caches.data_key(data))
    assert task.wait(300) and task.error is None   # the first UMAP in a process also compiles numba code
    at.run()
    assert not at.exception
    assert any("UMAP 1" in c.value for c in at.caption) and not at.get("progress")
    assert atlas(at)["inverse"] is None, "UMAP cannot be decoded under the mouse"


def test_deterministic_model_has_no_kl_chart():
    run, data = trained_run("vanilla", latent_dim=2, epochs=1)
    at = open_page(run, data)
    assert not at.exception
    assert not any(c["data"][0]["type"] == "bar" for c in charts(at))
    assert len(coords(at)) == len(data.x_train) + len(data.x_test)


def test_sequences_show_line_plots():
    run, data = trained_run("lstm", latent_dim=2, epochs=1)
    at = open_page(run, data)
    assert not at.exception
    assert atlas(at)["thumbs"]["kind"] == "line", "hover pictures are line plots"
    at = frame_asks(at)
    assert component(at, "latent_sliders")["decoder"]["ops"][0]["op"] == "lstm", "the LSTM decodes in the browser"
    act(at, clicked=1)
    assert any(c["data"] and c["data"][0]["type"] == "scatter" for c in charts(at)), "the pinned sample as lines"
    assert not at.get("image"), "no image grids for sequences"


def test_a_decoder_the_browser_cannot_run_falls_back_to_server_sliders(vae2, monkeypatch):
    from face import caches
    monkeypatch.setattr(caches, "browser_decoder", lambda key, model: "no browser decoder for TestDecoder")
    run, data = vae2
    at = frame_asks(open_page(run, data))
    assert not at.exception
    assert any("cannot run in your browser" in c.value for c in at.caption), "and says so"
    assert component(at, "latent_sliders") is None and atlas(at)["inverse"] is None
    assert len(at.slider) == 2
    before = at.get("image")[-1].value[0]
    at.slider(key="latent_z0").set_value(1.5).run()
    assert not at.exception
    assert at.get("image")[-1].value[0] != before, "a new code decodes to a new image"
    act(at, clicked=7)
    code = encode_dataset(run.model, data, "all").codes[7]
    assert at.slider(key="latent_z0").value == pytest.approx(round(float(code[0]), 2)), "a pin fills the sliders"


def test_no_run_and_missing_data_explain_themselves(vae2):
    at = AppTest.from_file(PAGE, default_timeout=30).run()
    assert not at.exception and "Train a model" in at.info[0].value
    run, _ = vae2
    at = AppTest.from_file(PAGE, default_timeout=30)
    seed_workspace(at, run)
    at.session_state["dataset"] = "upload"
    at.run()
    assert not at.exception and "not loaded" in at.warning[0].value


def test_label_mix_names_the_commonest_first():
    from face.gallery import label_mix
    assert label_mix(np.array([1, 1, 1, 0, 2, 2]), ("a", "b", "c")) == "b: 3 (50%) · c: 2 (33%) · a: 1 (17%)"
    assert label_mix(np.arange(7), tuple("abcdefg")).endswith("other: 2") and label_mix(None, ()) == ""


def test_while_training_the_view_is_a_snapshot_and_the_time_lapse_is_live():
    from helpers import make_images

    from aecore import jobs
    from aecore.config import TrainConfig
    from aecore.models import variant_config
    from aecore.train import new_run
    data = make_images()
    run = new_run(data, variant_config("vae", latent_dim=2), TrainConfig(epochs=10_000, batch_size=32), "vae")
    with jobs.pool_of(1) as pool:
        job = jobs.start(run, data, pool=pool, heartbeat_s=None)
        deadline = time.monotonic() + 20
        while run.step < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        at = open_page(run, data, job=job)
        assert not at.exception
        assert any("snapshot of the model at step" in i.value for i in at.info)
        assert len(coords(at)) == len(data.x_train) + len(data.x_test)
        at = frame_asks(at)
        assert any("recording while it trains" in c.value for c in at.caption), "the time-lapse, live"
        step = run.step
        assert job.active
        assert ws(at).view_model().model is not run.model, "the page decodes with a copy"
        deadline = time.monotonic() + 10   # an epoch's end (test loss, preview) can take a while on a busy machine
        while run.step <= step and time.monotonic() < deadline:
            time.sleep(0.05)
        assert run.step > step, "training went on"
        job.stop()


def test_the_time_lapse_plays_and_downloads_as_a_gif(monkeypatch):
    from helpers import make_images

    from aecore import jobs
    from aecore.views import timelapse
    monkeypatch.setattr(timelapse, "BUDGET", 1e9)   # every frame due is recorded, however loaded the machine
    from aecore.config import TrainConfig
    from aecore.models import variant_config
    from aecore.train import new_run
    data = make_images()
    run = new_run(data, variant_config("vae", latent_dim=3), TrainConfig(epochs=3, batch_size=16), "vae")
    with jobs.pool_of(1) as pool:
        job = jobs.start(run, data, pool=pool, heartbeat_s=None)
        assert job.wait(60)
    n = len(run.timelapse.frames)
    at = frame_asks(open_page(run, data))
    assert not at.exception
    assert at.slider(key="latent_tl_frame").value == n - 1, "the newest frame first"
    assert at.get("download_button"), "the GIF to download"
    at.button(key="latent_tl_go").click().run()        # play: from the start, one frame a run (timer in a browser)
    assert not at.exception and ws(at).latent.tl_play
    # the picture of the frame shown now, which the next frame's must differ from
    first, picture = at.session_state["latent_tl_frame"], at.get("image")[-1].value[0]
    assert n >= 2 and first < n - 1, "playing starts before the newest frame"
    at.run()
    assert at.session_state["latent_tl_frame"] == first + 1 and at.get("image")[-1].value[0] != picture


def test_through_the_app_frame(vae2):
    """The whole app (sidebar, navigation) with the run seeded, switched to this page."""
    run, data = vae2
    at = AppTest.from_file(str(Path(PAGE).parents[1] / "app.py"), default_timeout=60)
    at.session_state["dataset"] = "upload"
    seed_workspace(at, run, data)
    at.run()
    at.switch_page("pages/latent.py").run()
    assert not at.exception
    assert len(coords(at)) == len(data.x_train) + len(data.x_test)
