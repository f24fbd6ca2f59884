"""Issue 18, gap 3: a server that restarts while a student's model trains. The browser reconnects to the new
server process by itself; the page must say what happened and what was lost, and show the run interrupted and
ready to Resume (it used to show "Epoch 1.1 of 6 · stopped", as if the student had pressed Stop)."""
from __future__ import annotations

import re

import harness
import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
BAR = '[data-testid="stMain"] [data-testid="stProgress"]'


def test_a_restart_mid_training_is_said_and_ready_to_resume(browser, tmp_path):
    env = {"AECORE_STORE_DIR": str(tmp_path / "store")}
    port = harness.free_port()
    context = browser.new_context(viewport=harness.VIEWPORT)
    page = context.new_page()
    with harness.streamlit_server(port, env=env, log_path=tmp_path / "first.log") as url:
        harness.open_app(page, url)
        harness.set_number(page, "Bottleneck size", 2)
        page.get_by_test_id("stSidebar").get_by_text("Advanced").click()
        harness.set_number(page, "Epochs", 50)
        page.get_by_text(re.compile(r"for 50 epoch")).wait_for(timeout=30_000)
        page.get_by_role("button", name="Train", exact=True).click()
        page.wait_for_function(f"""() => [...document.querySelectorAll('{BAR}')]
                                          .some(p => /Epoch [1-9]/.test(p.innerText))""", timeout=120_000)
        page.wait_for_timeout(4_000)   # a save or two while it trains
    # the server is gone (stopped mid-training); a new process starts on the same address
    with harness.streamlit_server(port, env=env, log_path=tmp_path / "second.log"):
        news = page.get_by_text(re.compile("The server restarted while your model trained"))
        news.first.wait_for(timeout=120_000)
        harness.wait_idle(page)
        said = news.first.inner_text()
        assert re.search(r"training stopped at epoch [\d.]+ of 50 \(step [\d,]+\)", said), said
        assert "lost" in said and "Resume" in said
        assert "· interrupted" in page.locator(BAR).first.inner_text()
        assert page.get_by_role("button", name="Resume", exact=True).is_enabled()
        harness.shot(page, "restart-1-reattached")
        page.get_by_role("button", name="Resume", exact=True).click()
        page.get_by_role("button", name="Stop", exact=True).wait_for(state="visible")
        page.wait_for_function(f"""() => [...document.querySelectorAll('{BAR}')]
                                          .some(p => /left/.test(p.innerText))""", timeout=60_000)
        harness.wait_idle(page)   # the bar is the fragment's: the full run that drops the message may still go on
        assert page.get_by_text(re.compile("The server restarted")).count() == 0
        page.get_by_role("button", name="Stop", exact=True).click()
        harness.wait_idle(page)
        harness.shot(page, "restart-2-resumed")
    context.close()
