"""What a student does: train a 2-D VAE on MNIST, look at every sample in its latent space (hover, pin, lasso),
watch the space form, and drag a Generate slider.

On all 70,000 MNIST digits when this machine has them (the server gets AECORE_DATA_DIR), else on the 5,000
offline ones. One trained browser session is shared by the tests of this module (training is the slow part); each
test opens its page through the sidebar, as a person would, and leaves screenshots in artifacts/e2e/.
"""
from __future__ import annotations

import re

import atlas_driver as drive
import harness
import pytest

from aecore.views.timelapse import MIN_FRAMES

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

FULL = harness.MNIST.exists()
N_ALL = 70_000 if FULL else 5_000     # train + test: every point is drawn


@pytest.fixture(scope="module")
def server():
    env = {"AECORE_DATA_DIR": str(harness.MNIST.parent)} if FULL else {}
    with harness.streamlit_server(env=env, log_path=harness.ARTIFACTS / "explore-server.log") as url:
        yield url


@pytest.fixture(scope="module")
def trained(browser, server):
    context = browser.new_context(viewport=harness.VIEWPORT)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    harness.open_app(page, server)
    harness.train(page, variant="vae", latent_dim=2, epochs=1)
    yield page, errors
    context.close()


def test_training_shows_the_loss_curve_and_reconstructions(trained):
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


def test_latent_space_atlas_hover_pin_and_lasso(trained):
    page, errors = trained
    harness.open_section(page, "Latent space")
    frame = drive.wait_frame(page, 120_000)
    frame.wait_for_function("(n) => window.atlas.stats.thumbs === n", arg=N_ALL, timeout=120_000)
    assert drive.stats(frame)["points"] == N_ALL, "every sample, train and test"
    assert page.get_by_text(f"all {N_ALL:,} samples").is_visible()
    hover = drive.hover_latencies(page, frame, drive.spread_points(frame, 5))
    assert hover["pictures"] == 5, "each hover shows the sample's input"
    harness.shot(page, "02-latent")

    i = drive.spread_points(frame, 1, seed=11)[0]
    page.mouse.click(*drive.point_xy(page, frame, i))   # pin: its input, reconstruction and code below
    page.get_by_text(re.compile(r"Pinned: (Training|Test) sample #\d+")).wait_for(timeout=30_000)
    harness.wait_idle(page)
    assert page.get_by_test_id("stImage").filter(has_text="reconstruction").count() == 1
    sliders = drive.wait_frame(page, 60_000, nth=1)     # the code sliders, starting at the pinned code
    assert sliders.locator('input[type="range"]').count() == 2
    harness.shot(page, "03-latent-pinned")

    frame.locator("button[data-name=lasso]").click()
    box = frame.locator("canvas.over").bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    ring = [(cx + 110 * c, cy + 90 * s)
            for c, s in ((1, 0), (0.7, 0.7), (0, 1), (-0.7, 0.7), (-1, 0), (-0.7, -0.7), (0, -1))]
    drive.drag(page, ring)
    heading = page.get_by_test_id("stMarkdown").filter(has_text=re.compile(r"[\d,]+ selected"))
    heading.wait_for(timeout=30_000)
    harness.wait_idle(page)
    text = heading.inner_text()
    assert int(re.search(r"([\d,]+) selected", text).group(1).replace(",", "")) > 1 and "%" in text, "count, label mix"
    assert page.get_by_test_id("stImage").filter(has_text="inputs, then their reconstruction").count() == 1
    harness.shot(page, "03b-latent-lasso")
    assert not harness.exception_texts(page) and not errors


def test_the_time_lapse_plays(trained):
    page, errors = trained
    harness.open_section(page, "Latent space")
    shown = page.get_by_text(re.compile(r"Frame \d+ of \d+"))
    shown.wait_for(timeout=60_000)

    def frame_number() -> tuple[int, int]:
        found = re.search(r"Frame (\d+) of (\d+)", shown.inner_text())
        return int(found.group(1)), int(found.group(2))
    now, n = frame_number()
    # the recorder stays within 5% of the training's time (aecore.views.timelapse.BUDGET), so one epoch on a loaded
    # machine gets fewer frames than on a quiet one, but never fewer than MIN_FRAMES (both tested there)
    assert now == n and n >= MIN_FRAMES, "the newest of the recorded frames: the first, some on the way, the last"
    page.get_by_role("button", name="Play").click()
    seen = []
    for _ in range(40):                          # 5 frames a second: a few seconds show it moving
        seen.append(frame_number()[0])
        if seen[-1] == n and len(set(seen)) >= 4:
            break
        page.wait_for_timeout(150)
        if len(seen) == 6:
            harness.shot(page, "06-latent-timelapse")
    steps = sorted(set(seen))
    assert len(steps) >= 4 and steps[0] < n / 2, f"it plays from the start, a frame at a time: {seen}"
    assert page.get_by_test_id("stImage").filter(has_text="coloured by label").count() == 1
    page.get_by_role("button", name="Download as GIF").wait_for(timeout=30_000)   # back when it stops
    assert not harness.exception_texts(page) and not errors


def test_generate_slider_changes_the_picture_during_the_drag(trained):
    page, errors = trained
    harness.open_section(page, "Generate")
    frame = drive.wait_frame(page, 60_000)
    assert frame.locator('input[type="range"]').count() == 2, "a slider per code dimension, in the browser"
    harness.shot(page, "04-generate")
    result = drive.slider_fps(page, frame, seconds=1.5)
    assert result["changed_during_drag"], "the picture changed before the mouse was released"
    assert result["frames"] > 5, result
    harness.shot(page, "05-generate-moved")
    assert not harness.exception_texts(page) and not errors
