"""Issue 12 on the pages: a missing dataset is one line (details apart) and said once, a lesson whose data is
missing says it cannot run, a bad upload's reason is where the page is, and a model other than the sidebar's
settings is named as such."""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from helpers import ROOT, isolate_data, make_images, trained_run
from page_helpers import seed_workspace

TRAIN = str(ROOT / "pages" / "train.py")


def script(*lines: str) -> str:
    return "\n".join([f"import sys; sys.path.insert(0, {str(ROOT)!r})", *lines])


@pytest.fixture
def offline(monkeypatch, tmp_path):
    isolate_data(monkeypatch, tmp_path)


def test_a_missing_dataset_is_one_line_naming_the_fetch_command(offline):
    at = AppTest.from_file(TRAIN, default_timeout=30)
    at.session_state["dataset"] = "fashion-mnist"
    at.run()
    assert not at.exception
    assert len(at.error) == 1, "said once"
    line = at.error[0].value
    assert "\n" not in line and "python -m aecore datasets --fetch fashion-mnist" in line
    assert "AECORE_" not in line and "/" not in line.split("--fetch")[0], "no paths or variables in the line"
    assert [e.label for e in at.expander] == ["Details"]


def test_a_lesson_whose_data_is_missing_says_it_cannot_run_here(offline):
    at = AppTest.from_string(script("from face.lecture import lesson_card_ui", "lesson_card_ui()"), default_timeout=30)
    at.session_state["lesson"] = "anomaly-normal-beats"
    at.run()
    assert not at.exception
    assert "cannot run here" in at.warning[0].value and "ecg5000" in at.warning[0].value
    assert "--fetch ecg5000" in at.warning[0].value


def test_a_lesson_whose_data_is_here_gives_no_warning():
    at = AppTest.from_string(script("from face.lecture import lesson_card_ui", "lesson_card_ui()"), default_timeout=30)
    at.session_state["lesson"] = "bottleneck-too-small"
    at.run()
    assert not at.exception and not at.warning


def test_a_refused_upload_is_said_on_the_page_too():
    at = AppTest.from_file(TRAIN, default_timeout=30)
    workspace = seed_workspace(at)
    workspace.upload.error = "data.csv: row 3 has 5 values, the header has 4"
    at.session_state["dataset"] = "upload"
    at.run()
    assert not at.exception
    assert any("row 3 has 5 values" in e.value for e in at.error)


@pytest.mark.parametrize("sidebar, differs", [
    ({"dataset": "bars", "variant": "vae", "latent_dim": 2}, False),
    ({"dataset": "bars", "variant": "vae", "latent_dim": 16}, True),
    ({"dataset": "mnist", "variant": "vae", "latent_dim": 2}, True),
    ({"dataset": "bars", "variant": "sparse", "latent_dim": 2}, True),
])
def test_the_banner_says_when_the_model_is_not_the_sidebars(sidebar, differs):
    run, _ = trained_run("vae", latent_dim=2, epochs=1)
    run.variant = "vae"   # as the Train page names it (trained_run leaves the registry name out)
    at = AppTest.from_string(script("from face.widgets import model_banner", "model_banner()"), default_timeout=30)
    seed_workspace(at, run, make_images())
    for key, value in sidebar.items():
        at.session_state[key] = value
    at.run()
    said = " ".join(c.value for c in at.caption)
    assert ("The sidebar is set to" in said) == differs
