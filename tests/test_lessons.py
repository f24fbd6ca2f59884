"""Every lesson's promise, checked: its claim (aecore.lecture.claims) measured with its own settings on the embedded 5k
digits and on full MNIST, and the checker rejecting claims a typo would produce."""
from __future__ import annotations

import copy
from pathlib import Path

import pytest
import torch
from helpers import ON_MNIST, make_images, one_thread, shared_dataset, tiny_run

from aecore.data import load_dataset
from aecore.lecture.claims import ClaimError, parse_claim
from aecore.lecture.lessons import (
    Trained,
    check_lesson,
    gap_fraction,
    mse_vs_pca,
    near_zero,
    unit_fire_rate,
    unused_units,
)
from aecore.lecture.presets import PresetError, bundled_demos, load_presets, parse_preset
from aecore.runs.checkpoint import load_run

ROOT = Path(__file__).resolve().parents[1]
PRESETS = load_presets(ROOT / "assets" / "presets", bundled_demos(ROOT / "assets" / "demos"))
MNIST_LESSONS = [n for n, p in PRESETS.items() if p.settings.get("dataset", "mnist") == "mnist"]
pytestmark = pytest.mark.usefixtures("trained_once")   # conftest: a recipe on the same data trains once a session
CLAIM = {"runs": {"2 numbers": {}, "32 numbers": {"latent_dim": 32}},
         "checks": [{"metric": "test_loss", "run": "32 numbers", "below": "2 numbers", "margin": 20}]}


@pytest.fixture(scope="module", autouse=True)
def single_thread():
    """Train as a dashboard job does on 2 cores (aecore.jobs.threads_per_job), so the CPU times compare."""
    with one_thread():
        yield


def test_every_lesson_states_a_claim():
    assert all(p.claim is not None for p in PRESETS.values())


def assert_holds(name: str, data) -> None:
    result = check_lesson(PRESETS[name], data)
    print(result.report())   # the measured numbers, for the claim's notes (pytest -s)
    assert result.passed, result.report()


@pytest.mark.slow
@pytest.mark.parametrize("which", ON_MNIST)   # full MNIST: heavy, and skipped when absent
@pytest.mark.parametrize("name", MNIST_LESSONS)
def test_lesson_holds_on_mnist(name, which, request):
    assert_holds(name, request.getfixturevalue(which))


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n in PRESETS if n not in MNIST_LESSONS])
def test_lesson_holds_on_its_own_data(name):
    dataset = PRESETS[name].settings["dataset"]
    assert_holds(name, load_dataset(dataset, data_dir=str(shared_dataset(dataset).parent), allow_download=False))


@pytest.mark.slow
def test_the_bundled_demos_show_what_their_lessons_say(embedded_mnist):
    """The demos a lesson opens (trained longer than its settings) keep the promise too."""
    demo = {name: Trained(load_run(ROOT / "assets" / "demos" / name), False, 0.0, 0.0)
            for name in ("linear-mnist-2d", "ae-mnist-2d", "vae-mnist-2d")}
    data = embedded_mnist
    assert mse_vs_pca(demo["linear-mnist-2d"], data) <= 1.05
    assert gap_fraction(demo["ae-mnist-2d"], data) > gap_fraction(demo["vae-mnist-2d"], data) + 0.05


def test_a_claim_runs_headless_on_tiny_data():
    data = make_images()
    preset = parse_preset("tiny", {"title": "T", "explanation": "One. Two.", "page": "pages/train.py",
                                   "settings": {"variant": "vanilla", "latent_dim": 2, "epochs": 1, "lr": 1.0},
                                   "claim": {"runs": {"a": {}, "b": {"latent_dim": 4}},
                                             "checks": [{"metric": "diverged", "run": "a", "at_most": 1},
                                                        {"metric": "near_zero", "run": "b", "at_least": 0}]}})
    result = check_lesson(preset, data)
    assert set(result.values) == {"a", "b"} and set(result.values["b"]) == {"near_zero"}
    assert result.passed and "holds" in result.report()


def test_metrics_on_known_codes():
    class Fixed(torch.nn.Module):   # a "model" whose code is a chosen array
        config = type("C", (), {"latent_dim": 2, "conditional": False})()
        head = torch.nn.Linear(1, 1)

        def __init__(self, z):
            super().__init__()
            self.z = z

        def encode(self, x, y=None):
            return self.z[:len(x)]

    x = torch.zeros(400, 1, 2, 2)
    data = type("D", (), {"x_test": x, "y_test": None})()
    cloud = Trained(type("R", (), {"model": Fixed(torch.randn(400, 2, generator=torch.Generator().manual_seed(0)))}),
                    False, 0, 0)
    arms = torch.cat([torch.stack([torch.linspace(0, 1, 200), torch.zeros(200)], 1),
                      torch.stack([torch.zeros(200), torch.linspace(0, 1, 200)], 1)])   # an L: most of the box empty
    assert gap_fraction(Trained(type("R", (), {"model": Fixed(arms)}), False, 0, 0), data) > 0.5
    assert gap_fraction(cloud, data) < 0.5
    assert near_zero(Trained(type("R", (), {"model": Fixed(torch.zeros(400, 2))}), False, 0, 0), data) == 1.0


def test_unit_metrics_count_the_first_layer_on_the_test_samples_the_inside_view_judges_it_on():
    run, data = tiny_run("vanilla", epochs=1)   # first layer: ReLU units on 8x8 bars
    first = run.model.encoder.layers[0]
    with torch.no_grad():
        first.weight.zero_()
        first.bias.fill_(-1.0)     # every unit off...
        first.bias[:2] = 1.0       # ...but two, always on
        first.weight[2] = 1.0      # and one on wherever the sample's pixels add up to more than 1: every bar
    trained = Trained(run, False, 0, 0)
    units = first.out_features
    assert unused_units(trained, data) == pytest.approx((units - 3) / units)
    assert unit_fire_rate(trained, data) == pytest.approx(1.0)
    brightness = data.x_test.flatten(1).sum(1).sort().values   # the tiny test split is the whole pool (1,000 at most)
    half = len(brightness) // 2
    with torch.no_grad():   # the third unit now fires for the brighter half (cut between two samples: no ties)
        first.bias[2] = -(brightness[half - 1] + brightness[half]) / 2
    share = (len(brightness) - half) / len(brightness)
    assert unit_fire_rate(trained, data) == pytest.approx((1 + 1 + share) / 3)


@pytest.mark.parametrize("change, message", [
    ({"runs": {}}, "runs"),
    ({"runs": {"a": {"bottleneck": 3}}}, "unknown setting"),
    ({"runs": {"a": {"dataset": "digits"}}}, "dataset"),
    ({"checks": []}, "checks"),
    ({"checks": [{"metric": "accuracy", "run": "2 numbers", "at_most": 1}]}, "metric"),
    ({"checks": [{"metric": "test_loss", "run": "3 numbers", "at_most": 1}]}, "not one of the claim's runs"),
    ({"checks": [{"metric": "test_loss", "run": "2 numbers", "below": "nobody"}]}, "not one of the claim's runs"),
    ({"checks": [{"metric": "test_loss", "run": "2 numbers"}]}, "exactly one"),
    ({"checks": [{"metric": "test_loss", "run": "2 numbers", "at_most": 1, "at_least": 0}]}, "exactly one"),
    ({"checks": [{"metric": "test_loss", "run": "2 numbers", "at_most": "low"}]}, "number"),
    ({"checks": [{"metric": "test_loss", "run": "2 numbers", "at_most": 1, "margin": 2}]}, "margin"),
    ({"checks": [{"metric": "test_loss", "run": "2 numbers", "below": "32 numbers", "times": -1}]}, "times"),
    ({"app": "painting"}, "app"),
    ({"app": "denoise"}, "no runs"),
    ({"colour": "red"}, "unknown claim keys"),
])
def test_bad_claims_are_errors(change, message):
    with pytest.raises(ClaimError, match=message):
        parse_claim({**copy.deepcopy(CLAIM), **change})


def test_a_check_reads_its_values():
    claim = parse_claim({**CLAIM, "checks": [
        {"metric": "test_loss", "run": "32 numbers", "below": "2 numbers", "margin": 20},
        {"metric": "test_loss", "run": "32 numbers", "below": "2 numbers", "times": 0.5},
        {"metric": "test_loss", "run": "2 numbers", "at_least": 150}]})
    values = {"2 numbers": {"test_loss": 160.0}, "32 numbers": {"test_loss": 130.0}}
    assert [c.holds(values) for c in claim.checks] == [True, False, True]
    assert claim.checks[0].describe() == 'test_loss of "32 numbers" below "2 numbers" by at least 20'
    assert claim.changed == ["latent_dim"]


def test_a_claim_may_only_change_what_presenter_view_shows():
    bad = {**copy.deepcopy(CLAIM), "runs": {"2 numbers": {}, "32 numbers": {"latent_dim": 32, "lr": 0.001}}}
    with pytest.raises(PresetError, match="lr, which presenter view hides"):
        parse_preset("lesson", {"title": "T", "explanation": "One. Two.", "page": "pages/train.py",
                                "settings": {"variant": "vanilla"}, "claim": bad})
    # a setting the lesson sets is drawn outside Advanced in presenter view (face.sidebar), so runs may change it
    parse_preset("lesson", {"title": "T", "explanation": "One. Two.", "page": "pages/train.py",
                            "settings": {"variant": "vanilla", "lr": 0.003}, "claim": bad})
