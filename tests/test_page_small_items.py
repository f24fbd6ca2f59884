"""Issue 20's smaller items, each where it starts: a lone choice is text, not a radio; a model trained on other data
is not offered "its" training split; every variant's line is readable in full; the Denoising lesson names what
its page shows."""
from __future__ import annotations

import json
from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]


def lone_choice():
    from face.widgets import choice_ui
    choice_ui("Fill with", ["new"], "k1", format_func=lambda s: f"option {s}")
    choice_ui("Model", ["current", "new"], "k2")


def splits(trained_on):
    from helpers import make_images
    from face.scatter import split_ui
    split_ui(make_images(), trained_on)


def test_a_lone_choice_is_text_and_two_are_a_radio():
    at = AppTest.from_function(lone_choice).run()
    assert [c.value for c in at.caption] == ["Fill with: option new"]
    assert len(at.radio) == 1 and at.radio[0].options == ["current", "new"]


def test_a_model_trained_on_other_data_is_not_offered_its_training_split():
    at = AppTest.from_function(splits, args=("MNIST (5k offline subset)",)).run()
    assert not at.exception
    assert at.radio[0].options[1].startswith("Training split (not seen by this model) (")
    assert "not on this data's training split" in at.radio[0].help
    same = AppTest.from_function(splits, args=(None,)).run()
    assert same.radio[0].options[1].startswith("Training set (")


def test_every_variant_line_is_in_the_help_in_full():
    from aecore.models import MODELS
    from face.sidebar import variants_help
    text = variants_help(sorted(MODELS))
    assert all(f"**{v}**: {MODELS[v].summary}" in text for v in MODELS)


def test_the_denoising_lesson_names_what_its_page_shows():
    text = json.loads((ROOT / "assets" / "presets" / "denoising.json").read_text())["explanation"]
    page = (ROOT / "pages" / "denoise.py").read_text()
    assert "PSNR table" not in text and "PSNR chart" in text and "PSNR against noise level" in page
