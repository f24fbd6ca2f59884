"""AppTest of pages/generate.py with tiny trained runs seeded in session state.

The code sliders are a custom component that decodes in the browser (face.atlas.latent_sliders_ui): AppTest reads
its arguments, and a slider let go is its value, set in session state. A model whose decoder cannot be exported gets
the server's sliders (`server` fixture), which AppTest moves like any slider.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from helpers import trained_run
from page_helpers import seed_workspace, ws
from face.codes import SLIDER_CAPTION

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "generate.py")


def open_page(run, data) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=30)
    at.session_state["dataset"] = "upload"
    seed_workspace(at, run, data)
    return at.run()


def latent_sliders(at: AppTest) -> list:
    """The server's sliders (a decoder the browser cannot run)."""
    return [s for s in at.slider if s.key and s.key.startswith("gen_z")]


def browser_sliders(at: AppTest) -> dict | None:
    """The arguments of the browser's sliders, or None."""
    for el in at.get("component_instance"):
        args = json.loads(el.proto.json_args)
        if args.get("key") == "gen_sliders":
            return args
    return None


def shown_dims(at: AppTest) -> list[int]:
    """The dimensions that have a slider, in the browser or on the server."""
    args = browser_sliders(at)
    return args["dims"] if args else [int(s.key.removeprefix("gen_z")) for s in latent_sliders(at)]


def let_go(at: AppTest, code: list[float]) -> AppTest:
    """A browser slider released at `code`."""
    at.session_state["gen_sliders"] = {"code": code, "label": None, "nonce": f"t{time.monotonic_ns()}"}
    return at.run()


def slider_image(at: AppTest) -> str:
    """URL of the image decoded from the server's sliders (a hash of its PNG bytes)."""
    return at.get("image")[0].value[0]


@pytest.fixture
def server(monkeypatch):
    """Decoders the browser cannot run: Generate falls back to the server's sliders."""
    from face import caches
    monkeypatch.setattr(caches, "browser_decoder", lambda key, model: "no browser decoder for TestDecoder")


@pytest.mark.parametrize("latent_dim", [2, 12])
def test_browser_sliders_per_shown_dimension_and_the_buttons_move_them(latent_dim):
    run, data = trained_run("vae", latent_dim=latent_dim, epochs=1)
    at = open_page(run, data)
    assert not at.exception
    args = browser_sliders(at)
    assert len(args["dims"]) == min(latent_dim, 8) and args["decoder"]["latent_dim"] == latent_dim
    assert args["value"] == [0.0] * latent_dim and args["ranges"] == [[-3.0, 3.0]] * latent_dim
    captions = [i.proto.imgs[0].caption for i in at.get("image")]
    assert not latent_sliders(at) and SLIDER_CAPTION not in captions, "the browser draws the decoded sample"
    code = [0.5] * latent_dim
    let_go(at, code)
    assert ws(at).generate.code == code and browser_sliders(at)["revision"] == args["revision"], \
        "a code the sliders reported does not move them back"
    at.button(key="gen_random").click().run()
    moved = browser_sliders(at)
    assert moved["revision"] != args["revision"] and any(moved["value"][d] != 0.5 for d in moved["dims"])
    at.button(key="gen_reset").click().run()
    assert browser_sliders(at)["value"] == [0.0] * latent_dim


@pytest.mark.parametrize("latent_dim", [2, 12])
def test_one_slider_per_shown_dimension_and_moving_one_changes_the_image(latent_dim, server):
    run, data = trained_run("vae", latent_dim=latent_dim, epochs=1)
    at = open_page(run, data)
    assert not at.exception
    assert any("cannot run in your browser" in c.value for c in at.caption), "the fallback says so"
    sliders = latent_sliders(at)
    assert len(sliders) == min(latent_dim, 8)
    before = slider_image(at)
    sliders[0].set_value(2.5).run()
    assert not at.exception
    assert slider_image(at) != before, "a new code decodes to new image bytes"
    after = slider_image(at)
    at.button(key="gen_reset").click().run()
    assert all(s.value == 0.0 for s in latent_sliders(at))
    assert slider_image(at) == before, "reset goes back to the origin's image"
    at.button(key="gen_random").click().run()
    assert not at.exception
    assert any(s.value != 0.0 for s in latent_sliders(at))
    assert slider_image(at) not in (before, after)


def test_sliders_are_the_most_active_dimensions_in_index_order():
    from aecore.views import explore
    run, data = trained_run("vae", latent_dim=12, epochs=1)
    at = open_page(run, data)
    kl = explore.encode_split(run.model, data.x_test, data.y_test).kl
    ranked = explore.rank_dims(kl, 12, 8)
    assert ranked != sorted(ranked), "this model ranks its dimensions out of index order"
    names = browser_sliders(at)["names"]
    assert [int(n.split()[0][1:]) - 1 for n in names] == sorted(ranked), "the most used dimensions, z1 before z2"
    assert at.selectbox(key="gen_dim_x").value == ranked[0] and at.selectbox(key="gen_dim_y").value == ranked[1]


def test_interpolation_pickers_say_which_end_they_choose():
    run, data = trained_run("vae", latent_dim=2, epochs=1)
    at = open_page(run, data)
    assert at.selectbox(key="gen_a_class").label == "Start: class"
    assert at.selectbox(key="gen_b_class").label == "End: class"


def test_all_panels_render_for_images():
    run, data = trained_run("vae", latent_dim=3, epochs=1)
    at = open_page(run, data)
    assert not at.exception
    # traversal grid, the two interpolation ends, the interpolation, the manifold grid (sliders: in the browser)
    assert len(at.get("image")) == 4 and browser_sliders(at)
    at.selectbox(key="gen_dim_y").set_value(0).run()
    assert not at.exception and at.warning, "same dimension twice is explained"


def test_cvae_has_a_class_picker_that_changes_the_image(server):
    run, data = trained_run("cvae", latent_dim=2, epochs=2)
    at = open_page(run, data)
    assert not at.exception
    picker = at.selectbox(key="gen_class")
    assert picker.options == list(data.label_names)
    before = slider_image(at)
    picker.set_value(2).run()
    assert not at.exception
    assert slider_image(at) != before


def test_cvae_class_reaches_the_browser_sliders():
    run, data = trained_run("cvae", latent_dim=2, epochs=2)
    at = open_page(run, data)
    assert browser_sliders(at)["label"] == 0 and browser_sliders(at)["decoder"]["n_classes"] == len(data.label_names)
    at.selectbox(key="gen_class").set_value(2).run()
    assert not at.exception and browser_sliders(at)["label"] == 2


def test_a_plain_autoencoder_explains_why_not():
    run, data = trained_run("vanilla", latent_dim=2, epochs=1)
    at = open_page(run, data)
    assert not at.exception
    assert "plain autoencoder" in at.info[0].value
    assert "vae" in at.markdown[-1].value and "cvae" in at.markdown[-1].value
    assert not at.slider and not at.get("image") and browser_sliders(at) is None


def test_sequences_use_line_plots():
    from helpers import make_sequences
    from aecore.config import TrainConfig
    from aecore.models import variant_config
    from aecore.train import fit, new_run
    seqs = make_sequences()
    run = new_run(seqs, variant_config("vae", latent_dim=2), TrainConfig(epochs=1, batch_size=32))
    for _ in fit(run, seqs):
        pass
    at = open_page(run, seqs)
    assert not at.exception
    assert shown_dims(at) == [0, 1] and browser_sliders(at)["decoder"]["shape"] == list(seqs.shape)
    assert not at.get("image")
    assert len(at.get("plotly_chart")) == 2   # traversals, interpolation (the decoded sample: in the browser)
    assert any("for image data" in c.value for c in at.caption), "the manifold grid says it is for images only"


def test_no_run():
    at = AppTest.from_file(PAGE, default_timeout=30).run()
    assert not at.exception and "Train a VAE" in at.info[0].value


def test_while_training_it_decodes_with_a_snapshot():
    import time
    from aecore import jobs
    from aecore.config import TrainConfig
    from aecore.models import variant_config
    from aecore.train import new_run
    from helpers import make_images
    data = make_images()
    run = new_run(data, variant_config("vae", latent_dim=3), TrainConfig(epochs=10_000, batch_size=32), "vae")
    with jobs.pool_of(1) as pool:
        job = jobs.start(run, data, pool=pool, heartbeat_s=None)
        deadline = time.monotonic() + 20
        while run.step < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        at = AppTest.from_file(PAGE, default_timeout=30)
        at.session_state["dataset"] = "upload"
        seed_workspace(at, run, data, job)
        at.run()
        assert not at.exception
        assert any("snapshot of the model at step" in i.value for i in at.info)
        assert len(shown_dims(at)) == 3
        assert job.active
        assert ws(at).view_model().model is not run.model, "the page decodes with a copy"
        job.stop()


def test_through_the_app_frame():
    """The whole app (sidebar, navigation) with the run seeded, switched to this page."""
    run, data = trained_run("vae", latent_dim=3, epochs=1)
    at = AppTest.from_file(str(Path(PAGE).parents[1] / "app.py"), default_timeout=60)
    at.session_state["dataset"] = "upload"
    seed_workspace(at, run, data)
    at.run()
    at.switch_page("pages/generate.py").run()
    assert not at.exception
    assert len(shown_dims(at)) == 3
    let_go(at, [0.0, -2.0, 0.0])
    assert not at.exception and ws(at).generate.code == [0.0, -2.0, 0.0]


def test_latent_space_and_generate_share_one_encoding_of_the_test_set(monkeypatch):
    """Generate reads the codes (and KL) Latent space cached for the same model state: one encoder pass."""
    from aecore.views import explore
    from face import caches
    run, data = trained_run("vae", latent_dim=3, epochs=1)
    calls = []
    real = explore.encode_split
    monkeypatch.setattr(explore, "encode_split", lambda *args: calls.append(1) or real(*args))
    caches._encoded.clear()
    at = AppTest.from_file(str(Path(PAGE).parents[1] / "app.py"), default_timeout=60)
    at.session_state["dataset"] = "upload"
    seed_workspace(at, run, data)
    at.run()
    at.switch_page("pages/latent.py").run()
    assert not at.exception and len(calls) == 1
    at.switch_page("pages/generate.py").run()
    assert not at.exception and len(shown_dims(at)) == 3
    assert len(calls) == 1, "Generate encoded the test set again"
