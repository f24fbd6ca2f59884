"""Issue 20, item 5: presenter view and the lesson survive F5 (kept with this browser's workspace, face.persist),
while the link a student copies from the lecturer's screen does not turn presenter view on for them."""
from __future__ import annotations

import harness
import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
PROJECTOR = {"width": 1920, "height": 1080}
LESSON = "Learning rate too high"


def root_font_px(page) -> float:
    return page.evaluate("() => parseFloat(getComputedStyle(document.documentElement).fontSize)")


def presenter_toggle(page):
    return page.get_by_test_id("stSidebar").get_by_role("switch", name="Presenter view")


def lesson_shown(page) -> str:
    return page.get_by_role("combobox", name="Lesson preset", exact=True).input_value()


def test_f5_keeps_presenter_view_and_the_lesson_but_a_copied_link_does_not(browser, app_url):
    context = browser.new_context(viewport=PROJECTOR)
    page = context.new_page()
    harness.open_app(page, app_url)
    assert root_font_px(page) == 16
    harness.choose(page, "Lesson preset", LESSON)
    presenter_toggle(page).click(force=True)
    harness.wait_idle(page)
    assert root_font_px(page) == 22 and presenter_toggle(page).is_checked()
    link = page.url

    page.reload()                                          # F5
    harness.wait_idle(page)
    page.get_by_test_id("stSidebar").wait_for(timeout=60_000)
    harness.wait_idle(page)
    assert presenter_toggle(page).is_checked(), "presenter view came back after F5"
    assert root_font_px(page) == 22 and lesson_shown(page).startswith(LESSON)
    harness.shot(page, "issue20-5-presenter-after-f5-1920")
    context.close()

    student = browser.new_context(viewport=PROJECTOR).new_page()   # another browser opens the copied link
    harness.watch_messages(student)
    student.goto(link)
    student.get_by_test_id("stSidebar").wait_for(timeout=60_000)
    harness.wait_idle(student)
    assert lesson_shown(student).startswith(LESSON), "the link carries the lesson"
    assert not presenter_toggle(student).is_checked() and root_font_px(student) == 16
    student.context.close()
