"""What a lecturer does: open a shared link, pick a lesson, switch to presenter view for the projector.

Screenshots land in artifacts/e2e/ (lecture-*.png): look at them after a run.
"""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import harness
import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

LINK = "/latent?dataset=digits&variant=sparse&latent_dim=16&lr=0.0003&epochs=4"


@pytest.fixture
def fresh(browser):
    """A new browser session (so a new Streamlit session), with JavaScript errors collected."""
    context = browser.new_context(viewport=harness.VIEWPORT)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    yield page, errors
    context.close()


def number(page, label: str):
    """The number input's box (assert with expect: it waits out a sidebar still drawing, a race seen in CI)."""
    return page.get_by_test_id("stNumberInput").filter(has_text=label).first.locator("input")


def combo(page, label: str):
    return page.get_by_role("combobox", name=label, exact=True)


def shows(box, value) -> None:
    expect(box).to_have_value(value, timeout=10_000)


@pytest.fixture(scope="module")
def served_once(browser, app_url):
    """The server after a first visit to the root URL (a link as the first request is tested on its own)."""
    page = browser.new_page(viewport=harness.VIEWPORT)
    harness.open_app(page, app_url)
    page.close()
    return app_url


def open_link(page, url: str) -> None:
    harness.watch_messages(page)
    page.goto(url)
    page.get_by_role("heading", name="Latent space").first.wait_for(timeout=60_000)
    harness.wait_idle(page)


def test_a_shared_link_opens_the_same_setup(fresh, served_once):
    page, errors = fresh
    open_link(page, served_once + LINK)
    shows(combo(page, "Dataset"), "Digits (8x8)")
    shows(combo(page, "Variant"), harness.option_text("sparse"))
    shows(number(page, "Bottleneck size"), "16")
    page.get_by_test_id("stSidebar").get_by_text("Advanced").click()
    shows(number(page, "Epochs"), "4")
    lr = page.get_by_test_id("stSlider").filter(has_text="Learning rate")
    assert lr.get_by_role("slider").get_attribute("aria-valuetext") == "0.0003"
    # the address bar and the copy-link box hold the same link
    address = urlsplit(page.url)
    assert address.path == "/latent" and parse_qs(address.query) == parse_qs(urlsplit(LINK).query)
    page.get_by_test_id("stSidebar").get_by_role("button", name="Link to this setup").click()
    link = urlsplit(page.get_by_test_id("stPopoverBody").get_by_test_id("stCode").inner_text().replace("\n", ""))
    assert link.path == "/latent" and parse_qs(link.query) == parse_qs(address.query)
    harness.shot(page, "lecture-shared-link")
    assert not harness.exception_texts(page) and not errors


def test_a_shared_link_as_the_servers_first_request(browser):
    """Streamlit would run it in its old pages/-folder mode, the bare page without the sidebar:
    face.session.ensure_frame."""
    with harness.streamlit_server() as url:
        page = browser.new_page(viewport=harness.VIEWPORT)
        try:
            open_link(page, url + LINK)
            shows(combo(page, "Variant"), harness.option_text("sparse"))
            shows(number(page, "Bottleneck size"), "16")
            assert urlsplit(page.url).path == "/latent"
            harness.shot(page, "lecture-shared-link-first-request")
        finally:
            page.close()


def test_a_lesson_then_presenter_view(fresh, app_url):
    page, errors = fresh
    harness.open_app(page, app_url)
    harness.choose(page, "Lesson preset", "VAE vs AE (2/2): a VAE's latent space")
    page.get_by_role("heading", name="Latent space").first.wait_for(timeout=60_000)
    harness.wait_idle(page)
    card = page.get_by_test_id("stAlert").filter(has_text="Lesson: VAE vs AE (2/2)")
    card.wait_for(timeout=30_000)
    assert "lesson=vae-vs-ae-2-vae" in page.url
    page.get_by_test_id("stPlotlyChart").first.locator(".js-plotly-plot").wait_for(timeout=60_000)
    harness.shot(page, "lecture-preset-applied")

    normal_px = page.evaluate("() => getComputedStyle(document.documentElement).fontSize")
    page.get_by_test_id("stSidebar").get_by_text("Presenter view").click()
    harness.wait_idle(page)
    page.wait_for_function("() => getComputedStyle(document.documentElement).fontSize === '22px'", timeout=30_000)
    assert normal_px != "22px"
    assert not page.get_by_test_id("stSidebar").get_by_text("Advanced").is_visible()
    shows(combo(page, "Variant"), harness.option_text("vae"))
    # the lesson is still set up, its card one line that opens on a click (the page's result stays on screen)
    page.get_by_test_id("stExpander").filter(has_text="Lesson: VAE vs AE (2/2)").wait_for(timeout=10_000)
    page.get_by_test_id("stPlotlyChart").first.locator(".js-plotly-plot").wait_for(timeout=60_000)
    harness.shot(page, "lecture-presenter-view")
    assert not harness.exception_texts(page) and not errors
