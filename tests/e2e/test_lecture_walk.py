"""Issue 20's lecture walk at 1920x1080 in presenter view, on the offline default data: the learning-rate lesson's
chart shows step 1 and the leap (item 4), the Models page finds the run's time-lapse (item 3), and Imputation's
default autoencoder beats the mean fill, with the error per iteration (item 1). Screenshots: artifacts/e2e/issue20-*."""
from __future__ import annotations

import re

import harness
import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
PROJECTOR = {"width": 1920, "height": 1080}


def metric(page, label: str) -> float:
    box = page.get_by_test_id("stMetric").filter(has_text=label).first
    return float(box.get_by_test_id("stMetricValue").inner_text().replace(",", ""))


def wait_done(page, timeout_ms: float = 400_000) -> None:
    bar = '[data-testid="stMain"] [data-testid="stProgress"]'
    page.wait_for_function(f"""() => [...document.querySelectorAll('{bar}')].some(p => / · (done|failed|stopped)/
                               .test(p.innerText))""", timeout=timeout_ms)
    harness.wait_idle(page)


def test_lecture_walk_in_presenter_view(browser, app_url):
    page = browser.new_context(viewport=PROJECTOR).new_page()
    harness.open_app(page, app_url)
    page.get_by_test_id("stSidebar").get_by_role("switch", name="Presenter view").click(force=True)
    harness.wait_idle(page)
    harness.choose(page, "Lesson preset", "Learning rate too high")
    harness.wait_for_choice(page, "Variant", "vanilla")   # the lesson's settings are in the browser
    page.get_by_role("button", name="Train", exact=True).click()
    wait_done(page)
    shown = page.evaluate("""() => { const gd = document.querySelector('[data-testid="stMain"] .js-plotly-plot');
        return {type: gd._fullLayout.yaxis.type, y: gd.calcdata[0].slice(0, 3).map((p) => p.y)}; }""")
    assert shown["type"] == "log" and 400 < shown["y"][0] < 700 and shown["y"][1] > 1e7, shown   # step 1, the leap
    harness.shot(page, "issue20-4-learning-rate-chart-1920")

    harness.open_section(page, "Models")
    assert page.get_by_text(re.compile(r"^Time-lapse: \d+ frames")).count() == 1
    harness.shot(page, "issue20-3-models-timelapse-1920")

    harness.open_section(page, "Imputation")
    page.get_by_text("an autoencoder trained here").click()
    harness.wait_idle(page)
    page.get_by_role("button", name="Train the autoencoder").click()
    page.get_by_test_id("stMetric").filter(has_text="Mean fill").wait_for(timeout=400_000)
    harness.wait_idle(page)
    base, ours = metric(page, "Mean fill"), metric(page, "Autoencoder (3 iterations)")
    assert ours < 0.6 * base, (base, ours)
    assert page.get_by_text(re.compile("lowest error is after")).count() == 1
    harness.shot(page, "issue20-1-imputation-1920")
    page.context.close()
