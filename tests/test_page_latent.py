"""AppTest of pages/latent.py with a tiny trained run seeded in session state."""
from __future__ import annotations

import base64
import json
import time
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from conftest import seed_workspace, trained_run, ws

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "latent.py")


def open_page(run, data, job=None, **state) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=30)
    at.session_state["dataset"] = "upload"
    seed_workspace(at, run, data, job)
    for k, v in state.items():
        at.session_state[k] = v
    return at.run()


def array(value) -> np.ndarray:
    """A plotly JSON array: a plain list, or plotly's typed-array form {"dtype", "bdata"}."""
    if isinstance(value, dict) and "bdata" in value:
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
    return np.asarray(value)


def charts(at: AppTest) -> list[dict]:
    return [json.loads(el.proto.spec) for el in at.get("plotly_chart")]


def scatter(at: AppTest) -> dict:
    found = [c for c in charts(at) if c["data"] and c["data"][0]["type"] == "scattergl"]
    assert len(found) == 1, "one latent scatter"
    return found[0]


@pytest.fixture(scope="module")
def vae2():
    return trained_run("vae", latent_dim=2)


def test_vae_with_2d_code(vae2):
    run, data = vae2
    at = open_page(run, data)
    assert not at.exception
    fig = scatter(at)
    n = sum(len(array(t["x"])) for t in fig["data"])
    assert n == len(data.x_test)
    idx = np.sort(np.concatenate([array(t["customdata"]) for t in fig["data"]]))
    assert idx.tolist() == list(range(len(data.x_test)))
    assert {t["name"] for t in fig["data"]} <= set(data.label_names)
    assert any(c["data"][0]["type"] == "bar" for c in charts(at)), "KL-per-dimension bar chart"
    assert len(at.slider) == 2, "sliders to decode a chosen 2-D code"
    before = at.get("image")[-1].value[0]
    at.slider(key="latent_z0").set_value(1.5).run()
    assert not at.exception
    assert at.get("image")[-1].value[0] != before, "a new code decodes to a new image"


@pytest.fixture(scope="module")
def vae5():
    return trained_run("vae", latent_dim=5, epochs=1)


def test_higher_dim_code_uses_pca(vae5):
    run, data = vae5
    at = open_page(run, data)
    assert not at.exception
    assert "PC1" in scatter(at)["layout"]["xaxis"]["title"]["text"]
    assert not at.slider, "no code sliders for a 5-D code"
    assert len(at.get("plotly_chart")) == 2, "scatter and KL bars"


@pytest.mark.slow
def test_umap_waits_for_the_button(vae5):
    run, data = vae5
    at = open_page(run, data)
    at.radio(key="latent_method").set_value("UMAP").run()
    assert not at.exception
    assert not [c for c in charts(at) if c["data"] and c["data"][0]["type"] == "scattergl"], "UMAP waits for the button"
    at.button(key="latent_umap_go").click().run(timeout=180)   # the first UMAP fit also compiles numba code
    assert not at.exception
    assert "UMAP" in scatter(at)["layout"]["xaxis"]["title"]["text"]


def test_deterministic_model_has_no_kl_chart():
    run, data = trained_run("vanilla", latent_dim=2, epochs=1)
    at = open_page(run, data)
    assert not at.exception
    assert not any(c["data"][0]["type"] == "bar" for c in charts(at))
    assert sum(len(array(t["x"])) for t in scatter(at)["data"]) == len(data.x_test)


def test_sequences_show_line_plots():
    run, data = trained_run("lstm", latent_dim=2, epochs=1)
    at = open_page(run, data)
    assert not at.exception
    assert scatter(at)
    assert any(c["data"] and c["data"][0]["type"] == "scatter" for c in charts(at)), "decoded code as a line plot"
    assert not at.get("image"), "no image grids for sequences"


def test_no_run_and_missing_data_explain_themselves(vae2):
    at = AppTest.from_file(PAGE, default_timeout=30).run()
    assert not at.exception and "Train a model" in at.info[0].value
    run, _ = vae2
    at = AppTest.from_file(PAGE, default_timeout=30)
    seed_workspace(at, run)
    at.session_state["dataset"] = "upload"
    at.run()
    assert not at.exception and "not loaded" in at.warning[0].value


def test_selection_helper_reads_customdata():
    from types import SimpleNamespace

    from face.scatter import selected_indices
    points = [{"customdata": 7}, {"customdata": [3]}, {"customdata": 7}, {}]
    assert selected_indices(SimpleNamespace(selection=SimpleNamespace(points=points))) == [7, 3]


def test_while_training_the_view_is_a_snapshot_and_training_goes_on():
    from aecore import jobs
    from aecore.config import TrainConfig
    from aecore.models import variant_config
    from aecore.train import new_run
    from conftest import make_images
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
        assert sum(len(array(t["x"])) for t in scatter(at)["data"]) == len(data.x_test)
        step = run.step
        assert job.active
        assert ws(at).view_model().model is not run.model, "the page decodes with a copy"
        deadline = time.monotonic() + 10   # an epoch's end (test loss, preview) can take a while on a busy machine
        while run.step <= step and time.monotonic() < deadline:
            time.sleep(0.05)
        assert run.step > step, "training went on"
        job.stop()


def test_through_the_app_frame(vae2):
    """The whole app (sidebar, navigation) with the run seeded, switched to this page."""
    run, data = vae2
    at = AppTest.from_file(str(Path(PAGE).parents[1] / "app.py"), default_timeout=60)
    at.session_state["dataset"] = "upload"
    seed_workspace(at, run, data)
    at.run()
    at.switch_page("pages/latent.py").run()
    assert not at.exception
    assert sum(len(array(t["x"])) for t in scatter(at)["data"]) == len(data.x_test)
