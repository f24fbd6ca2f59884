"""The atlas component in chromium, on all 70,000 MNIST digits (tests/e2e/atlas_app.py): every point drawn, a
picture on hover, box and lasso selections returned to Python, each click received once, the decoder redrawing
while a slider is dragged. Screenshots land in artifacts/e2e/atlas-*.png.
"""
from __future__ import annotations

from io import BytesIO

import numpy as np
import pytest
from PIL import Image

import atlas_driver as drive
import harness

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture(scope="module")
def atlas_url():
    # the first start trains two small models (about a minute; cached under artifacts/atlas-demo/)
    with harness.streamlit_server(script="tests/e2e/atlas_app.py", timeout_s=120,
                                  log_path=harness.ARTIFACTS / "atlas-server.log") as url:
        yield url


@pytest.fixture
def page(browser, atlas_url):
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    yield page
    context.close()
    assert not errors, f"JavaScript errors in the page: {errors}"


@pytest.fixture
def scatter(page, atlas_url):
    frame = drive.open_atlas(page, atlas_url)
    frame.wait_for_function("() => window.atlas.stats.thumbs === 70000", timeout=120_000)   # pictures arrive second
    return page, frame


def test_every_point_is_drawn(scatter):
    page, frame = scatter
    s = drive.stats(frame)
    assert s["points"] == 70_000 and s["renderer"] == "WebGL"
    grey = np.asarray(Image.open(BytesIO(frame.locator(".plot").screenshot())).convert("L"))
    assert (grey < 240).mean() > 0.1, "the points cover a good part of the plot"
    harness.shot(page, "atlas-70k")


def test_hover_shows_the_input_at_once(scatter):
    page, frame = scatter
    result = drive.hover_latencies(page, frame, drive.spread_points(frame, 20))
    assert result["pictures"] == 20, "every hover drew a picture"
    assert result["median_ms"] <= 50, result
    assert frame.locator("figure.hover figcaption").inner_text().startswith("#")
    harness.shot(page, "atlas-hover")


def test_decoder_under_the_mouse(scatter):
    page, frame = scatter
    box = frame.locator("canvas.over").bounding_box()
    for k in range(5):   # a corner of the view, mostly empty
        page.mouse.move(box["x"] + 30 + 10 * k, box["y"] + 30 + 5 * k)   # Playwright boxes are in page coordinates
    frame.wait_for_function("() => window.atlas.stats.probes > 0", timeout=10_000)
    assert frame.locator("figure.probe figcaption").inner_text().startswith("decoded at (")


def test_box_and_lasso_selections_reach_python(scatter):
    page, frame = scatter
    box = frame.locator("canvas.over").bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    drive.drag(page, [(cx - 80, cy - 60), (cx, cy), (cx + 80, cy + 60)], modifier="Shift")
    events = drive.wait_events(page, 1)
    n_box = frame.evaluate("() => window.atlas.widget.selected.length")
    assert events[-1] == {"selected": n_box, "how": "box"} and n_box > 100
    frame.locator("button[data-name=lasso]").click()
    ring = [(cx + 120 * c, cy + 90 * s) for c, s in ((1, 0), (0.7, 0.7), (0, 1), (-0.7, 0.7), (-1, 0), (-0.7, -0.7), (0, -1))]
    drive.drag(page, ring)
    events = drive.wait_events(page, 2)
    n_lasso = frame.evaluate("() => window.atlas.widget.selected.length")
    assert events[-1] == {"selected": n_lasso, "how": "lasso"} and n_lasso > n_box
    harness.shot(page, "atlas-lasso")


def test_every_click_is_received_once(scatter):
    page, frame = scatter
    points = drive.spread_points(frame, 10, seed=7)
    for i in points:   # quicker than reruns: the frame queues them until Python acknowledges each
        page.mouse.click(*drive.point_xy(page, frame, i))
    events = drive.wait_events(page, 10)
    assert events == [{"clicked": i} for i in points]
    page.wait_for_timeout(1500)
    assert len(drive.python_events(page)) == 10, "no repeats"
    harness.shot(page, "atlas-pinned")


@pytest.mark.parametrize("decoder", ["mlp", "conv"])
def test_slider_redraws_while_dragging(page, atlas_url, decoder):
    frame = drive.open_atlas(page, atlas_url, f"view=sliders&decoder={decoder}")
    result = drive.slider_fps(page, frame, seconds=2.0)
    assert result["changed_during_drag"], "the picture changed before the mouse was released"
    assert result["fps"] >= 20, result
    events = drive.wait_events(page, 1)
    assert len(events[-1]["code"]) == 2
    harness.shot(page, f"atlas-sliders-{decoder}")
