"""The atlas component in chromium, on all 70,000 MNIST digits (tests/e2e/atlas_app.py): every point drawn, a
picture on hover, box and lasso selections returned to Python, each click received once, the decoder redrawing
while a slider is dragged. Screenshots land in artifacts/e2e/atlas-*.png.
"""
from __future__ import annotations

from io import BytesIO

import atlas_driver as drive
import harness
import numpy as np
import pytest
from PIL import Image

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture(scope="module")
def atlas_url():
    # the first start trains four small models (a few minutes here; cached under artifacts/atlas-demo/)
    if not any(harness.MNIST.glob("train-images-idx3-ubyte*")):
        pytest.skip(f"the demo app needs all 70,000 MNIST digits in {harness.MNIST} (it never stands others in)")
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
    ring = [(cx + 120 * c, cy + 90 * s)
            for c, s in ((1, 0), (0.7, 0.7), (0, 1), (-0.7, 0.7), (-1, 0), (-0.7, -0.7), (0, -1))]
    drive.drag(page, ring)
    events = drive.wait_events(page, 2)
    n_lasso = frame.evaluate("() => window.atlas.widget.selected.length")
    assert events[-1] == {"selected": n_lasso, "how": "lasso"} and n_lasso > n_box
    harness.shot(page, "atlas-lasso")


def test_every_click_is_received_once(scatter):
    page, frame = scatter
    points = drive.spread_points(frame, 10, seed=7)
    where = [drive.point_xy(page, frame, i) for i in points]
    for xy in where:   # quicker than reruns: the frame queues them until Python acknowledges each
        page.mouse.click(*xy)
    events = drive.wait_events(page, 10)
    assert events == [{"clicked": i} for i in points]
    assert frame.evaluate("() => window.atlas.outbox.longest") >= 2, "the clicks came faster than reruns"
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


HOVER_TILE = """() => {   // the hover picture sampled at the centre of each of the 28 x 28 tile pixels
  const c = document.querySelector('canvas.hover'), d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  const s = Math.min(c.width, c.height) / 28, x0 = (c.width - 28 * s) / 2, y0 = (c.height - 28 * s) / 2, out = [];
  for (let r = 0; r < 28; r++) for (let q = 0; q < 28; q++)
    out.push(d[4 * (Math.floor(y0 + (r + 0.5) * s) * c.width + Math.floor(x0 + (q + 0.5) * s))]);
  return out;
}"""


def _hover_tile(page, frame, i: int) -> list[int]:
    page.mouse.move(5, 5)
    page.mouse.move(*drive.point_xy(page, frame, i))
    frame.wait_for_function("(i) => window.atlas.widget.hovered === i", arg=i, timeout=10_000)
    return frame.evaluate(HOVER_TILE)


def test_png_sprite_sheet_and_zlib_tiles_show_the_same_picture(page, atlas_url):
    tiles = []
    for fmt in ("zlib", "png"):
        frame = drive.open_atlas(page, atlas_url, f"n=5000&thumbs={fmt}")
        frame.wait_for_function("() => window.atlas.stats.thumbs === 5000", timeout=120_000)
        i = drive.spread_points(frame, 1, seed=3)[0]
        tiles.append(_hover_tile(page, frame, i))
    assert tiles[0] == tiles[1]
    assert min(tiles[0]) == 0 and max(tiles[0]) > 200, "a digit: dark background, bright strokes"


def test_sequences_show_line_plots_and_decode_with_the_lstm(page, atlas_url):
    frame = drive.open_atlas(page, atlas_url, "data=sines")
    frame.wait_for_function("() => window.atlas.stats.thumbs === 2500", timeout=120_000)
    result = drive.hover_latencies(page, frame, drive.spread_points(frame, 5))
    assert result["pictures"] == 5
    frame.wait_for_function("() => window.atlas.stats.probes > 0", timeout=10_000)
    drawn = frame.evaluate("""() => { const c = document.querySelector('canvas.probe');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0; for (let k = 0; k < d.length; k += 4) if (d[k + 2] > 100 && d[k] < 100) n++; return n; }""")
    assert drawn > 100, "the decoded wave is drawn as a blue line"
    harness.shot(page, "atlas-sines")


def test_conditional_sliders_draw_the_chosen_class(page, atlas_url):
    frame = drive.open_atlas(page, atlas_url, "view=sliders&decoder=cvae")
    before = frame.evaluate("() => document.querySelector('.sliders canvas').toDataURL()")
    frame.locator("select").select_option("3")
    frame.wait_for_function("(b) => document.querySelector('.sliders canvas').toDataURL() !== b", arg=before,
                            timeout=10_000)
    events = drive.wait_events(page, 1)
    assert events[-1] == {"code": [0, 0], "label": 3}
    harness.shot(page, "atlas-sliders-cvae")
