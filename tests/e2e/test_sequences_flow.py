"""Non-image data in the browser: a VAE on the sine waves shows line plots, never image grids, on both pages."""
from __future__ import annotations

import atlas_driver as drive
import harness
import pytest

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
        frame = drive.wait_frame(page, 60_000)
        frame.wait_for_function("() => window.atlas.stats.thumbs === 2500", timeout=60_000)   # train + test
        assert drive.stats(frame)["points"] == 2500
        assert drive.hover_latencies(page, frame, drive.spread_points(frame, 3))["pictures"] == 3, "line plots"
        main = page.get_by_test_id("stMain")
        assert main.get_by_test_id("stImage").count() <= 1, "sequences are never drawn as images (the time-lapse is)"
        assert main.get_by_test_id("stPlotlyChart").count() == 1   # KL bars; the decoded code is in the browser
        harness.shot(page, "10-sines-latent")
        assert not harness.exception_texts(page)

        harness.open_section(page, "Generate")
        charts = main.get_by_test_id("stPlotlyChart")
        charts.first.locator(".js-plotly-plot").wait_for(timeout=30_000)
        assert main.get_by_test_id("stImage").count() == 0
        assert charts.count() == 2   # traversals, interpolation (the decoded sample: in the browser)
        assert page.get_by_text("The manifold grid is for image data").is_visible()
        result = drive.slider_fps(page, drive.wait_frame(page, 60_000), seconds=1.0)
        assert result["changed_during_drag"], "the decoded wave moves with the slider"
        harness.shot(page, "11-sines-generate")
        assert not harness.exception_texts(page) and not errors
    finally:
        context.close()
