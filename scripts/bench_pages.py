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
  median of --repeats visits after a first in one browser session, and the floor's the same way).
- widgets: the split on Latent space (to the atlas drawing the test set) and Random sample on Generate, against
  the floor's radio.
- umap: UMAP in the app (a 16-d VAE trained with the CLI, loaded on Models; from the click to the UMAP view on
  screen) against `python -m aecore project` on the same model and data (its own seconds, compile apart).
- switch: the sidebar's switch Train -> Generate while this session's model trains, against the same switch idle.
- features: the Features page's eighteen classifier fits on full MNIST (its 2,000 test digits, one torch thread as a
  job gets on this machine), with 32-d PCA features standing in for the 32-d code (the same cost: training the
  model first would add minutes and time nothing more of the fits).
Prints one line per figure as it is measured, then the table of ratios with the load average, then one JSON line.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "e2e"))
sys.path.insert(0, str(REPO))
import atlas_driver as drive  # noqa: E402
import harness  # noqa: E402
from bench_latent import server_pid, settle  # noqa: E402
from page_visits import (  # noqa: E402
    PAGES,
    atlas_visit,
    floor_visit,
    load,
    median,
    open_ready,
    plotly_visit,
    ready_s,
    say,
    switch,
    umap,
    visit,
)
from playwright.sync_api import sync_playwright  # noqa: E402


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
        with harness.streamlit_server(env=env, timeout_s=120,
                                      log_path=harness.ARTIFACTS / "bench-pages-cold.log") as url:
            runs["latent"].append(atlas_visit(browser, url)[0])
        with harness.streamlit_server(script="scripts/ref_plotly_app.py", env=env, timeout_s=120,
                                      log_path=harness.ARTIFACTS / "bench-pages-cold-plotly.log") as url:
            runs["plotly"].append(plotly_visit(browser, url))
    out = {k: median(v) for k, v in runs.items()}
    say("cold latent", out["latent"])
    say("cold plotly", out["plotly"])
    return {**out, "runs": runs}


def pages_warm(browser, urls: dict, repeats: int) -> dict:
    """Each page in one session that has a model (the demo Latent space offers): a first visit, then the median of
    `repeats` more (one visit varied by 0.3-0.6 s between two runs of the bench on a quiet machine)."""
    out, runs = {}, {}
    with visit(browser) as page:
        page.goto(f"{urls['app']}/latent")
        drive.wait_frame(page, 300_000)
        harness.wait_idle(page)
        settle(server_pid(urls["app"]), limit_s=300)
        for title, path in PAGES.items():
            open_ready(page, f"{urls['app']}/{path}")
            runs[title] = [round(open_ready(page, f"{urls['app']}/{path}"), 2) for _ in range(repeats)]
            out[title] = median(runs[title])
            say(f"warm {title}", out[title])
            if title == "Generate":
                harness.shot(page, "bench-pages-generate")
    with visit(browser) as page:   # the floor the same way: later visits in a browser that has Streamlit's code
        open_ready(page, urls["floor"])
        runs["floor"] = [round(open_ready(page, urls["floor"]), 2) for _ in range(repeats)]
        out["floor"] = median(runs["floor"])
        say("warm floor, later visits", out["floor"])
    return {**out, "runs": runs}


def still_page(page, quiet_ms: float = 700, limit_ms: float = 30_000) -> None:
    """Until the page has not changed for quiet_ms: a page is idle before its last pictures and frames settle (seen
    on Generate: changes up to 0.9 s after idle), and a click then would be timed with them."""
    page.wait_for_function("q => performance.now() - window.__bench.last > q", arg=quiet_ms, timeout=limit_ms,
                           polling=100)


def click_and_leave(page, locator) -> None:
    """Click, then move the mouse off: a widget's help tooltip appears 0.45 s after the pointer rests on it, whatever
    the app does, and counted as the page's last change (Random sample's 0.64 s was 0.12 s of rerun and the tooltip)."""
    locator.click()
    page.mouse.move(0, 0)


def floor_change(browser, url: str) -> float:
    with visit(browser) as page:
        open_ready(page, url)
        still_page(page)
        t0 = page.evaluate("performance.now()")
        click_and_leave(page, page.get_by_text("b", exact=True))
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
        still_page(page)
        t0 = page.evaluate("performance.now()")
        click_and_leave(page, page.get_by_role("button", name="Random sample"))
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


def features_fits(data) -> dict:
    """Seconds of the eighteen fits: 3 feature sets x 2 classifiers x 3 label budgets."""
    import torch

    from aecore.apps import features
    from aecore.apps.baselines import fit_pca
    from aecore.lecture.pageclaims import FEATURES_TEST
    n, threads = FEATURES_TEST, torch.get_num_threads()   # the page's test digits
    torch.set_num_threads(1)
    try:
        pca = fit_pca(data.x_train, features.LATENT_DIM)
        codes = (pca.transform(data.x_train).numpy(), pca.transform(data.x_test[:n]).numpy())
        sets = {"code (PCA standing in)": codes, "PCA": codes,
                "raw values": (data.x_train.flatten(1).numpy(), data.x_test[:n].flatten(1).numpy())}
        t0 = time.perf_counter()
        rows = features.accuracy_rows(sets, data.y_train, data.y_test[:n])
        seconds = round(time.perf_counter() - t0, 2)
    finally:
        torch.set_num_threads(threads)
    say(f"Features' {len(rows)} fits on {n:,} test digits", seconds)
    return {"s": seconds, "fits": len(rows), "test": n}


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
    pages = {k: v for k, v in r.get("pages", {}).items() if k != "runs"}
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
    if "features" in r:
        rows.append((f"Features' {r['features']['fits']} classifier fits", r["features"]["s"], "-", 0, "<= 20 s"))
    print(f"\n{'figure':<42} {'s':>7}  {'reference':<13} {'s':>7} {'ratio':>6} {'diff':>6}  target")
    for name, value, ref, ref_s, target in rows:
        diff = f"{value - ref_s:+.2f}" if ref_s else "-"
        print(f"{name:<42} {value:7.2f}  {ref:<13} {ref_s:7.2f} {ratio(value, ref_s):>6} {diff:>6}  {target}")
    print(f"load average (1, 5, 15 min): before {r['load_before']}, after {r['load_after']}")


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", default=str(harness.MNIST), help="the folder with MNIST's four IDX files")
    ap.add_argument("--repeats", type=int, default=3, help="visits per figure (median)")
    ap.add_argument("--parts", default="latent,cold,pages,widgets,umap,switch,features")
    args = ap.parse_args(argv)
    folder = Path(args.data_dir).resolve()
    data = harness.full_mnist(folder)   # stops here, saying so, when the data asked for is not there
    print(f"data: full MNIST, {len(data.x_train) + len(data.x_test):,} digits from {data.source}", flush=True)
    parts = [p.strip() for p in args.parts.split(",")]
    report = {"load_before": load(), "data": data.source}
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        env = {"AECORE_DATA_DIR": str(folder.parent), "BENCH_MNIST": str(folder),
               "AECORE_STORE_DIR": str(tmp / "store"), "AECORE_RUNS_DIR": str(tmp / "runs")}
        urls = {name: stack.enter_context(harness.streamlit_server(
            script=script, env=env, timeout_s=120, log_path=harness.ARTIFACTS / f"bench-pages-{name}.log"))
            for name, script in (("app", "app.py"), ("plotly", "scripts/ref_plotly_app.py"),
                                 ("floor", "scripts/ref_floor_app.py"))}
        browser = harness.launch(stack.enter_context(sync_playwright()))
        measures = {"latent": lambda: latent_warm(browser, urls, args.repeats),
                    "cold": lambda: latent_cold(browser, env, max(1, args.repeats - 1)),
                    "pages": lambda: pages_warm(browser, urls, args.repeats),
                    "widgets": lambda: widgets(browser, urls, args.repeats),
                    "umap": lambda: umap(browser, urls["app"], tmp / "runs", folder.parent),
                    "switch": lambda: switch(browser, urls["app"], args.repeats),
                    "features": lambda: features_fits(data)}
        for name in parts:
            report[name] = measures[name]()
    report["load_after"] = load()
    table(report)
    print(json.dumps(report))
    return report


if __name__ == "__main__":
    main()
