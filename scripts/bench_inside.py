"""Inside the network: hover to every layer drawn, on full MNIST, in Debian's chromium, on the real app's page.

    python scripts/bench_inside.py [--hovers 60] [--epochs 1]

Starts `streamlit run app.py` with the full MNIST (../shared/datasets/mnist; without it the benchmark stops and
says so: it never measures other data). For the MLP (vanilla) and conv variants, each in a fresh browser session:
train on the Train page as a person would, open Inside the network from the navigation, and move the mouse
between gallery cells far apart (each cell it crosses on the way is a hover too, as with a hand). Each hover's
time runs from the mouse event to the end of the animation frame callback that ran the whole network in the
browser and put every layer on its canvas (window.atlas.stats.hoverMs). Target: median at most 33 ms (30 updates
a second). Prints a table and one JSON line; saves artifacts/bench-inside.json.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "e2e"))
import atlas_driver as drive  # noqa: E402
import harness  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

TARGET_MS = 33.0


def measure(browser, url: str, variant: str, hovers: int, epochs: int) -> dict:
    context = browser.new_context(viewport=harness.VIEWPORT)
    try:
        page = context.new_page()
        harness.open_app(page, url)
        harness.train(page, variant=variant, latent_dim=2, epochs=epochs, timeout_ms=900_000)
        harness.open_section(page, "Inside the network")
        frame = drive.wait_frame(page, 120_000)
        cells = [(i * 37) % 64 for i in range(1, hovers + 1)]   # far apart: every hover a new sample
        cells = [c for k, c in enumerate(cells) if k == 0 or c != cells[k - 1]]
        drive.hover_gallery(page, frame, cells)
        s = drive.stats(frame)
        times = s["hoverMs"]
        return {"variant": variant, "layers": s["layers"], "hovers": len(times),
                "median_ms": round(statistics.median(times), 2),
                "p90_ms": round(sorted(times)[int(0.9 * (len(times) - 1))], 2)}
    finally:
        context.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hovers", type=int, default=60)
    ap.add_argument("--epochs", type=int, default=1)
    args = ap.parse_args()
    if not harness.MNIST.exists():
        sys.exit(f"full MNIST is not at {harness.MNIST}: this benchmark measures it and nothing else")
    env = {"AECORE_DATA_DIR": str(harness.MNIST.parent)}
    with harness.streamlit_server(env=env, log_path=harness.ARTIFACTS / "bench-inside-server.log") as url, \
            sync_playwright() as p:
        browser = harness.launch(p)
        rows = [measure(browser, url, variant, args.hovers, args.epochs) for variant in ("vanilla", "conv")]
        browser.close()
    load = os.getloadavg()
    print(f"{'variant':10} {'layers':>6} {'hovers':>6} {'median ms':>10} {'p90 ms':>8}  target <= {TARGET_MS} ms")
    for r in rows:
        print(f"{r['variant']:10} {r['layers']:6} {r['hovers']:6} {r['median_ms']:10.2f} {r['p90_ms']:8.2f}")
    result = {"rows": rows, "target_ms": TARGET_MS, "met": all(r["median_ms"] <= TARGET_MS for r in rows),
              "load_average": [round(v, 2) for v in load]}
    print(json.dumps(result))
    (REPO / "artifacts").mkdir(exist_ok=True)
    (REPO / "artifacts" / "bench-inside.json").write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
