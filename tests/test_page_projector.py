"""Issue 15 on the pages (AppTest): presenter view through a lesson's page switch, the settings a lesson names kept
in view, a compact page in presenter view, following the lecturer's model, and the small things a class notices.

AppTest reruns only the page of an st.navigation app, so `rerun_frame` asks for app.py again (test_page_lecture).
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from helpers import isolate_data, make_images
from page_helpers import advanced_open, seed_workspace, ws
from streamlit.testing.v1 import AppTest

from aecore.config import TrainConfig
from aecore.data import load_dataset
from aecore.lecture import share
from aecore.lecture.presets import load_presets
from aecore.models import variant_config
from aecore.train import fit, new_run
from face.sidebar import ADVANCED

ROOT = Path(__file__).resolve().parents[1]
APP, TRAIN = str(ROOT / "app.py"), str(ROOT / "pages" / "train.py")


def app(**query) -> AppTest:
    """app.py's first run, with the sidebar's Advanced section open (its settings are what these tests set)."""
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update(query)
    return advanced_open(at).run()


def rerun_frame(at: AppTest) -> AppTest:
    at._finished_page_script_hash = ""   # private: makes AppTest run app.py again, not the last page alone
    return at.run()


def presenter_css(at: AppTest) -> list[str]:
    return [h.proto.body for h in at.get("html") if "font-size: 22px" in h.proto.body]


def present(at: AppTest) -> AppTest:
    at.sidebar.toggle(key="presenter").set_value(True)
    return rerun_frame(at)


def apply_lesson(at: AppTest, name: str) -> AppTest:
    at.sidebar.selectbox(key="lesson").set_value(name)
    return rerun_frame(at)


def page_buttons(at: AppTest) -> dict[str, bool]:
    """label -> enabled, of the page's own buttons."""
    return {b.label: not b.disabled for b in at.main.button}


def digits_run():
    """A vanilla autoencoder trained for one epoch on the built-in 8x8 digits (about a second)."""
    data = load_dataset("digits")
    run = new_run(data, variant_config("vanilla", latent_dim=2), TrainConfig(epochs=1, batch_size=64), "vanilla")
    for _ in fit(run, data):
        pass
    return run, data


# --- presenter view ---------------------------------------------------------------------------------------------

def test_presenter_view_survives_the_page_a_lesson_opens():
    """st.switch_page reruns without the browser's widget states: the toggle's value was dropped (16 px again)."""
    at = present(app())
    assert len(presenter_css(at)) == 1
    apply_lesson(at, "denoising")
    assert not at.exception and at.title[0].value == "Denoising"
    assert at.session_state["presenter"] is True
    assert len(presenter_css(at)) == 1, "the projector CSS on the lesson's page"


@pytest.mark.parametrize("lesson, told", [("learning-rate-too-high", "lr"), ("beta-too-large", "beta")])
def test_the_settings_a_lesson_sets_stay_in_view(lesson, told):
    """ "Pick 1e-3", "set β back to 1": every training setting the lesson sets is drawn outside the expander that
    presenter view hides."""
    at = apply_lesson(present(app()), lesson)
    assert not at.exception
    named = set(ADVANCED) & set(load_presets(ROOT / "assets" / "presets")[lesson].settings)
    assert told in named
    advanced = next(e for e in at.sidebar.expander if e.label == "Advanced")
    kinds = ("number_input", "select_slider", "slider", "selectbox")
    inside = {w.key for kind in kinds for w in getattr(advanced, kind)}
    everywhere = {w.key for kind in kinds for w in getattr(at.sidebar, kind)}
    assert named <= everywhere - inside, "drawn outside the hidden expander"
    assert set(ADVANCED) - named <= inside


def test_presenter_view_folds_the_lesson_card_and_the_intro():
    at = apply_lesson(present(app()), "bottleneck-too-small")
    assert not at.exception
    labels = [e.label for e in at.main.expander]
    assert "**Lesson: Bottleneck too small**" in labels and "About this page" in labels
    assert not [i for i in at.info if "Lesson:" in i.value]
    at.sidebar.toggle(key="presenter").set_value(False)
    rerun_frame(at)
    assert any("Lesson: Bottleneck too small" in i.value for i in at.info), "in full without presenter view"


def test_presenter_view_folds_the_intro_of_the_explore_pages():
    """Latent space and Generate too: their result, not their introduction, on the projector's first screen."""
    at = apply_lesson(present(app()), "vae-vs-ae-2-vae")   # opens Latent space with the demo VAE
    for title, first_words in [("Latent space", "An autoencoder squeezes"), ("Generate", "A variational autoencoder")]:
        if title == "Generate":
            at.switch_page("pages/generate.py").run()
        assert not at.exception and at.title[0].value == title
        about = next(e for e in at.main.expander if e.label == "About this page")
        assert about.markdown[0].value.startswith(first_words)
        assert not [m for m in at.main.markdown if m.value.startswith(first_words) and m not in about.markdown]


# --- following the lecturer's model -----------------------------------------------------------------------------

def lecturer_shares(run) -> str:
    at = AppTest.from_file(APP, default_timeout=60)
    seed_workspace(at, run)
    at.session_state["dataset"] = "digits"
    at.run()
    at.sidebar.button(key="share_model").click()
    rerun_frame(at)
    assert not at.exception
    share_id = ws(at).lecture.shared[0]
    assert any(f"follow={share_id}" in c.value for c in at.sidebar.code), "the link to give the class"
    return share_id


def test_a_follow_link_opens_the_lecturers_model_read_only_and_fork_makes_it_yours():
    run, _ = digits_run()
    share_id = lecturer_shares(run)
    student = app(follow=share_id)
    assert not student.exception
    own = ws(student)
    assert own.following == share_id and own.run is not run and own.run.step == run.step
    for a, b in zip(run.model.state_dict().values(), own.run.model.state_dict().values()):
        assert torch.equal(a, b), "that very model, not only its settings"
    assert student.session_state["variant"] == "vanilla" and student.session_state["latent_dim"] == 2
    assert "Following the lecturer's model" in student.info[0].value
    buttons = page_buttons(student)
    assert not buttons["Train"] and not buttons["Resume"] and buttons["Fork"]
    assert student.query_params["follow"] == share_id, "a reload follows it still"

    student.button(key="follow_fork").click()
    rerun_frame(student)
    assert own.following is None and own.run.id != run.id
    assert page_buttons(student)["Train"] and "Fork" not in page_buttons(student)
    assert "follow" not in student.query_params


@pytest.mark.parametrize("link, says", [("f" * 32, "not on this server any more"), ("../../etc", "damaged")])
def test_a_follow_link_that_opens_nothing_says_why(link, says):
    at = app(follow=link)
    assert not at.exception and ws(at).following is None
    assert says in at.warning[0].value


# --- the Train page ---------------------------------------------------------------------------------------------

def train_page(run, dataset: str) -> AppTest:
    at = AppTest.from_file(TRAIN, default_timeout=60)
    seed_workspace(at, run)
    at.session_state["dataset"] = dataset
    return at.run()


def test_train_shows_a_model_only_on_its_own_data():
    from face.lecture import load_demo
    at = train_page(load_demo("vae-mnist-2d"), "digits")   # the MNIST demo, then Digits in the sidebar
    assert not at.exception
    assert not at.get("image"), "no MNIST reconstructions under Digits"
    assert any("Digits" in c.value and "Press **Train**" in c.value for c in at.caption)
    chart = json.loads(at.get("plotly_chart")[0].proto.spec)
    epochs = share.defaults()["epochs"]
    assert chart["data"] == [] and chart["layout"]["xaxis"]["range"] == [0, epochs], "empty axes: 0 to its epochs"
    assert chart["layout"]["yaxis"]["showticklabels"] is False, "no made-up loss values"


def test_a_trained_model_shows_its_curves_and_its_chart_has_the_camera():
    run, _ = digits_run()
    at = train_page(run, "digits")
    assert not at.exception and len(at.get("image")) == 1
    config = json.loads(at.get("plotly_chart")[0].proto.config)
    assert config.get("displayModeBar") is not False and config["toImageButtonOptions"]["filename"] == "loss-curve"

    def export():
        from face.export import export_ui
        export_ui()

    at = AppTest.from_function(export, default_timeout=60)
    seed_workspace(at, run)
    at.run()
    assert not at.exception and len(at.get("download_button")) >= 3
    assert "camera icon" in at.caption[0].value


def test_the_variant_box_says_what_each_variant_teaches():
    at = app()
    options = at.sidebar.selectbox(key="variant").options
    assert all(" — " in o and len(o.split(" — ")[1]) > 20 for o in options), options
    assert "hover" not in at.sidebar.selectbox(key="variant").help


def test_picking_a_beta_vae_brings_its_own_beta():
    """The β slider's 1.0 would quietly make a β-VAE a plain VAE: picking the variant sets β to its 4."""
    at = app()
    at.sidebar.selectbox(key="variant").set_value("beta-vae")
    rerun_frame(at)
    assert at.session_state["beta"] == 4.0
    assert at.query_params["beta"] == "4", "and the link carries it"
    at.sidebar.selectbox(key="variant").set_value("vae")
    rerun_frame(at)
    assert at.session_state["beta"] == 1.0


# --- application pages ------------------------------------------------------------------------------------------

def open_page(page: str, data, **state) -> AppTest:
    from face.session import seed
    from face.workspace import Upload, Workspace
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["dataset"] = "upload"
    seed(at, Workspace(upload=Upload(data=data)))
    for k, v in state.items():
        at.session_state[k] = v
    at.switch_page(f"pages/{page}.py")
    return at.run()


def test_an_application_page_has_a_stop_button_and_says_what_trains():
    at = open_page("denoise", make_images(), denoise_epochs=50)
    at.button[[b.label for b in at.button].index("Train both autoencoders")].click().run()
    assert not at.exception
    bar = at.get("progress")[0].proto.text
    assert "the denoising AE" in bar and "the plain AE" in bar, bar
    at.button(key="denoise_stop").click().run()
    group = ws(at).groups["denoise"]
    for job in group.jobs.values():
        assert job.wait(30)
    at.run()
    assert any("Stopped before the end" in i.value for i in at.info)
    assert not at.error


def test_sequences_introduction_describes_the_sequences_it_shows(monkeypatch, tmp_path):
    isolate_data(monkeypatch, tmp_path)   # no ECG5000: the page shows the synthetic sine waves
    at = open_page("sequences", make_images())
    assert not at.exception
    intro = at.markdown[0].value
    assert "sine waves is 64 readings" in intro and "heartbeat" not in intro, intro
