"""Browser fixtures: one `streamlit run app.py` server and one chromium for the whole session.

Skipped (not failed) when Debian's /usr/bin/chromium or the playwright package is missing. Screenshots go to
artifacts/e2e/ (gitignored): look at them after a run.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import harness  # noqa: E402

if not os.path.exists(harness.CHROMIUM):
    pytest.skip(f"{harness.CHROMIUM} is missing: browser tests need Debian's chromium", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="browser tests need the playwright package")


@pytest.fixture(scope="session")
def app_url():
    with harness.streamlit_server() as url:
        yield url


@pytest.fixture(scope="session")
def playwright():
    """One Playwright driver for the session: a second sync driver cannot start while the first runs."""
    with sync_api.sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright):
    b = harness.launch(playwright)
    yield b
    b.close()


@pytest.fixture
def page(browser, app_url):
    """A fresh browser session (so a fresh Streamlit session) on the app's first page."""
    context = browser.new_context(viewport=harness.VIEWPORT)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    harness.open_app(page, app_url)
    yield page
    context.close()
    assert not errors, f"JavaScript errors in the page: {errors}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On a failure, a screenshot of every open page: artifacts/e2e/FAILED-<test>-<n>.png."""
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed and "browser" in item.funcargs:
        for c, context in enumerate(item.funcargs["browser"].contexts):
            for n, pg in enumerate(context.pages):
                try:
                    harness.shot(pg, f"FAILED-{item.name}-{c}{n}")
                except Exception:   # a closed page has nothing to show
                    pass
