"""Issue 12: a student's model survives a reload (F5) and a closed tab, and the sidebar keeps its settings.

A browser context is one browser: its cookie holds the workspace token (face.persist)."""
from __future__ import annotations

import re

import harness
import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def banner(page) -> str:
    return page.get_by_text(re.compile(r"^(Current model|No model yet)")).first.inner_text()


def test_a_reload_and_a_closed_tab_keep_the_model(page, browser, app_url):
    """`page` (conftest) is a fresh browser on the app; it also fails the test on JavaScript errors in that page."""
    context, errors = page.context, []
    harness.train(page, variant="vanilla", latent_dim=3, epochs=1)
    trained = banner(page)
    assert "**" not in trained and "vanilla" in trained and "bottleneck 3" in trained

    page.reload()                                   # F5
    harness.open_app(page, page.url)
    assert banner(page) == trained, "the model came back after a reload"
    assert page.get_by_role("combobox", name="Variant", exact=True).input_value().startswith("vanilla — ")
    harness.shot(page, "reload-1-after-f5")

    page.close()                                    # the tab is closed; the browser opens the app again
    again = context.new_page()
    again.on("pageerror", lambda err: errors.append(str(err)))
    harness.open_app(again, app_url)
    harness.open_section(again, "Models")
    assert banner(again) == trained, "the model came back in a new tab"
    assert again.get_by_role("combobox", name="Variant", exact=True).input_value().startswith("vanilla — ")
    assert again.get_by_text("The sidebar is set to").count() == 0
    harness.shot(again, "reload-2-new-tab")

    stranger = browser.new_context(viewport=harness.VIEWPORT).new_page()   # another browser: not this model
    harness.open_app(stranger, app_url)
    assert banner(stranger).startswith("No model yet")
    stranger.context.close()
    assert not errors, errors
