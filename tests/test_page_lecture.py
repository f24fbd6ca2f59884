"""Lecture mode in the app frame: lesson presets, settings in the URL, presenter view, the demo model, exports.

AppTest (Streamlit 1.67) runs only the page script on reruns of an st.navigation app, not the frame (app.py)
that draws the sidebar, so `rerun_frame` asks for the entrypoint again; that lands on the default page.
"""
from __future__ import annotations

import csv
import io
import os
import time
from pathlib import Path

import pytest
import streamlit.testing.v1.app_test as app_test_module
from page_helpers import advanced_open, seed_workspace, ws
from PIL import Image
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

from aecore.config import TrainConfig
from aecore.lecture import share
from aecore.lecture.presets import apply_preset, bundled_demos, load_presets
from aecore.models import variant_config
from aecore.train import fit, new_run

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATASETS = ROOT.parent / "shared" / "datasets"   # as in helpers.SHARED_DATASETS
PRESETS = load_presets(ROOT / "assets" / "presets", bundled_demos(ROOT / "assets" / "demos"))
PAGE_TITLES = {"pages/train.py": "Train", "pages/latent.py": "Latent space", "pages/generate.py": "Generate",
               "pages/models.py": "Models", "pages/denoise.py": "Denoising", "pages/anomaly.py": "Anomaly detection"}


@pytest.fixture(autouse=True)
def local_data(monkeypatch):
    """Built-in datasets from shared/datasets when it is there (ECG5000 for the anomaly lesson), never a download."""
    if SHARED_DATASETS.exists():
        monkeypatch.setenv("AECORE_DATA_DIR", str(SHARED_DATASETS))


@pytest.fixture
def trained_run(tiny_images, tiny_sequences):
    """A factory of runs trained for an epoch or two on helpers' tiny data (well under a second each)."""
    def make(variant: str, latent_dim: int = 2, epochs: int = 1):
        data = tiny_sequences if variant == "lstm" else tiny_images
        run = new_run(data, variant_config(variant, latent_dim=latent_dim),
                      TrainConfig(epochs=epochs, batch_size=32, lr=3e-3), variant)
        for _ in fit(run, data):
            pass
        return run, data
    return make


def app(**query) -> AppTest:
    """app.py's first run, with the sidebar's Advanced section open (its settings are what these tests set)."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params.update(query)
    return advanced_open(at).run()


def rerun_frame(at: AppTest) -> AppTest:
    at._finished_page_script_hash = ""   # private: makes AppTest run app.py again instead of the last page alone
    return at.run()


def sidebar_values(at: AppTest) -> dict:
    """What the sidebar's widgets show, by key."""
    widgets = [*at.sidebar.selectbox, *at.sidebar.number_input, *at.sidebar.select_slider, *at.sidebar.slider]
    return {w.key: w.value for w in widgets if w.key in share.SETTINGS}


def points_drawn(at: AppTest) -> AppTest:
    """What Latent space's atlas frame does once its points are drawn: it asks for its pictures (page_helpers)."""
    at.session_state["latent_atlas"] = {"need": [], "nonce": f"need-{time.monotonic_ns()}"}
    return rerun_frame(at)


def apply_lesson(at: AppTest, name: str) -> AppTest:
    at.sidebar.selectbox(key="lesson").set_value(name)
    return rerun_frame(at)


# --- presets ----------------------------------------------------------------------------------------------------

def test_choosing_a_lesson_sets_the_sidebar_and_opens_its_page():
    at = app()
    at.sidebar.number_input(key="seed").set_value(7)   # something from before the lesson
    preset = PRESETS["beta-too-large"]
    apply_lesson(at, preset.name)
    assert not at.exception
    assert sidebar_values(at) == apply_preset(preset)   # every setting, the seed back to its default
    assert at.title[0].value == PAGE_TITLES[preset.page]
    assert preset.explanation in at.info[0].value
    assert at.query_params["lesson"] == preset.name and at.query_params["variant"] == "beta-vae"


def test_a_lesson_with_a_demo_loads_it_and_opens_the_latent_page():
    at = app()
    apply_lesson(at, "vae-vs-ae-1-autoencoder")
    assert not at.exception
    assert at.title[0].value == "Latent space"
    run = ws(at).run
    assert run.id == "demo-ae-mnist-2d" and run.variant == "vanilla"
    assert not sidebar_values(at), "the atlas first: the sidebar's settings wait for its first drawing"
    at = points_drawn(at)
    assert sidebar_values(at)["variant"] == "vanilla"
    assert at.session_state["lesson"] == "vae-vs-ae-1-autoencoder"   # kept across the page switch


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_lesson_applies_cleanly(name):
    preset = PRESETS[name]
    if preset.settings.get("dataset") == "ecg5000" and not (SHARED_DATASETS / "ecg5000").exists():
        pytest.skip("ECG5000 files are not here")
    at = apply_lesson(app(), name)
    assert not at.exception
    assert at.title[0].value == PAGE_TITLES[preset.page]
    assert {k: at.session_state[k] for k in preset.settings} == preset.settings


def test_an_application_lesson_sets_its_pages_form():
    """Issue 15: the Denoising page trains what the lesson says (its form once trained other sizes)."""
    at = app()
    at.session_state["denoise_latent_dim"] = 8   # the page's form, changed before the lesson
    apply_lesson(at, "denoising")
    assert not at.exception and at.title[0].value == "Denoising"
    form = PRESETS["denoising"].form
    assert at.number_input(key="denoise_latent_dim").value == form["latent_dim"] == 64
    assert at.selectbox(key="denoise_noise").value == form["noise"]
    assert at.slider(key="denoise_level").value == form["level"]


def test_reset_button_puts_the_lesson_back():
    at = apply_lesson(app(), "denoising")
    at.sidebar.number_input(key="latent_dim").set_value(3)
    at.sidebar.button(key="lesson_reapply").click()
    rerun_frame(at)
    assert sidebar_values(at)["latent_dim"] == PRESETS["denoising"].settings["latent_dim"]


# --- the URL ----------------------------------------------------------------------------------------------------

def test_a_shared_link_sets_the_sidebar():
    at = app(dataset="digits", variant="sparse", latent_dim="16", lr="0.0003", batch_size="64", beta="2.5",
             sparsity_weight="0.2")
    assert not at.exception
    shown = sidebar_values(at)
    assert shown["dataset"] == "digits" and shown["variant"] == "sparse" and shown["latent_dim"] == 16
    assert shown["lr"] == 3e-4 and shown["batch_size"] == 64 and shown["beta"] == 2.5
    assert shown["sparsity_weight"] == pytest.approx(0.2)


def test_bad_link_values_are_ignored():
    at = app(latent_dim="-5", lr="fast", variant="gan", dataset="../../etc", batch_size="100", junk="1")
    assert not at.exception
    shown = sidebar_values(at)
    for key in ("latent_dim", "lr", "batch_size", "dataset"):
        assert shown[key] == share.SETTINGS[key].default
    assert at.query_params["latent_dim"] == "2"   # the link is rewritten to what the app shows
    assert "junk" not in at.query_params


def test_a_lesson_link_sets_the_lesson_up():
    at = app(lesson="sparse-codes")
    assert not at.exception
    assert at.session_state["lesson"] == "sparse-codes"
    assert sidebar_values(at)["latent_dim"] == 64 and sidebar_values(at)["variant"] == "sparse"
    assert PRESETS["sparse-codes"].explanation in at.info[0].value


def test_an_unknown_lesson_in_a_link_is_ignored():
    at = app(lesson="no-such-lesson", latent_dim="5")
    assert not at.exception
    assert at.session_state["lesson"] == "" and sidebar_values(at)["latent_dim"] == 5
    assert "lesson" not in at.query_params


def test_changing_a_widget_updates_the_link():
    at = app()
    assert at.query_params == {"dataset": "mnist", "variant": "vae", "latent_dim": "2"}
    at.sidebar.number_input(key="latent_dim").set_value(12)
    at.sidebar.select_slider(key="lr").set_value(3e-3)
    rerun_frame(at)
    assert at.query_params == {"dataset": "mnist", "variant": "vae", "latent_dim": "12", "lr": "0.003"}
    assert at.sidebar.code[0].value.endswith("?dataset=mnist&variant=vae&latent_dim=12&lr=0.003")


def test_a_link_round_trips_into_a_new_session():
    at = app()
    at.sidebar.selectbox(key="variant").set_value("denoising")
    at.sidebar.number_input(key="epochs").set_value(4)
    at.sidebar.selectbox(key="noise").set_value("masking")
    rerun_frame(at)
    other = app(**at.query_params)
    assert sidebar_values(other) == sidebar_values(at)


def test_the_advanced_settings_are_drawn_only_while_their_section_is_open():
    """Nine widgets (and Streamlit's slider code) that every page's first drawing waited for, closed: their values
    live in session state (persist_state), so a closed section forgets nothing and links still carry them."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    assert not at.exception and not {w.key for w in at.sidebar.number_input} & {"epochs", "seed"}
    assert not at.sidebar.select_slider and not at.sidebar.slider
    at.session_state["sidebar_advanced_open"] = True
    rerun_frame(at)
    at.sidebar.number_input(key="epochs").set_value(6)
    at.sidebar.select_slider(key="lr").set_value(3e-3)
    rerun_frame(at)
    at.session_state["sidebar_advanced_open"] = False
    rerun_frame(at)
    assert not at.exception and not at.sidebar.select_slider
    assert (at.session_state["epochs"], at.session_state["lr"]) == (6, 3e-3)
    assert at.query_params["epochs"] == "6" and at.query_params["lr"] == "0.003"


# --- presenter view ---------------------------------------------------------------------------------------------

def test_presenter_view_enlarges_and_hides_advanced_settings():
    at = app()
    assert not [h for h in at.get("html") if "font-size" in h.proto.body]
    at.sidebar.number_input(key="epochs").set_value(9)
    at.sidebar.toggle(key="presenter").set_value(True)
    rerun_frame(at)
    css = [h.proto.body for h in at.get("html") if "font-size" in h.proto.body]
    assert len(css) == 1 and ".st-key-sidebar_advanced { display: none; }" in css[0]
    assert at.session_state["epochs"] == 9   # hidden, not forgotten


# --- the demo model and exports ---------------------------------------------------------------------------------

def test_latent_and_generate_pages_get_the_demo_once():
    def script():
        import streamlit as st

        from face.lecture import offer_demo
        from face.session import workspace
        offer_demo(st.session_state.page)
        st.write(workspace().run.id if workspace().run is not None else "none")

    at = AppTest.from_function(script, default_timeout=30)
    at.session_state["page"] = ""   # the Train page: no demo there
    at.run()
    assert at.markdown[0].value == "none"
    at.session_state["page"] = "latent"
    at.run()
    assert at.markdown[0].value == "demo-vae-mnist-2d"
    ws(at).reset()   # Reset on the Train page: the demo is not forced back
    at.run()
    assert at.markdown[0].value == "none"


def test_every_session_gets_its_own_copy_of_the_demo():
    def script():
        import streamlit as st

        from face.lecture import offer_demo
        from face.session import workspace
        offer_demo("generate")
        run = workspace().run
        st.write(f"{id(run)} {id(run.model)} {float(run.model.head.bias.detach().sum()):.6f}")

    first = AppTest.from_function(script, default_timeout=30).run()
    second = AppTest.from_function(script, default_timeout=30).run()
    a, b = first.markdown[0].value.split(), second.markdown[0].value.split()
    assert a[0] != b[0] and a[1] != b[1] and a[2] == b[2]


@pytest.fixture
def media(monkeypatch) -> list[MemoryMediaFileStorage]:
    """The media stores AppTest creates, so a test can read the bytes a download button serves."""
    stores = []

    class Recording(MemoryMediaFileStorage):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            stores.append(self)

    monkeypatch.setattr(app_test_module, "MemoryMediaFileStorage", Recording)
    return stores


def downloads(at: AppTest, stores: list[MemoryMediaFileStorage]) -> dict[str, tuple[str, bytes]]:
    """label -> (mime, bytes) of every download button on the page."""
    out = {}
    for button in at.get("download_button"):
        name = os.path.basename(button.proto.url)
        file = stores[-1].get_file(name)
        out[button.proto.label] = (file.mimetype, bytes(file.content))
    return out


def export_script():
    from face.export import export_ui
    export_ui()


@pytest.mark.parametrize("variant", ["vae", "vanilla"])
def test_export_downloads_parse_back(media, variant, trained_run):
    run, data = trained_run(variant, latent_dim=2, epochs=2)
    at = AppTest.from_function(export_script, default_timeout=30)
    seed_workspace(at, run, data)
    at.run()
    assert not at.exception
    files = downloads(at, media)
    mime, codes = files["Latent codes of the test set (CSV)"]
    rows = list(csv.DictReader(io.StringIO(codes.decode())))
    assert mime.startswith("text/csv") and len(rows) == len(data.x_test)
    assert list(rows[0]) == ["index", "label", "label_name", "z1", "z2"]
    assert [r["label_name"] for r in rows] == [data.label_names[c] for c in data.y_test.tolist()]
    history = list(csv.DictReader(io.StringIO(files["Loss history (CSV)"][1].decode())))
    assert len(history) == len(run.history)
    assert float(history[-1]["test_loss"]) == pytest.approx(run.test_loss, rel=1e-5)
    recon = Image.open(io.BytesIO(files["Reconstructions (PNG)"][1]))
    assert recon.format == "PNG" and recon.width > recon.height
    assert ("Samples from the prior (PNG)" in files) == (variant == "vae")


def test_no_exports_while_the_model_trains(trained_run):
    class Training:
        active = True

    run, data = trained_run("vanilla", latent_dim=2, epochs=1)
    job = Training()
    job.run = run
    at = AppTest.from_function(export_script, default_timeout=30)
    seed_workspace(at, run, data, job)
    at.run()
    assert not at.exception and not at.get("download_button")


def test_the_demo_can_be_exported_from_the_latent_page(media):
    at = apply_lesson(app(), "vae-vs-ae-2-vae")
    assert at.title[0].value == "Latent space"
    assert not at.get("download_button"), "a session's first atlas is drawn before the rest of the page"
    at = points_drawn(at)
    files = downloads(at, media)
    rows = list(csv.DictReader(io.StringIO(files["Latent codes of the test set (CSV)"][1].decode())))
    assert rows and {r["label_name"] for r in rows} == {str(d) for d in range(10)}
    samples = Image.open(io.BytesIO(files["Samples from the prior (PNG)"][1]))
    assert samples.format == "PNG"
