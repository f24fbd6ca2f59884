"""The atlas component against Streamlit's own plotly chart, in one run, in Debian's chromium (software rendering).

    python scripts/bench_atlas.py [--repeats 3] [--big 200000] [--fallback]

Starts two servers: tests/e2e/atlas_app.py (the component on all 70,000 MNIST digits, codes of a quick 2-D VAE)
and tests/e2e/plotly_app.py (the same points in st.plotly_chart with go.Scattergl, one trace per digit). After one
warm-up visit each (data and models cached), it measures, side by side:

- navigation to drawn, 70,000 points: from the page's navigation start (performance.timeOrigin) to the frame that
  drew every point (the component's own clock), or to plotly's WebGL canvas holding pixels with every point in
  its data (polled each animation frame). Fresh browser session per visit, visits alternating. Target: the
  component in at most half plotly's time.
- hover to picture: median over 20 hovers, from the mouse event to the animation frame after the thumbnail was
  drawn (and the round trip seen from Playwright). Target: at most 50 ms.
- decoded frames per second while dragging a slider (MLP and conv decoders): with Playwright's mouse (as fast
  as it can send moves) and with an input event every 4 ms. Target: at least 20.
- pan and zoom: frames per second and the longest gap between frames, at 70,000 points and at --big points.
- --fallback: navigation and pan again with WebGL switched off (--disable-webgl: the Canvas 2D renderer).
Prints a table and one JSON line; saves artifacts/bench-atlas.json and screenshots in artifacts/e2e/.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from contextlib import ExitStack
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "e2e"))
import atlas_driver as drive  # noqa: E402
import harness  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

N = 70_000
VIEWPORT = {"width": 1280, "height": 1000}


def atlas_visit(browser, url: str, query: str = "") -> tuple[float, float]:
    """Seconds from navigation start to every point drawn by the component, and to its hover pictures ready."""
    with _page(browser) as page:
        frame = drive.open_atlas(page, url, query)
        frame.wait_for_function("() => window.atlas.stats.thumbsAt", timeout=300_000)
        s, origin = drive.stats(frame), page.evaluate("performance.timeOrigin")
        return (s["firstDrawAt"] - origin) / 1000, (s["thumbsAt"] - origin) / 1000


def plotly_visit(browser, url: str) -> float:
    with _page(browser) as page:
        page.goto(url)
        drawn = page.wait_for_function(drive.PLOTLY_DRAWN, arg=N, polling="raf", timeout=300_000).json_value()
        return (drawn - page.evaluate("performance.timeOrigin")) / 1000


class _page:
    """A fresh browser context (so a fresh Streamlit session) and its page."""

    def __init__(self, browser):
        self.context = browser.new_context(viewport=VIEWPORT)

    def __enter__(self):
        return self.context.new_page()

    def __exit__(self, *exc):
        self.context.close()


def navigation(browser, atlas_url: str, plotly_url: str, repeats: int) -> dict:
    atlas_visit(browser, atlas_url)      # warm-up: the servers load data and models once
    plotly_visit(browser, plotly_url)
    atlas, pictures, plotly = [], [], []
    for _ in range(repeats):
        drawn, ready = atlas_visit(browser, atlas_url)
        atlas.append(drawn)
        pictures.append(ready)
        plotly.append(plotly_visit(browser, plotly_url))
    a, p = statistics.median(atlas), statistics.median(plotly)
    return {"atlas_s": a, "plotly_s": p, "ratio": a / p, "pictures_s": statistics.median(pictures),
            "atlas_runs": atlas, "plotly_runs": plotly}


def interaction(browser, atlas_url: str) -> dict:
    with _page(browser) as page:
        frame = drive.open_atlas(page, atlas_url)
        frame.wait_for_function("() => window.atlas.stats.thumbsAt", timeout=120_000)
        hover = drive.hover_latencies(page, frame, drive.spread_points(frame, 20))
        harness.shot(page, "bench-atlas-hover")
        pan = {**drive.pan_zoom_gaps(page, frame), "synthetic": drive.synthetic_pan(frame)}
    sliders = {}
    for name in ("mlp", "conv"):
        with _page(browser) as page:
            sliders[name] = drive.slider_fps(page, drive.open_atlas(page, atlas_url, f"view=sliders&decoder={name}"))
    return {"hover": hover, "pan_zoom_70k": pan, "sliders": sliders}


def big(browser, atlas_url: str, n: int) -> dict:
    with _page(browser) as page:
        frame = drive.open_atlas(page, atlas_url, f"n={n}")
        nav = (drive.stats(frame)["firstDrawAt"] - page.evaluate("performance.timeOrigin")) / 1000
        result = {"points": n, "first_visit_s": nav, **drive.pan_zoom_gaps(page, frame),   # the server builds it: cold
                  "synthetic": drive.synthetic_pan(frame)}
        frame.locator("button[data-name=density]").click()
        page.wait_for_timeout(500)
        harness.shot(page, f"bench-atlas-{n}-density")
    return result


def fallback(playwright, atlas_url: str) -> dict:
    browser = playwright.chromium.launch(executable_path=harness.CHROMIUM, headless=True,
                                         args=[*harness.CHROMIUM_ARGS, "--disable-webgl"])
    try:
        nav = [atlas_visit(browser, atlas_url)[0] for _ in range(2)]
        with _page(browser) as page:
            frame = drive.open_atlas(page, atlas_url)
            renderer = drive.stats(frame)["renderer"]
            pan = {**drive.pan_zoom_gaps(page, frame), "synthetic": drive.synthetic_pan(frame)}
            harness.shot(page, "bench-atlas-canvas2d")
        return {"renderer": renderer, "navigation_s": min(nav), **pan}
    finally:
        browser.close()


def report(r: dict) -> None:
    nav, it = r["navigation"], r["interaction"]
    print(f"navigation to drawn, {N:,} points: atlas {nav['atlas_s']:.2f} s, plotly {nav['plotly_s']:.2f} s "
          f"(ratio {nav['ratio']:.2f}; target <= 0.5); hover pictures (11 MB) ready at {nav['pictures_s']:.2f} s")
    h = it["hover"]
    print(f"hover to picture: median {h['median_ms']:.1f} ms in the frame, {h['median_round_trip_ms']:.0f} ms round "
          f"trip from Playwright, {h['pictures']}/{h['hovers']} pictures (target <= 50 ms)")
    for name, s in it["sliders"].items():
        print(f"slider drag, {name}: {s['fps']:.0f} fps with the mouse ({s['moves_per_s']:.0f} moves/s sent), "
              f"{s['fps_input_at_250hz']:.0f} fps at 250 input events/s, decode {s['decode_ms_median']:.1f} ms "
              f"(target >= 20 fps)")
    pans = [("WebGL 70k", it["pan_zoom_70k"]), *[(f"WebGL {b['points']:,}", b) for b in r.get("big", [])]]
    if "fallback" in r:
        f = r["fallback"]
        print(f"{f['renderer']} fallback, {N:,} points: navigation to drawn {f['navigation_s']:.2f} s")
        pans.append((f"{f['renderer']} 70k", f))
    for name, p in pans:
        y = p["synthetic"]
        print(f"pan+zoom {name}: Playwright drag and wheel {p['fps']:.0f} fps (worst gap {p['worst_gap_ms']} ms); "
              f"in-page pan {y['fps']:.0f} fps (worst gap {y['worst_gap_ms']} ms, median {y['median_gap_ms']} ms, "
              f"{y['js_ms_per_frame']:.1f} ms of JavaScript a frame)")
    print(f"load average {r['load']}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3, help="navigations per app, alternating (median reported)")
    ap.add_argument("--big", type=int, nargs="*", default=[200_000], help="point counts for the stress runs")
    ap.add_argument("--fallback", action="store_true", help="also measure the Canvas 2D renderer (WebGL off)")
    args = ap.parse_args(argv)
    with ExitStack() as stack:
        atlas_url = stack.enter_context(harness.streamlit_server(
            script="tests/e2e/atlas_app.py", timeout_s=120, log_path=harness.ARTIFACTS / "bench-atlas-server.log"))
        plotly_url = stack.enter_context(harness.streamlit_server(
            script="tests/e2e/plotly_app.py", timeout_s=120, log_path=harness.ARTIFACTS / "bench-plotly-server.log"))
        p = stack.enter_context(sync_playwright())
        browser = harness.launch(p)
        result = {"navigation": navigation(browser, atlas_url, plotly_url, args.repeats),
                  "interaction": interaction(browser, atlas_url),
                  "big": [big(browser, atlas_url, n) for n in args.big]}
        with _page(browser) as page:
            page.goto(plotly_url)
            page.wait_for_function(drive.PLOTLY_DRAWN, arg=N, polling="raf", timeout=300_000)
            harness.shot(page, "bench-plotly")
        if args.fallback:
            result["fallback"] = fallback(p, atlas_url)
        result["load"] = [round(v, 2) for v in os.getloadavg()]
    report(result)
    out = REPO / "artifacts" / "bench-atlas.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1))
    print(json.dumps({"atlas_s": result["navigation"]["atlas_s"], "plotly_s": result["navigation"]["plotly_s"],
                      "hover_ms": result["interaction"]["hover"]["median_ms"],
                      "fps": {k: v["fps"] for k, v in result["interaction"]["sliders"].items()}}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
