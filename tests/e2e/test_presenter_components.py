"""Issue 20, item 6: presenter view reaches into the atlas component's frame: at 1920x1080 its legend, status and
toolbar type, its pictures and its sliders grow with the page around them (face.widgets.component_scale)."""
from __future__ import annotations

import atlas_driver as drive
import harness
import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
PROJECTOR = {"width": 1920, "height": 1080}
SIZES = """() => {
  const px = (sel, prop) => parseFloat(getComputedStyle(document.querySelector(sel))[prop]);
  const box = (sel) => document.querySelector(sel).getBoundingClientRect();
  return {legend: px('.legend', 'fontSize'), status: px('.toolbar .status', 'fontSize'),
          button: box('.toolbar button').height, picture: box('figure canvas').width};
}"""


def atlas_sizes(page) -> dict:
    harness.open_section(page, "Latent space")
    frame = drive.wait_frame(page, 180_000)
    frame.wait_for_function("() => getComputedStyle(document.documentElement).getPropertyValue('--s') !== ''")
    return frame.evaluate(SIZES)


def test_presenter_view_grows_the_atlas_legend_and_pictures(browser, app_url):
    page = browser.new_context(viewport=PROJECTOR).new_page()
    harness.open_app(page, app_url)
    normal = atlas_sizes(page)                   # the demo VAE: Latent space has something to show
    page.get_by_test_id("stSidebar").get_by_role("switch", name="Presenter view").click(force=True)
    harness.wait_idle(page)
    page.wait_for_function("() => parseFloat(getComputedStyle(document.documentElement).fontSize) === 22")
    frame = drive.wait_frame(page, 60_000)
    frame.wait_for_function("() => getComputedStyle(document.documentElement).getPropertyValue('--s').trim() !== '1'")
    big = frame.evaluate(SIZES)
    assert normal["legend"] == 12 and big["legend"] == pytest.approx(12 * 22 / 16, abs=0.1), (normal, big)
    assert big["status"] > normal["status"] and big["button"] > normal["button"]
    assert normal["picture"] == 184 and big["picture"] == pytest.approx(184 * 22 / 16, abs=1), (normal, big)
    harness.shot(page, "issue20-6-atlas-presenter-1920")
    harness.open_section(page, "Generate")
    sliders = drive.wait_frame(page, 60_000)
    font = sliders.evaluate("() => parseFloat(getComputedStyle(document.querySelector('.sliders label')).fontSize)")
    assert font == pytest.approx(13 * 22 / 16, abs=0.1)
    harness.shot(page, "issue20-6-generate-presenter-1920")
    page.context.close()
