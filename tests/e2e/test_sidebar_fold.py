"""Issue 20, smaller items: on a 1440x900 laptop screen the settings a student changes first (Bottleneck size,
Advanced) stand above the sidebar's fold."""
from __future__ import annotations

import pytest

import harness

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
LAPTOP = {"width": 1440, "height": 900}


def test_bottleneck_and_advanced_above_the_fold(browser, app_url):
    page = browser.new_context(viewport=LAPTOP).new_page()
    harness.open_app(page, app_url)
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_text("Bottleneck size").wait_for(timeout=60_000)
    harness.wait_idle(page)
    for name, element in (("Bottleneck size", sidebar.get_by_role("spinbutton", name="Bottleneck size")),
                          ("Advanced", sidebar.get_by_test_id("stExpander").filter(has_text="Advanced"))):
        box = element.bounding_box()
        assert box is not None and box["y"] + box["height"] <= LAPTOP["height"], f"{name} ends at {box}"
    assert sidebar.get_by_role("combobox", name="Variant", exact=True).input_value().startswith("vae — ")
    harness.shot(page, "issue20-sidebar-1440")
    page.context.close()


def test_every_variant_line_is_read_in_full(browser, app_url):
    """The Variant list's options ("name — what it teaches") were cut to the sidebar's width."""
    page = browser.new_context(viewport=LAPTOP).new_page()
    harness.open_app(page, app_url)
    page.get_by_test_id("stSidebar").get_by_role("combobox", name="Variant", exact=True).click()
    options = page.get_by_role("listbox", name="Variant").get_by_role("option")
    options.first.wait_for(timeout=30_000)
    texts = options.evaluate_all("os => os.map(o => [o.innerText, o.firstElementChild.scrollWidth,"
                                 " o.firstElementChild.clientWidth, o.getBoundingClientRect().right])")
    assert len(texts) >= 10 and all(" — " in text for text, *_ in texts), texts
    cut = [text for text, needed, shown, right in texts if needed > shown or right > LAPTOP["width"]]
    assert not cut, f"cut off or past the screen's edge: {cut}"
    harness.shot(page, "issue20-variant-list-1440")
    page.context.close()
