"""Issue 18, gap 1, in two real browsers on one server: a student uploads the demo VAE with its decoder negated and
opens Latent space; another student then opens Latent space with the real demo. What each one's browser decodes
("your code, decoded in the browser") is its own model's decoder, checked against PyTorch at the same codes."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

import harness

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from page_helpers import altered_demo, demo_files, negated_decoder_zip  # noqa: E402

from aecore.runs.checkpoint import runs_from_files  # noqa: E402
from aecore.infer import decode  # noqa: E402

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
SLIDERS = 'iframe[src*="/component/face.atlas.atlas/"] >> nth=1'   # the atlas first, then the code sliders
CODES = [[0.0, 0.0], [1.5, -1.0], [-2.0, 2.5]]


def browser_decodes(page) -> np.ndarray:
    """The sliders' own decoder (the weights this browser was sent) run at CODES, in that frame."""
    frame = page.locator(SLIDERS).element_handle(timeout=300_000).content_frame()
    frame.wait_for_function("() => window.atlas && window.atlas.stats.firstDrawAt", timeout=300_000)
    return np.array(frame.evaluate("(codes) => codes.map(z => Array.from(window.atlas.widget.decoder.decode(z, 0)))",
                                   CODES))


def torch_decodes(run) -> np.ndarray:
    return decode(run.model, np.array(CODES, np.float32)).reshape(len(CODES), -1).numpy()


def test_an_altered_demo_stays_in_its_own_browser(browser, app_url, tmp_path):
    zip_path = tmp_path / "vae-mnist-2d.zip"
    zip_path.write_bytes(negated_decoder_zip())
    demo, altered = runs_from_files(demo_files()), altered_demo()
    assert not np.allclose(torch_decodes(demo), torch_decodes(altered), atol=1e-2)

    student = browser.new_context(viewport=harness.VIEWPORT).new_page()
    harness.open_app(student, app_url)
    harness.open_section(student, "Models")
    student.locator("input[type=file]").last.set_input_files(str(zip_path))
    student.get_by_text("Loaded vae-mnist-2d.zip").wait_for(timeout=120_000)
    harness.open_section(student, "Latent space")
    np.testing.assert_allclose(browser_decodes(student), torch_decodes(altered), atol=1e-5)
    harness.shot(student, "shared-caches-1-altered")

    other = browser.new_context(viewport=harness.VIEWPORT).new_page()
    harness.open_app(other, app_url)
    harness.open_section(other, "Latent space")   # the demo, which every new student gets
    np.testing.assert_allclose(browser_decodes(other), torch_decodes(demo), atol=1e-5)
    harness.shot(other, "shared-caches-2-real-demo")
    student.context.close()
    other.context.close()
