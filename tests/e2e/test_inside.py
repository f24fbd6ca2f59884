"""Inside the network in chromium: train an MLP and a conv autoencoder as a person would, open the page from the
navigation, hover the gallery, and every layer is drawn for the sample under the mouse, computed in the browser.
Screenshots at 1440x900 land in artifacts/e2e/inside-*.png."""
from __future__ import annotations

import re
import statistics

import atlas_driver as drive
import harness
import pytest
from PIL import Image

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

LAYER_PIXELS = """() => [...document.querySelectorAll('.layers canvas')].map((c) => {
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let painted = 0, sum = 0;
  for (let i = 0; i < d.length; i += 4) if (d[i + 3]) { painted++; sum += d[i] * 3 + d[i + 1] * 5 + d[i + 2] * 7; }
  return { painted, sum };
})"""

UNIT_PICTURE = """() => { const c = document.querySelector('figure.weights canvas');
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  return { kind: window.atlas.stats.unit.kind, size: [c.width, c.height],
           colours: new Set([...Array(d.length / 4).keys()].map((p) => d.slice(4 * p, 4 * p + 3).join())).size,
           caption: document.querySelector('figure.weights figcaption').textContent }; }"""


@pytest.fixture(scope="module")
def server():
    with harness.streamlit_server(log_path=harness.ARTIFACTS / "inside-server.log") as url:
        yield url


@pytest.fixture
def fresh(browser, server):
    """A new browser session on the app (a fresh sidebar for each model trained)."""
    context = browser.new_context(viewport=harness.VIEWPORT)   # tall while training: the sidebar fits
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    harness.open_app(page, server)
    yield page, errors
    context.close()


@pytest.mark.parametrize("variant", ["vanilla", "conv"])
def test_every_layer_follows_the_hovered_sample(fresh, variant):
    page, errors = fresh
    harness.train(page, variant=variant, latent_dim=2, epochs=1)
    harness.open_section(page, "Inside the network")
    frame = drive.wait_frame(page, 120_000)
    s = drive.stats(frame)
    assert s["error"] is None and s["layers"] >= 5   # input, 2 encoder layers, code, 2 decoder layers, output
    drive.hover_gallery(page, frame, [0])
    first = frame.evaluate(LAYER_PIXELS)
    assert all(layer["painted"] > 0 for layer in first), "every layer is drawn"
    drive.hover_gallery(page, frame, [9, 18, 27, 36, 45, 54, 63, 1, 10, 19, 28, 37, 46, 55, 62])
    later = frame.evaluate(LAYER_PIXELS)
    changed = [a["sum"] != b["sum"] for a, b in zip(first, later)]
    assert changed[0] and changed[-1] and sum(changed) >= len(changed) - 1, "the layers follow the sample"
    box = frame.locator("figure.codemap canvas").bounding_box()   # the code map: a dot picks its sample
    x, y = frame.evaluate("() => window.atlas.widget.codeMap.placed[40]")
    page.mouse.move(box["x"] + x, box["y"] + y)
    frame.wait_for_function("() => window.atlas.stats.current === 40", timeout=10_000)
    unit = frame.locator('[data-layer="encoder.1"] canvas').bounding_box()   # the first layer: its weights
    page.mouse.move(unit["x"] + 2, unit["y"] + 2)
    frame.wait_for_function("() => window.atlas.stats.weightsUnit === 0", timeout=10_000)
    weights = frame.evaluate("""() => { const c = document.querySelector('figure.weights canvas');
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      return new Set([...d].filter((_, i) => i % 4 === 0)).size; }""")
    assert weights > 5, "a unit's weights are drawn as a picture, not one colour"
    shown = {}
    for layer, kind in (("encoder.2", "top"), ("decoder.2", "paints")):   # a deeper unit, a last decoder unit
        box = frame.locator(f'[data-layer="{layer}"] canvas').bounding_box()
        page.mouse.move(box["x"] + 2, box["y"] + 2)
        frame.wait_for_function(f"() => (window.atlas.stats.unit || {{}}).layer === '{layer}'", timeout=10_000)
        shown[kind] = frame.evaluate(UNIT_PICTURE)
        assert shown[kind]["kind"] == kind and shown[kind]["colours"] > 5, f"{layer}: {shown[kind]}"
    assert shown["top"]["size"] == [3 * 28 + 2, 3 * 28 + 2], "the top samples: a 3 x 3 grid of digits"
    assert shown["paints"]["size"] == ([28, 28] if variant == "vanilla" else [4, 4])   # conv: its kernel
    before = frame.evaluate(LAYER_PIXELS)
    code = frame.locator('[data-layer="code"] canvas').bounding_box()   # drag the first code unit up
    page.mouse.move(code["x"] + code["width"] / 2, code["y"] + 3)
    page.mouse.down()
    page.mouse.move(code["x"] + code["width"] / 2, code["y"] - 60, steps=6)
    page.mouse.up()
    frame.wait_for_function("() => window.atlas.stats.dragged === 1", timeout=10_000)
    after = frame.evaluate(LAYER_PIXELS)
    assert before[0] == after[0] and before[1] == after[1], "the input and the encoder stay the sample's"
    assert before[-1] != after[-1], "the reconstruction follows the dragged code"
    units = {"vanilla": 256, "conv": 32}[variant]   # below the view: every first-layer unit's weights in one grid
    page.get_by_text(re.compile(rf"^All {units} units of encoder\.1, ordered by how often they fire")).wait_for()
    grid = page.get_by_test_id("stMain").get_by_test_id("stImage").last.locator("img")
    assert grid.evaluate("(img) => img.complete && img.naturalWidth") > 0
    s = drive.stats(frame)
    print(f"{variant}: hover to all {s['layers']} layers drawn, median {statistics.median(s['hoverMs']):.1f} ms "
          f"over {len(s['hoverMs'])} hovers")
    page.set_viewport_size({"width": 1440, "height": 900})
    page.screenshot(path=str(harness.ARTIFACTS / f"inside-{variant}.png"))   # what a laptop shows
    page.set_viewport_size(harness.VIEWPORT)
    assert not harness.exception_texts(page) and not errors


NETWORK_BOX = """() => { const r = document.querySelector('.layers').getBoundingClientRect();
  const canvases = [...document.querySelectorAll('.layers canvas')].map((c) => c.getBoundingClientRect());
  return { width: r.width, bottom: r.bottom, tallest: Math.max(...canvases.map((c) => c.height)),
           gallery: document.querySelector('figure.gallery canvas').getBoundingClientRect().width }; }"""


def test_presenter_view_grows_the_network_to_fill_a_projector(browser, server):
    """The bundled demo VAE at 1920x1080: presenter view makes the layers, the gallery and the unit's picture
    larger, and the network still spans the page's width with the gallery below it, on one screen."""
    page = browser.new_context(viewport={"width": 1920, "height": 1080}).new_page()
    harness.open_app(page, server)
    harness.open_section(page, "Latent space")   # it loads the demo VAE when there is no model yet
    drive.wait_frame(page, 180_000)
    harness.open_section(page, "Inside the network")
    frame = drive.wait_frame(page, 120_000)
    drive.hover_gallery(page, frame, [5])
    normal = frame.evaluate(NETWORK_BOX)
    page.get_by_test_id("stSidebar").get_by_role("switch", name="Presenter view").click(force=True)
    harness.wait_idle(page)
    frame = drive.wait_frame(page, 60_000)
    frame.wait_for_function("() => getComputedStyle(document.documentElement).getPropertyValue('--s').trim() !== '1'")
    drive.hover_gallery(page, frame, [12])
    big = frame.evaluate(NETWORK_BOX)
    scale = 22 / 16   # presenter view's type over Streamlit's
    assert big["gallery"] == pytest.approx(normal["gallery"] * scale, abs=1), (normal, big)
    assert big["tallest"] > normal["tallest"] * 1.1 and big["width"] > 0.6 * 1920, (normal, big)
    box = frame.locator('[data-layer="mu"] canvas').bounding_box()
    page.mouse.move(box["x"] + 2, box["y"] + 2)
    frame.wait_for_function("() => (window.atlas.stats.unit || {}).layer === 'mu'", timeout=10_000)
    bottom = page.evaluate("""() => [...document.querySelectorAll('iframe')].map((f) => f.getBoundingClientRect())
        .filter((r) => r.height > 200).map((r) => r.bottom)[0]""")
    page.screenshot(path=str(harness.ARTIFACTS / "inside-presenter-1920.png"))
    print(f"presenter: tallest layer {normal['tallest']:.0f} -> {big['tallest']:.0f} px, network "
          f"{big['width']:.0f} px wide, frame bottom {bottom:.0f}")
    assert not harness.exception_texts(page)


def test_the_view_follows_a_training_model_and_its_weights_download_as_a_gif(fresh):
    """Press Train, open Inside the network while it trains: the layers are redrawn from new snapshots on their own
    (no hover), the sample under study stays, and when training ends the frames the view followed are a GIF."""
    page, errors = fresh
    harness.train(page, variant="vanilla", latent_dim=2, epochs=30, wait=False)   # ~30 s
    harness.open_section(page, "Inside the network")
    page.get_by_text("the view follows it, now at step").wait_for(timeout=60_000)
    frame = drive.wait_frame(page, 60_000)
    drive.hover_gallery(page, frame, [20])
    first = frame.evaluate(LAYER_PIXELS)
    drawn = drive.stats(frame)["drawn"]
    frame.wait_for_function("(n) => window.atlas.stats.drawn > n + 1", arg=drawn, timeout=60_000)   # two snapshots
    assert drive.stats(frame)["current"] == 20, "a new snapshot keeps the sample under study"
    assert frame.evaluate(LAYER_PIXELS)[1] != first[1], "the first layer changed as the model learnt"
    button = page.get_by_role("button", name=re.compile("Download the first layer's weights"))
    button.wait_for(timeout=300_000)
    with page.expect_download() as download:
        button.click()
    gif = Image.open(download.value.path())
    assert gif.format == "GIF" and gif.n_frames >= 3, gif.n_frames
    gif.seek(gif.n_frames - 1)
    gif.convert("RGB").save(harness.ARTIFACTS / "inside-filters-last-frame.png")
    print(f"followed training: {gif.n_frames} frames in the GIF, label {button.inner_text()!r}")
    assert not harness.exception_texts(page) and not errors


@pytest.mark.parametrize("variant", ["denoising", "sparse"])
def test_a_denoiser_shows_its_clean_target_and_a_sparse_code_its_firing_units(fresh, variant):
    page, errors = fresh
    harness.train(page, variant=variant, latent_dim=16, epochs=1)
    harness.open_section(page, "Inside the network")
    frame = drive.wait_frame(page, 120_000)
    drive.hover_gallery(page, frame, [3])
    captions = frame.evaluate("() => [...document.querySelectorAll('.layers figcaption')].map((f) => f.textContent)")
    if variant == "denoising":   # fed the noisy sample; its clean target drawn beside the reconstruction
        assert captions[0] == "input (noisy)" and captions[-1] == "clean target", captions
        noisy, target = frame.evaluate(LAYER_PIXELS)[0], frame.evaluate(LAYER_PIXELS)[-1]
        assert target["painted"] == noisy["painted"] and target["sum"] != noisy["sum"]
    else:   # the code's caption counts the units at least 0.1 away from 0, as the code readout would show them
        code = frame.evaluate("""() => { const w = window.atlas.widget, i = w.current;
          return [...w.net.run(w.sample(i), 0).find((l) => l.name === 'code').values]; }""")
        firing = sum(abs(v) >= 0.1 for v in code)
        assert f"code: {firing} of 16 fire" in captions and drive.stats(frame)["firing"] == firing, captions
    assert not harness.exception_texts(page) and not errors
