"""Non-image data in the browser: a VAE on the sine waves shows line plots, never image grids, on both pages."""
from __future__ import annotations

import pytest

import harness

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_sines_vae_latent_and_generate_draw_lines(browser, app_url):
    context = browser.new_context(viewport=harness.VIEWPORT)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    try:
        harness.open_app(page, app_url)
        harness.train(page, variant="vae", latent_dim=2, epochs=1, dataset="Sine waves")

        harness.open_section(page, "Latent space")
        page.wait_for_function("() => document.querySelector('.js-plotly-plot')?._fullData?.length > 0")
        info = harness.scatter_points(page)
        assert set(info["types"]) == {"scattergl"} and info["total"] == 500
        main = page.get_by_test_id("stMain")
        assert main.get_by_test_id("stImage").count() == 0, "sequences are never drawn as images"
        assert main.get_by_test_id("stPlotlyChart").count() == 3   # scatter, decoded code, KL bars
        harness.shot(page, "10-sines-latent")
        assert not harness.exception_texts(page)

        harness.open_section(page, "Generate")
        charts = main.get_by_test_id("stPlotlyChart")
        charts.first.locator(".js-plotly-plot").wait_for(timeout=30_000)
        assert main.get_by_test_id("stImage").count() == 0
        assert charts.count() == 3   # decoded sample, traversals, interpolation
        assert page.get_by_text("The manifold grid is for image data").is_visible()
        before = page.evaluate("() => [...document.querySelector('.js-plotly-plot')._fullData[0].y].join(',')")
        thumb = main.get_by_test_id("stSlider").first.get_by_role("slider")
        thumb.focus()
        for _ in range(20):
            thumb.press("ArrowRight")
        page.wait_for_function(
            "old => [...document.querySelector('.js-plotly-plot')._fullData[0].y].join(',') !== old", arg=before,
            timeout=30_000)
        harness.wait_idle(page)
        harness.shot(page, "11-sines-generate")
        assert not harness.exception_texts(page) and not errors
    finally:
        context.close()
