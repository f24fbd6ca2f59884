"""Pages as fast as their parts: the real app's pages in chromium, beside the floor and a bare plotly chart.

    python scripts/bench_pages.py [--data-dir ../shared/datasets/mnist] [--repeats 3] [--parts latent,cold,...]

Drives `streamlit run app.py` (nothing stubbed) on full MNIST, 70,000 digits; stops, saying so, when they are not
in --data-dir. Two references run in the same process at the same time, so the machine's load is shared alike:
scripts/ref_floor_app.py (a title and one widget) and scripts/ref_plotly_app.py (the same 70,000 points in a bare
`st.plotly_chart` of go.Scattergl). Every visit is a fresh browser context (a new Streamlit session); visits of
the app and its reference alternate. What it measures (parts):

- latent: Latent space from navigation to every point drawn (the atlas frame's own clock, stats.firstDrawAt) and
  to its hover pictures loaded (stats.thumbsAt), warm, against plotly's WebGL canvas holding every point.
- cold: the same on fresh server processes (empty caches), the app and the plotly reference each.
- pages: every other page warm, with a model present, from navigation to the last change of its content (a
  second visit in one browser session, and the floor's the same way).
- widgets: the split on Latent space (to the atlas drawing the test set) and Random sample on Generate, against
  the floor's radio.
- umap: UMAP in the app (a 16-d VAE trained with the CLI, loaded on Models; from the click to the UMAP view on
  screen) against `python -m aecore project` on the same model and data (its own seconds, compile apart).
- switch: the sidebar's switch Train -> Generate while this session's model trains, against the same switch idle.
Prints one line per figure as it is measured, then the table of ratios with the load average, then one JSON line.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "e2e"))
sys.path.insert(0, str(REPO))
import atlas_driver as drive  # noqa: E402
import harness  # noqa: E402
from bench_latent import server_pid, settle  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

N = 70_000
VIEWPORT = {"width": 1280, "height": 1000}
PAGES = {"Train": "train", "Generate": "generate", "Models": "models", "Denoising": "denoise",
         "Anomaly detection": "anomaly", "Compression": "compression", "Features": "features",
         "Imputation": "imputation", "Sequences": "sequences"}
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


def latent_warm(browser, urls: dict, repeats: int) -> dict:
    atlas_visit(browser, urls["app"])   # warm-up visits: data, codes and pictures cached, as for a second visitor
    plotly_visit(browser, urls["plotly"])
    floor_visit(browser, urls["floor"])
    settle(server_pid(urls["app"]), limit_s=300)   # and the server's start-up work done (numba's kernels)
    runs = {"latent": [], "pictures": [], "plotly": [], "floor": []}
    for _ in range(repeats):
        drawn, pictures = atlas_visit(browser, urls["app"])
        runs["latent"].append(drawn)
        runs["pictures"].append(pictures - drawn)
        runs["plotly"].append(plotly_visit(browser, urls["plotly"]))
        runs["floor"].append(floor_visit(browser, urls["floor"]))
    out = {k: median(v) for k, v in runs.items()}
    for name, value in out.items():
        say(f"warm {name}" + (" after the points" if name == "pictures" else ""), value)
    return {**out, "runs": runs}


def latent_cold(browser, env: dict, repeats: int) -> dict:
    """A fresh server process each visit (its caches empty), for the app and for the plotly reference."""
    runs = {"latent": [], "plotly": []}
    for _ in range(repeats):
        with harness.streamlit_server(env=env, timeout_s=120, log_path=harness.ARTIFACTS / "bench-pages-cold.log") as url:
            runs["latent"].append(atlas_visit(browser, url)[0])
        with harness.streamlit_server(script="scripts/ref_plotly_app.py", env=env, timeout_s=120,
                                      log_path=harness.ARTIFACTS / "bench-pages-cold-plotly.log") as url:
            runs["plotly"].append(plotly_visit(browser, url))
    out = {k: median(v) for k, v in runs.items()}
    say("cold latent", out["latent"])
    say("cold plotly", out["plotly"])
    return {**out, "runs": runs}


def pages_warm(browser, urls: dict) -> dict:
    """Each page twice in one session that has a model (the demo Latent space offers), the second visit timed."""
    out = {}
    with visit(browser) as page:
        page.goto(f"{urls['app']}/latent")
        drive.wait_frame(page, 300_000)
        harness.wait_idle(page)
        settle(server_pid(urls["app"]), limit_s=300)
        for title, path in PAGES.items():
            open_ready(page, f"{urls['app']}/{path}")
            out[title] = round(open_ready(page, f"{urls['app']}/{path}"), 2)
            say(f"warm {title}", out[title])
            if title == "Generate":
                harness.shot(page, "bench-pages-generate")
    with visit(browser) as page:   # the floor the same way: a second visit in a browser that has Streamlit's code
        open_ready(page, urls["floor"])
        out["floor"] = round(open_ready(page, urls["floor"]), 2)
        say("warm floor, second visit", out["floor"])
    return out


def floor_change(browser, url: str) -> float:
    with visit(browser) as page:
        open_ready(page, url)
        t0 = page.evaluate("performance.now()")
        page.get_by_text("b", exact=True).click()
        page.get_by_text("You picked b.").wait_for()
        return (ready_s(page) * 1000 - t0) / 1000


def split_change(browser, url: str) -> float:
    """Latent space: from the click on "Test set" to the atlas drawing the 10,000 test points (in the same frame,
    or in a new one if the page mounted the component again)."""
    with visit(browser) as page:
        page.goto(f"{url}/latent")
        drive.wait_frame(page, 300_000)
        harness.wait_idle(page)
        t0 = page.evaluate("Date.now()")
        page.get_by_text("Test set (10,000)").click()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                drawn = drive.wait_frame(page, 5_000).evaluate("""() => { const s = window.atlas.stats;
                    return s.points === 10000 && s.firstDrawAt ? Date.now() : false; }""")
            except Exception:   # the frame is being replaced
                drawn = False
            if drawn:
                harness.shot(page, "bench-pages-latent-test-split")
                return (drawn - t0) / 1000
            page.wait_for_timeout(30)
        raise TimeoutError("the atlas did not draw the test split within 120 s")


def button_change(browser, url: str) -> float:
    """Generate: from the click on Random sample to the page's last change."""
    with visit(browser) as page:
        open_ready(page, f"{url}/generate")
        t0 = page.evaluate("performance.now()")
        page.get_by_role("button", name="Random sample").click()
        return (ready_s(page) * 1000 - t0) / 1000


def widgets(browser, urls: dict, repeats: int) -> dict:
    runs = {"floor": [], "split": [], "button": []}
    for _ in range(repeats):
        runs["floor"].append(floor_change(browser, urls["floor"]))
        runs["split"].append(split_change(browser, urls["app"]))
        runs["button"].append(button_change(browser, urls["app"]))
    out = {k: median(v) for k, v in runs.items()}
    for name, value in out.items():
        say(f"widget change: {name}", value)
    return {**out, "runs": runs}


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
        page.get_by_role("button", name="Load folder").click()
        harness.wait_idle(page)
        page.goto(f"{url}/latent")
        drive.wait_frame(page, 300_000)
        harness.wait_idle(page)
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
    if not page.get_by_test_id("stNumberInput").filter(has_text="Epochs").count():
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


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}" if b else "-"


def table(r: dict) -> None:
    """Each figure beside its reference and the target."""
    rows = []
    if "latent" in r:
        w = r["latent"]
        rows += [("Latent space, warm (all points drawn)", w["latent"], "plotly", w["plotly"], "<= 0.5"),
                 ("hover pictures after the points", w["pictures"], "-", 0, "<= 1 s"),
                 ("floor page, warm", w["floor"], "-", 0, "")]
    if "cold" in r:
        rows.append(("Latent space, fresh server", r["cold"]["latent"], "plotly cold", r["cold"]["plotly"], "<= 1"))
    pages = dict(r.get("pages", {}))
    floor = pages.pop("floor", 0)
    for title, s in pages.items():
        rows.append((f"{title}, warm", s, "floor", floor, "<= floor + 1 s"))
    if "widgets" in r:
        w = r["widgets"]
        rows += [("split on Latent space", w["split"], "floor change", w["floor"], "<= floor + 0.3 s"),
                 ("Random sample on Generate", w["button"], "floor change", w["floor"], "<= floor + 0.3 s")]
    if "umap" in r:
        rows.append(("UMAP in the app (70,000 codes, 16-d)", r["umap"]["app"], "CLI project", r["umap"]["cli"],
                     "<= 1.2"))
    if "switch" in r:
        s = r["switch"]
        rows.append(("page switch while training", s["training"], "idle switch", s["idle"], "<= 1.2"))
    print(f"\n{'figure':<42} {'s':>7}  {'reference':<13} {'s':>7} {'ratio':>6} {'diff':>6}  target")
    for name, value, ref, ref_s, target in rows:
        diff = f"{value - ref_s:+.2f}" if ref_s else "-"
        print(f"{name:<42} {value:7.2f}  {ref:<13} {ref_s:7.2f} {ratio(value, ref_s):>6} {diff:>6}  {target}")
    print(f"load average (1, 5, 15 min): before {r['load_before']}, after {r['load_after']}")


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", default=str(harness.MNIST), help="the folder with MNIST's four IDX files")
    ap.add_argument("--repeats", type=int, default=3, help="visits per figure (median)")
    ap.add_argument("--parts", default="latent,cold,pages,widgets,umap,switch")
    args = ap.parse_args(argv)
    folder = Path(args.data_dir).resolve()
    data = harness.full_mnist(folder)   # stops here, saying so, when the data asked for is not there
    print(f"data: full MNIST, {len(data.x_train) + len(data.x_test):,} digits from {data.source}", flush=True)
    parts = [p.strip() for p in args.parts.split(",")]
    report = {"load_before": load(), "data": data.source}
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        env = {"AECORE_DATA_DIR": str(folder.parent), "BENCH_MNIST": str(folder), "AECORE_STORE_DIR": str(tmp / "store"),
               "AECORE_RUNS_DIR": str(tmp / "runs")}
        urls = {name: stack.enter_context(harness.streamlit_server(
            script=script, env=env, timeout_s=120, log_path=harness.ARTIFACTS / f"bench-pages-{name}.log"))
            for name, script in (("app", "app.py"), ("plotly", "scripts/ref_plotly_app.py"),
                                 ("floor", "scripts/ref_floor_app.py"))}
        browser = harness.launch(stack.enter_context(sync_playwright()))
        measures = {"latent": lambda: latent_warm(browser, urls, args.repeats),
                    "cold": lambda: latent_cold(browser, env, max(1, args.repeats - 1)),
                    "pages": lambda: pages_warm(browser, urls),
                    "widgets": lambda: widgets(browser, urls, args.repeats),
                    "umap": lambda: umap(browser, urls["app"], tmp / "runs", folder.parent),
                    "switch": lambda: switch(browser, urls["app"], args.repeats)}
        for name in parts:
            report[name] = measures[name]()
    report["load_after"] = load()
    table(report)
    print(json.dumps(report))
    return report


if __name__ == "__main__":
    main()
