"""What a student does: train a 2-D VAE on MNIST, look at its latent space, click a point, drag a slider.

One trained browser session is shared by the tests of this module (training is the slow part); each test
opens its page through the sidebar, as a person would, and leaves a screenshot in artifacts/e2e/.
"""
from __future__ import annotations

import re

import pytest

import harness

pytestmark = [pytest.mark.e2e, pytest.mark.slow]



@pytest.fixture(scope="module")
def trained(browser, app_url):
    context = browser.new_context(viewport=harness.VIEWPORT)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    harness.open_app(page, app_url)
    harness.train(page, variant="vae", latent_dim=2, epochs=1)
    yield page, errors
    context.close()


def test_training_shows_the_loss_curve_and_reconstructions(trained, browser):
    page, errors = trained
    harness.open_section(page, "Train")
    page.get_by_test_id("stProgress").filter(has_text="Epoch 1.0 of 1").wait_for(timeout=30_000)
    loss = page.get_by_test_id("stPlotlyChart").first
    loss.locator(".js-plotly-plot").wait_for(timeout=30_000)
    assert loss.locator(".js-plotly-plot .scatterlayer .trace").count() > 0, "the loss curve has lines"
    recon = page.get_by_test_id("stImage").filter(has_text="reconstruction")
    assert recon.count() == 1 and recon.locator("img").evaluate("img => img.naturalWidth") > 0
    harness.shot(page, "01-train-done")
    assert not harness.exception_texts(page) and not errors


def test_latent_space_scatter_and_click(trained, browser):
    page, errors = trained
    harness.open_section(page, "Latent space")
    page.get_by_test_id("stPlotlyChart").first.locator("canvas").first.wait_for(timeout=30_000)
    page.wait_for_function("() => document.querySelector('.js-plotly-plot')?._fullData?.length > 0")
    info = harness.scatter_points(page)
    assert set(info["types"]) == {"scattergl"}, "WebGL scatter"
    assert info["canvases"] >= 1
    assert info["total"] == 1000, "every point of the 1,000-sample offline MNIST test set"
    assert page.get_by_text("1,000 test samples").is_visible()
    harness.shot(page, "02-latent")

    harness.wait_idle(page)
    far = harness.scatter_points(page)["far"]   # read once the page has settled: where the point is now
    page.mouse.click(far["x"], far["y"])   # one click selects the point: its input and reconstruction appear
    page.get_by_text(f"Test sample #{far['index']}").wait_for(timeout=30_000)
    harness.wait_idle(page)
    shown = page.get_by_test_id("stImage").filter(has_text="reconstruction")
    assert shown.count() == 1
    sliders = page.get_by_test_id("stMain").get_by_test_id("stSlider")
    assert sliders.count() == 2, "the 2-D code can be chosen by hand"
    harness.shot(page, "03-latent-clicked")

    # box-select the middle of the cloud: many samples, their inputs above their reconstructions
    chart = page.get_by_test_id("stPlotlyChart").first
    chart.hover()
    chart.locator('.modebar-btn[data-title="Box Select"]').click()
    box = chart.locator(".nsewdrag").first.bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(cx - box["width"] / 6, cy - box["height"] / 6)
    page.mouse.down()
    page.mouse.move(cx, cy, steps=4)
    page.mouse.move(cx + box["width"] / 6, cy + box["height"] / 6, steps=4)
    page.mouse.up()
    page.get_by_text(re.compile(r"\d+ selected")).wait_for(timeout=30_000)
    harness.wait_idle(page)
    n = int(re.search(r"(\d+) selected", page.get_by_text(re.compile(r"\d+ selected")).inner_text()).group(1))
    assert n > 1
    assert page.get_by_test_id("stImage").filter(has_text="reconstruction").count() == 1
    harness.shot(page, "03b-latent-box-selected")
    assert not harness.exception_texts(page) and not errors


def test_generate_slider_changes_the_image(trained, browser):
    page, errors = trained
    harness.open_section(page, "Generate")
    image = harness.slider_image(page)
    image.wait_for(timeout=30_000)
    assert page.get_by_test_id("stMain").get_by_test_id("stSlider").count() == 2 + 2, "2 latent sliders + interpolation steps + grid size"
    harness.shot(page, "04-generate")
    src, pixels = image.get_attribute("src"), harness.image_bytes(image)
    thumb = page.get_by_test_id("stMain").get_by_test_id("stSlider").first.get_by_role("slider")
    thumb.focus()
    for _ in range(20):          # 20 x 0.05 = one standard deviation
        thumb.press("ArrowRight")
    # a new image URL, loaded and decoded (naturalWidth is 0 until then)
    page.wait_for_function(f"""old => {{ const img = {harness.SLIDER_IMG_JS};
                                         return img && img.src !== old && img.complete && img.naturalWidth > 0; }}""",
                           arg=src, timeout=30_000)
    harness.wait_idle(page)
    image = harness.slider_image(page)
    assert image.get_attribute("src") != src
    assert harness.image_bytes(image) != pixels, "the pixels on screen changed"
    harness.shot(page, "05-generate-moved")
    assert not harness.exception_texts(page) and not errors
