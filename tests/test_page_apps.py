"""AppTests of the application pages (denoising, anomaly, compression, features, imputation, sequences),
each on tiny seeded data, driven through app.py's navigation like a person would."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from aecore import jobs
from conftest import make_images, make_sequences, trained_run

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def open_page(page: str, data, **state) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["dataset"] = "upload"
    at.session_state["upload_data"] = data
    for k, v in state.items():
        at.session_state[k] = v
    at.switch_page(f"pages/{page}.py")
    return at.run()


def finish_training(at: AppTest, key: str) -> AppTest:
    """Wait for the page's background jobs, then rerun as the progress fragment would."""
    group = at.session_state[key]
    for job in group.jobs.values():
        assert job.wait(60), "training finished"
    return at.run()


def charts(at: AppTest) -> list[dict]:
    return [json.loads(el.proto.spec) for el in at.get("plotly_chart")]


def texts(at: AppTest) -> str:
    return " ".join(m.value for m in [*at.markdown, *at.caption, *at.info, *at.error, *at.warning])


def test_denoise_trains_two_models_and_plots_every_method():
    at = open_page("denoise", make_images(), denoise_k=8, denoise_epochs=1)
    assert not at.exception
    assert "Train both autoencoders" in texts(at)
    submit = [b for b in at.button if b.label == "Train both autoencoders"][0]
    at = submit.click().run()
    assert not at.exception
    at = finish_training(at, "denoise_group")
    assert not at.exception
    curve = [c for c in charts(at) if c["layout"].get("yaxis", {}).get("title", {}).get("text", "").startswith("PSNR")]
    assert len(curve) == 1
    names = {t["name"] for t in curve[0]["data"]}
    assert names == {"noisy input", "median filter 3x3", "PCA-8", "denoising AE", "plain AE"}
    assert len(curve[0]["data"][0]["x"]) == 7
    assert "denoising AE reaches" in texts(at)
    assert len(at.get("imgs")) >= 1 or len(at.get("image")) >= 1
