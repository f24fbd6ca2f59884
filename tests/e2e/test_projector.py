"""Issue 15: a lecturer at 1920x1080 with presenter view on. Every lesson, opened from the sidebar, keeps presenter
view (root font 22 px) and shows its key result above the fold once its page has trained (small epochs here);
a model shared with the class opens, read-only, in another browser.

The server runs on the embedded data (MNIST's offline 5,000 digits) plus ECG5000 from shared/datasets when it is
there, for the anomaly lesson. Screenshots of every lesson: /tmp/shots-lessons/ (look at them).
"""
from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path

import atlas_driver as drive
import harness
import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SCREEN = {"width": 1920, "height": 1080}
SHOTS = Path(os.environ.get("LATENT_LAB_LESSON_SHOTS", "/tmp/shots-lessons"))
PRESETS = harness.REPO / "assets" / "presets"
ECG = harness.REPO.parent / "shared" / "datasets" / "ecg5000"
LESSONS = sorted(p.stem for p in PRESETS.glob("*.json"))
FONT = "() => getComputedStyle(document.documentElement).fontSize"


@pytest.fixture(scope="module")
def server():
    """The app on the embedded digits (downloads fail at once), with ECG5000 when it is beside the repo."""
    with tempfile.TemporaryDirectory(prefix="latentlab-data-") as data_dir:
        if ECG.exists():
            os.symlink(ECG, Path(data_dir) / "ecg5000")
        env = {"AECORE_DATA_DIR": data_dir, "AECORE_MNIST_URL": "http://127.0.0.1:9/",
               "AECORE_FASHION_MNIST_URL": "http://127.0.0.1:9/", "AECORE_SYSTEM_DATA_DIRS": ""}
        with harness.streamlit_server(env=env) as url:
            yield url


def projector(browser, url: str):
    """A new browser at 1920x1080 on the app, presenter view switched on in the sidebar."""
    page = browser.new_context(viewport=SCREEN).new_page()
    page.errors = []
    page.on("pageerror", lambda err: page.errors.append(str(err)))
    harness.open_app(page, url)
    page.get_by_test_id("stSidebar").get_by_text("Presenter view").click()
    page.wait_for_function(f"({FONT})() === '22px'", timeout=30_000)
    harness.wait_idle(page)
    return page


def open_lesson(page, title: str, heading: str) -> None:
    harness.choose(page, "Lesson preset", title)
    page.get_by_role("heading", name=heading).first.wait_for(timeout=60_000)
    harness.wait_idle(page)


def page_number(page, label: str, value: int) -> None:
    """Type into the page's own number input (the sidebar shows a lesson's Epochs too)."""
    field = page.get_by_test_id("stMain").get_by_test_id("stNumberInput").filter(has_text=label).first.locator("input")
    field.fill(str(value))
    field.press("Enter")
    harness.wait_idle(page)


def train_page(page) -> list:
    """Train for one epoch; the key result is the loss chart and the reconstructions."""
    harness.set_number(page, "Epochs", 1)
    page.get_by_role("button", name="Train", exact=True).click()
    bar = '[data-testid="stMain"] [data-testid="stProgress"]'
    page.wait_for_function(f"""() => [...document.querySelectorAll('{bar}')].some(
        p => / · (done|failed|stopped)/.test(p.innerText))""", timeout=300_000)
    harness.wait_idle(page)
    loss = page.locator(".st-key-train_loss")
    loss.locator(".js-plotly-plot").first.wait_for(timeout=30_000)
    return [loss, page.get_by_test_id("stMain").get_by_test_id("stImage").first]


def latent_page(page) -> list:
    """The pretrained demo: the key result is the atlas, the scatter of its codes (drawn in its own frame)."""
    drive.wait_frame(page, timeout_ms=120_000)
    return [page.locator(drive.COMPONENT).first]


def denoise_page(page) -> list:
    """Train both autoencoders briefly; the key result is the picture rows (clean, noisy, each method)."""
    page_number(page, "Epochs", 2)
    page.get_by_role("button", name="Train both autoencoders").click()
    page.get_by_text("PSNR against noise level").wait_for(timeout=300_000)
    harness.wait_idle(page)
    return [page.get_by_test_id("stMain").get_by_test_id("stImage").first,
            page.get_by_test_id("stMain").get_by_test_id("stImage").last]


def anomaly_page(page) -> list:
    """Train on normal beats briefly; the key result is the score histogram and the ROC curves."""
    if not ECG.exists():
        return [page.get_by_test_id("stAlert").filter(has_text="cannot run here")]
    page_number(page, "Epochs", 2)
    page.get_by_role("button", name="Train on normal samples").click()
    page.locator(".st-key-anomaly_roc .js-plotly-plot").wait_for(timeout=300_000)
    harness.wait_idle(page)
    return [page.locator(".st-key-anomaly_hist"), page.locator(".st-key-anomaly_roc")]


PAGES = {"pages/train.py": ("Train", train_page), "pages/latent.py": ("Latent space", latent_page),
         "pages/denoise.py": ("Denoising", denoise_page), "pages/anomaly.py": ("Anomaly detection", anomaly_page)}


def off_screen(elements: list) -> list[str]:
    """The elements not wholly inside the 1920x1080 window, with where they are."""
    out = []
    for i, el in enumerate(elements):
        box = el.bounding_box()
        if box is None or box["y"] < 0 or box["y"] + box["height"] > SCREEN["height"] or box["height"] < 20:
            out.append(f"element {i}: {box}")
    return out


@pytest.mark.parametrize("name", LESSONS)
def test_each_lesson_keeps_presenter_view_and_its_result_above_the_fold(name, browser, server):
    preset = json.loads((PRESETS / f"{name}.json").read_text())
    heading, key_result = PAGES[preset["page"]]
    page = projector(browser, server)
    try:
        open_lesson(page, preset["title"], heading)
        assert page.evaluate(FONT) == "22px", "presenter view survives the page the lesson opens"
        try:
            elements = key_result(page)
            harness.wait_idle(page)
        finally:
            page.evaluate("() => document.querySelectorAll('*').forEach(e => { if (e.scrollTop) e.scrollTop = 0; })")
            page.mouse.move(SCREEN["width"] - 5, SCREEN["height"] - 5)   # no tooltip over the shot
            SHOTS.mkdir(parents=True, exist_ok=True)
            # the window: what the class sees
            page.screenshot(path=str(SHOTS / f"{preset.get('order', 0):03d}-{name}.png"))
        assert page.evaluate(FONT) == "22px", "presenter view survives training"
        assert not off_screen(elements), f"{name}: the key result is not wholly on screen: {off_screen(elements)}"
        assert not harness.exception_texts(page) and not page.errors
    finally:
        page.context.close()


def test_presenter_view_survives_the_sidebar_navigation(browser, server):
    page = projector(browser, server)
    try:
        for title in ("Latent space", "Denoising", "Train"):
            harness.open_section(page, title)
            assert page.evaluate(FONT) == "22px", title
    finally:
        page.context.close()


def test_a_shared_model_opens_read_only_in_another_browser_and_forks(browser, server):
    lecturer = browser.new_context(viewport=SCREEN).new_page()
    harness.open_app(lecturer, server)
    harness.train(lecturer, variant="vae", latent_dim=3, epochs=1)   # a VAE: four downloads in the Export row
    lecturer.get_by_test_id("stSidebar").get_by_text("Presenter view").click()   # the lecturer at the projector
    lecturer.wait_for_function(f"({FONT})() === '22px'", timeout=30_000)
    harness.wait_idle(lecturer)
    lecturer.get_by_test_id("stExpander").filter(has_text="Export").click()   # its labels are whole, not cut off
    lecturer.get_by_test_id("stDownloadButton").first.wait_for(timeout=30_000)
    cut = lecturer.evaluate("""() => [...document.querySelectorAll('[data-testid=stDownloadButton] button')]
        .filter(b => b.scrollWidth > b.clientWidth + 1 || [...b.querySelectorAll('*')].some(
            e => e.scrollWidth > e.clientWidth + 1)).map(b => b.innerText)""")
    assert not cut, f"download buttons with their label cut off: {cut}"
    lecturer.get_by_role("button", name="Share this model with the class").click()
    harness.wait_idle(lecturer)
    link = lecturer.get_by_test_id("stSidebar").get_by_test_id("stCode").filter(has_text="follow=")
    url = link.inner_text().replace("\n", "")
    assert re.search(r"[?&]follow=[0-9a-f]{32}$", url), url
    banner = lecturer.get_by_text(re.compile(r"^Current model")).first.inner_text()

    student = browser.new_context(viewport=SCREEN).new_page()   # another browser: its own cookie, its own session
    harness.watch_messages(student)
    student.goto(url)
    student.get_by_text("Following the lecturer's model").wait_for(timeout=60_000)
    harness.wait_idle(student)
    assert student.get_by_text(re.compile(r"^Current model")).first.inner_text() == banner, "that very model"
    assert student.get_by_role("combobox", name="Variant", exact=True).input_value().startswith("vae — ")
    assert student.get_by_role("button", name="Train", exact=True).is_disabled()
    assert student.get_by_role("button", name="Resume", exact=True).is_disabled()
    harness.shot(student, "follow-1-student")

    student.get_by_role("button", name="Fork").click()
    harness.wait_idle(student)
    assert student.get_by_text("Following the lecturer's model").count() == 0
    assert student.get_by_role("button", name="Train", exact=True).is_enabled()
    assert "follow=" not in student.url
    harness.shot(student, "follow-2-forked")
    student.context.close()
    lecturer.context.close()
