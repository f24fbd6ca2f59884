"""Lesson presets: every shipped file is valid, and the checker rejects what a typo would produce."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from aecore.lecture import share
from aecore.lecture.presets import Preset, PresetError, apply_preset, bundled_demos, load_presets, parse_preset
from aecore.runs.checkpoint import load_run

ROOT = Path(__file__).resolve().parents[1]
PRESETS_DIR = ROOT / "assets" / "presets"
DEMOS_DIR = ROOT / "assets" / "demos"
SHARED_DATASETS = ROOT.parent / "shared" / "datasets"   # as in helpers.SHARED_DATASETS
GOOD = {"title": "T", "explanation": "One. Two.", "settings": {"variant": "vae", "latent_dim": 2},
        "page": "pages/latent.py"}


@pytest.fixture(scope="module")
def presets() -> dict[str, Preset]:
    return load_presets(PRESETS_DIR, bundled_demos(DEMOS_DIR))


def test_shipped_presets_load(presets):
    assert len(presets) >= 7
    for p in presets.values():
        assert p.title and p.settings and p.page.startswith("pages/")


def test_explanations_are_two_or_three_sentences(presets):
    for p in presets.values():
        sentences = [s for s in re.split(r"(?<=[.!?])\s+", p.explanation) if s]
        assert 2 <= len(sentences) <= 4, (p.name, len(sentences))   # 4 allows a short "Then ..." instruction
        assert len(p.explanation) < 600, p.name


def test_presets_open_pages_that_exist(presets):
    for p in presets.values():
        assert (ROOT / p.page).is_file() or p.page in {"pages/train.py", "pages/latent.py", "pages/generate.py"}, p.page


def test_presets_name_demos_that_load(presets):
    for p in presets.values():
        if p.demo:
            run = load_run(DEMOS_DIR / p.demo)
            assert run.variant == p.settings["variant"]
            assert run.model_config.latent_dim == p.settings["latent_dim"]


def test_presets_are_in_order(presets):
    orders = [p.order for p in presets.values()]
    assert orders == sorted(orders)


def test_the_lessons_the_issue_asks_for(presets):
    variants = {p.settings.get("variant") for p in presets.values()}
    assert {"linear", "denoising", "sparse", "vae", "vanilla", "beta-vae", "lstm"} <= variants


def test_apply_sets_every_setting(presets):
    state = apply_preset(presets["beta-too-large"])
    assert set(state) == set(share.SETTINGS)
    assert state["beta"] == 10.0 and state["variant"] == "beta-vae"
    assert state["seed"] == share.SETTINGS["seed"].default   # nothing from a previous lesson leaks in


@pytest.mark.parametrize("change, message", [
    ({"colour": "red"}, "unknown keys colour"),
    ({"settings": {"latent_dim": 0}}, "latent_dim"),
    ({"settings": {"bottleneck": 2}}, "unknown setting 'bottleneck'"),
    ({"settings": {"lr": 0.5}}, "lr"),
    ({"settings": {"dataset": "sines", "variant": "conv"}}, "cannot train"),
    ({"settings": {"dataset": "cifar"}}, "dataset"),
    ({"settings": {"variant": "linear", "noise": "masking", "noise_level": 0.5, "latent_dim": 300}}, "latent_dim"),
    ({"page": "latent.py"}, "page"),
    ({"page": "../app.py"}, "page"),
    ({"title": ""}, "title"),
    ({"explanation": 3}, "explanation"),
    ({"settings": []}, "settings"),
    ({"order": "first"}, "order"),
    ({"demo": "no-such-demo"}, "demo"),
])
def test_bad_presets_are_errors(change, message):
    with pytest.raises(PresetError, match=message):
        parse_preset("lesson", {**GOOD, **change}, demos={"vae-mnist-2d"})


@pytest.mark.slow
def test_presets_build_a_model_for_their_data(presets):
    """What only the data can tell (its value range suits the loss, its labels suit the model)."""
    from aecore.data import DataError, load_dataset
    from aecore.models import build_model

    loaded = {}
    for p in presets.values():
        name = p.settings.get("dataset", "mnist")
        if name not in loaded:
            try:
                loaded[name] = load_dataset(name, data_dir=str(SHARED_DATASETS), allow_download=False)
            except DataError as err:
                pytest.skip(f"{name} is not available here: {err}")
        data = loaded[name]
        _, model_cfg, _ = share.configs(p.settings, data.kind)
        build_model(model_cfg, data.shape, data.value_range, data.n_classes)


@pytest.mark.parametrize("form, message", [
    ({"latent_dim": 8}, "needs a claim naming the app"),
])
def test_a_form_needs_an_application_claim(form, message):
    with pytest.raises(PresetError, match=message):
        parse_preset("lesson", {**GOOD, "form": form})


@pytest.mark.parametrize("form, message", [
    ({"levels": [0.1]}, "unknown fields levels"),
    ({"epochs": 0}, "epochs must be a whole number"),
    ({"noise": "pink"}, "noise must be one of"),
    ([64], "must be an object"),
])
def test_bad_forms_are_errors(presets, form, message):
    data = json.loads((PRESETS_DIR / "denoising.json").read_text())
    with pytest.raises(PresetError, match=message):
        parse_preset("denoising", {**data, "form": form})


def test_an_application_lesson_builds_what_its_page_trains(presets):
    exp = presets["denoising"].experiment(seed=3)
    assert (exp.noise, exp.level, exp.latent_dim, exp.schedule.seed) == ("gaussian", 0.5, 64, 3)
    beats = presets["anomaly-normal-beats"].experiment()
    assert (beats.variant, beats.schedule.epochs) == ("lstm", 15)
    assert presets["beta-too-large"].experiment() is None
    state = apply_preset(presets["denoising"])
    assert state["denoise_latent_dim"] == 64 and state["denoise_level"] == 0.5 and state["latent_dim"] == 64


def test_missing_keys_are_errors():
    with pytest.raises(PresetError, match="missing keys page"):
        parse_preset("lesson", {k: v for k, v in GOOD.items() if k != "page"})


def test_names_must_fit_in_a_link():
    with pytest.raises(PresetError, match="file name"):
        parse_preset("My Lesson", GOOD)


def test_bad_json_names_the_file(tmp_path):
    (tmp_path / "broken.json").write_text("{not json")
    with pytest.raises(PresetError, match="broken"):
        load_presets(tmp_path)


def test_a_folder_of_presets_round_trips(tmp_path):
    (tmp_path / "b.json").write_text(json.dumps({**GOOD, "order": 2}))
    (tmp_path / "a.json").write_text(json.dumps({**GOOD, "order": 5, "explanation": "  Spaced\n  out.  "}))
    presets = load_presets(tmp_path)
    assert list(presets) == ["b", "a"]
    assert presets["a"].explanation == "Spaced out."
