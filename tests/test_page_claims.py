"""Issue 20: every application page's default is a claim (assets/claims, aecore.lecture.pageclaims), checked like a
lesson's on the embedded 5k digits and on full MNIST (sequences: ECG5000 and the synthetic sines that stand in for
it)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import ON_MNIST, one_thread, shared_dataset

from aecore.data import load_dataset
from aecore.lecture.claims import ClaimError
from aecore.lecture.pageclaims import DEFAULTS, check_page, claim_for, load_page_claims, page_default

ROOT = Path(__file__).resolve().parents[1]
CLAIMS = load_page_claims(ROOT / "assets" / "claims")
IMAGE_PAGES = [p for p in DEFAULTS if p != "sequences"]
pytestmark = pytest.mark.usefixtures("trained_once")   # conftest: a recipe on the same data trains once a session


@pytest.fixture(autouse=True)
def single_thread():
    with one_thread():
        yield


def test_every_application_page_states_a_claim():
    assert {page for page, _ in CLAIMS} == set(DEFAULTS) == {"denoise", "anomaly", "compression", "features",
                                                              "imputation", "sequences"}


def assert_holds(page: str, data) -> None:
    result = check_page(page, claim_for(CLAIMS, page, data), data)
    print(result.report())
    assert result.passed, result.report()


@pytest.mark.slow
@pytest.mark.parametrize("which", ON_MNIST)   # full MNIST: heavy, and skipped when absent
@pytest.mark.parametrize("page", IMAGE_PAGES)
def test_page_default_holds_on_mnist(page, which, request):
    assert_holds(page, request.getfixturevalue(which))


@pytest.mark.slow
@pytest.mark.parametrize("name", ["ecg5000", "sines"])
def test_sequences_default_holds(name):
    data = (load_dataset("sines") if name == "sines" else
            load_dataset(name, data_dir=str(shared_dataset(name).parent), allow_download=False))
    assert_holds("sequences", data)


def test_the_sines_have_their_own_honest_claim():
    sines, ecg = (type("D", (), {"name": n})() for n in ("sines", "ecg5000"))
    assert claim_for(CLAIMS, "sequences", sines) is CLAIMS["sequences", "sines"]
    assert claim_for(CLAIMS, "sequences", ecg) is CLAIMS["sequences", None]


def test_page_defaults_follow_the_data_size(embedded_mnist):
    assert page_default("imputation", embedded_mnist).schedule.epochs == 20   # 3 on a full dataset
    assert page_default("imputation", embedded_mnist, seed=4).schedule.seed == 4
    assert page_default("compression", embedded_mnist).sizes == (2, 8, 32)


@pytest.mark.parametrize("name, body, message", [
    ("painting.json", {"app": "impute", "checks": [{"metric": "hidden_mse", "run": "a", "at_most": 1}]},
     "no application page"),
    ("imputation.json", {"app": "denoise", "checks": [{"metric": "psnr", "run": "a", "at_most": 1}]}, "must name app"),
    ("imputation.json", {"app": "impute", "checks": [{"metric": "psnr", "run": "a", "at_most": 1}]}, "metric"),
])
def test_bad_claim_files_are_errors(tmp_path, name, body, message):
    (tmp_path / name).write_text(json.dumps(body))
    with pytest.raises((ValueError, ClaimError), match=message):
        load_page_claims(tmp_path)
