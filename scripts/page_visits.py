"""How scripts/bench_pages.py times a page in chromium: a visit (a fresh browser context, so a fresh Streamlit
session), "ready" (the last change of the page's content once the app is idle), the atlas' and plotly's points
drawn; and the two figures that need a model of their own: UMAP in the app against the CLI, and a page switch while
the session's model trains against the same switch idle.
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "e2e"))
import atlas_driver as drive  # noqa: E402
import harness  # noqa: E402
from bench_latent import server_pid, settle  # noqa: E402

N = 70_000
VIEWPORT = {"width": 1280, "height": 1000}
# each page's address: Train is the default page, at the root ("/train" is no page: Streamlit opens a "Page not
# found" dialog over the main page, and the bench once timed that)
PAGES = {"Train": "", "Generate": "generate", "Models": "models", "Denoising": "denoise",
         "Anomaly detection": "anomaly", "Compression": "compression", "Features": "features",
         "Imputation": "imputation", "Sequences": "sequences", "Inside the network": "inside"}
# The time of the last change to what the page shows (Streamlit's status widget and toolbar left out): a page is
# ready when its content stops changing, so "ready" = that time once the app has gone idle (harness.wait_idle).
LAST_CHANGE_JS = """(() => {
  window.__bench = {last: 0};
  const skip = '[data-testid="stStatusWidget"],[data-testid="stToolbar"],[data-testid="stDecoration"]';
  new MutationObserver((records) => {
    for (const r of records) {
      const el = r.target.nodeType === 1 ? r.target : r.target.parentElement;
      if (el && el.closest && el.closest(skip)) continue;
      window.__bench.last = performance.now();
      return;
    }
  }).observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
})()"""
# a switched page is ready when its heading is there and no element of the page before is left (Streamlit marks
# them stale until the run ends): while a model trains, the sidebar's status changes every few seconds
SWITCHED_JS = """(title) => {
  const h = [...document.querySelectorAll('[data-testid="stMain"] h1')].some(e => e.innerText.trim() === title);
  return h && !document.querySelector('[data-testid="stMain"] [data-stale="true"]') ? Date.now() : false;
}"""


def load() -> str:
    return " ".join(f"{v:.1f}" for v in os.getloadavg())


def say(name: str, value, unit: str = "s") -> None:
    print(f"{name:>44}: {value}{unit}  (load {load()})", flush=True)


@contextmanager
def visit(browser):
    """A fresh browser context (so a fresh Streamlit session) and its page, watched for the last change."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.add_init_script(LAST_CHANGE_JS)
    harness.watch_messages(page)
    try:
        yield page
    finally:
        context.close()


def ready_s(page, timeout_ms: float = 120_000) -> float:
    """Seconds from the page's navigation to the last change of its content, once the app is idle."""
    harness.wait_idle(page, timeout_ms)
    return page.evaluate("window.__bench.last") / 1000


def open_ready(page, url: str) -> float:
    page.goto(url)
    page.get_by_test_id("stMain").locator("h1").first.wait_for(timeout=120_000)
    return ready_s(page)


def atlas_visit(browser, url: str) -> tuple[float, float]:
    """Latent space from navigation: seconds to every point drawn, and to the hover pictures loaded."""
    with visit(browser) as page:
        page.goto(f"{url}/latent")
        origin = page.evaluate("performance.timeOrigin")
        drawn = drive.stats(drive.wait_frame(page, 300_000))["firstDrawAt"]
        deadline = time.monotonic() + 300
        while True:   # the frame of the first drawing, or the one the page holds by then
            try:
                frame = drive.wait_frame(page, 300_000)
                frame.wait_for_function("() => window.atlas.stats.thumbsAt", timeout=5_000)
                return (drawn - origin) / 1000, (drive.stats(frame)["thumbsAt"] - origin) / 1000
            except Exception:
                if time.monotonic() > deadline:
                    raise


def plotly_visit(browser, url: str) -> float:
    with visit(browser) as page:
        page.goto(url)
        drawn = page.wait_for_function(drive.PLOTLY_DRAWN, arg=N, polling="raf", timeout=300_000).json_value()
        return (drawn - page.evaluate("performance.timeOrigin")) / 1000


def floor_visit(browser, url: str) -> float:
    with visit(browser) as page:
        return open_ready(page, url)


def median(xs) -> float:
    return round(statistics.median(xs), 2)


def train_16d(runs_dir: Path, data_root: Path) -> Path:
    """A 16-d VAE on full MNIST, one epoch, with the CLI: the model both UMAPs map."""
    out = runs_dir / "vae16"
    env = {**os.environ, "AECORE_DATA_DIR": str(data_root)}
    subprocess.run([sys.executable, "-m", "aecore", "train", "--dataset", "mnist", "--variant", "vae",
                    "--latent-dim", "16", "--epochs", "1", "--out", str(out)], cwd=REPO, env=env, check=True,
                   capture_output=True)
    return out


def cli_umap(folder: Path, data_root: Path) -> dict:
    env = {**os.environ, "AECORE_DATA_DIR": str(data_root)}
    with tempfile.TemporaryDirectory() as tmp:
        run = subprocess.run([sys.executable, "-m", "aecore", "project", str(folder), "--method", "umap", "--split",
                              "all", "--out", f"{tmp}/coords.npy"], cwd=REPO, env=env, check=True,
                             capture_output=True, text=True)
    return json.loads(run.stdout.strip().splitlines()[-1])


def app_umap(browser, url: str) -> dict:
    """Load the 16-d run on Models, open Latent space, pick UMAP: seconds to its view, and the progress seen."""
    with visit(browser) as page:
        page.goto(f"{url}/models")
        page.get_by_role("tab", name="A run folder on this server").click()
        field = page.get_by_label("Run folder", exact=True)
        field.fill("vae16")
        field.press("Enter")
        harness.wait_idle(page)
        page.get_by_role("tab", name="A run folder on this server").click()   # the rerun showed the first tab
        page.get_by_role("button", name="Load folder").click()
        harness.wait_idle(page)
        page.goto(f"{url}/latent")
        drive.wait_frame(page, 300_000)
        harness.wait_idle(page)
        # the server's start-up work done first (umap's import and kernels, in the background after its first
        # page), as the CLI's figure leaves its compile apart; a UMAP asked for sooner waits for them
        settle(server_pid(url), limit_s=300)
        t0 = time.monotonic()
        page.get_by_text("UMAP", exact=True).click()
        seen = []
        while not page.get_by_text("UMAP 1 · UMAP 2").count():
            bar = page.locator('[data-testid="stMain"] [data-testid="stProgress"]')
            if bar.count():
                seen.append((round(time.monotonic() - t0, 1), bar.first.inner_text().split(":")[-1].strip()[:40]))
            if time.monotonic() - t0 > 300:
                raise TimeoutError("the UMAP view did not come within 300 s")
            page.wait_for_timeout(250)
        seconds = time.monotonic() - t0
        harness.shot(page, "bench-pages-umap")
    return {"seconds": round(seconds, 2), "progress": seen[::4]}


def umap(browser, url: str, runs_dir: Path, data_root: Path) -> dict:
    folder = train_16d(runs_dir, data_root)
    app = app_umap(browser, url)
    cli = cli_umap(folder, data_root)
    say("UMAP in the app", app["seconds"])
    say("UMAP, python -m aecore project", cli["seconds"])
    print(f"{'app progress (s, text)':>44}: {app['progress']}", flush=True)
    return {"app": app["seconds"], "cli": cli["seconds"], "cli_compile_s": cli["compile_s"],
            "progress": app["progress"]}


def switch_once(page) -> float:
    """Train -> Generate through the sidebar: seconds from the click to the Generate page in place."""
    page.get_by_test_id("stSidebarNav").get_by_text("Train", exact=True).click()
    page.wait_for_function(SWITCHED_JS, arg="Train", polling="raf", timeout=60_000)
    page.wait_for_timeout(1000)
    t0 = page.evaluate("Date.now()")
    page.get_by_test_id("stSidebarNav").get_by_text("Generate", exact=True).click()
    done = page.wait_for_function(SWITCHED_JS, arg="Generate", polling="raf", timeout=60_000).json_value()
    return (done - t0) / 1000


def set_epochs(page, epochs: int) -> None:
    field = page.get_by_test_id("stNumberInput").filter(has_text="Epochs")
    if not (field.count() and field.first.is_visible()):   # in the closed Advanced expander
        page.get_by_test_id("stSidebar").get_by_text("Advanced").click()
    harness.set_number(page, "Epochs", epochs)


def switch(browser, url: str, repeats: int) -> dict:
    runs = {"idle": [], "training": []}
    with visit(browser) as page:
        page.goto(f"{url}/generate")
        page.get_by_test_id("stMain").locator("h1").first.wait_for(timeout=120_000)
        harness.wait_idle(page)
        runs["idle"] = [switch_once(page) for _ in range(repeats)]
        page.get_by_test_id("stSidebarNav").get_by_text("Train", exact=True).click()
        harness.wait_idle(page)
        set_epochs(page, 50)
        page.get_by_role("button", name="Train", exact=True).click()
        page.get_by_test_id("stMain").get_by_test_id("stProgress").first.wait_for(timeout=60_000)
        runs["training"] = [switch_once(page) for _ in range(repeats)]
        harness.shot(page, "bench-pages-switch-training")
    out = {k: median(v) for k, v in runs.items()}
    say("page switch, idle", out["idle"])
    say("page switch, while training", out["training"])
    return {**out, "runs": runs}
