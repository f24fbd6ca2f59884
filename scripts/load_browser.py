"""scripts/load_test.py's real-browser mode: N students, each a chromium context of its own (its own cookies, so its
own session and workspace), doing what a student does in class, timed as the student sees it:
  - opens the lesson link (dataset, variant vae, bottleneck 2, 1 epoch, their own seed): its websocket opens once
    the page's JavaScript has loaded and booted -> `socket_s`; Train shows -> `page_s` (a student presses it then,
    while the page's first run may still go on, as the protocol client, which waits for that run's end, does not);
  - presses Train: its answer (the progress bar on the page, "queued" or training) -> `click_s`; then the first
    loss chart drawn on the page (plotly has points) -> `first_loss_s`;
  - waits for the progress bar to say done -> `trained_s` (from the click);
  - opens Latent space in the sidebar and waits for the atlas component to draw its points -> `atlas_s` (from
    that click; window.atlas.stats.firstDrawAt, as tests/e2e/atlas_driver.py waits for it).
One chromium for all (Debian's, never downloaded), pages driven concurrently with Playwright's async API. The
browsers run on the same machine as the server: on 2 cores they take CPU from it, as the protocol client does not.
Clicks are forced (Playwright's checks that the layout has settled cost up to 8 s on the busy machine, while the
click's message, once sent, was answered in 4 s): a student clicks what they see.
With `warm`, one student goes through the whole flow first, untimed: the server's imports, caches and compiled
kernels are then ready, as they are for a class that opens the app after the lecturer has.
"""
from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "e2e"))
import atlas_driver  # noqa: E402
import harness  # noqa: E402

NAME = "lab.test"   # the proxied class is opened by name, at its port, as students would (mapped to 127.0.0.1)
PROGRESS = '[data-testid="stMain"] [data-testid="stProgress"]'   # the Train page's bar, there once a job is
# a chart of this job's losses: the progress bar is there (a job runs or ran) and plotly has drawn points
LOSS_DRAWN = """() => !!document.querySelector('[data-testid="stMain"] [data-testid="stProgress"]') &&
    [...document.querySelectorAll('[data-testid="stMain"] .js-plotly-plot')].some(
        gd => (gd._fullData || []).some(t => t.x && t.x.length > 0))"""
TIMES = ("socket_s", "page_s", "click_s", "first_loss_s", "trained_s", "atlas_s")   # a student's, in order
TRAINED = """() => [...document.querySelectorAll('[data-testid="stMain"] [data-testid="stProgress"]')]
    .map(p => p.innerText).find(t => / · (done|failed|stopped)/.test(t)) || null"""


async def student(browser, url: str, index: int, start_at: float, timeout_s: float) -> dict:
    """One student's flow; what failed is reported in `errors`, not raised (the others go on)."""
    result = {"index": index, "errors": [], **dict.fromkeys(TIMES)}
    context = await browser.new_context(viewport=harness.VIEWPORT, ignore_https_errors=True)
    page = await context.new_page()
    page.on("pageerror", lambda err: result["errors"].append(f"JavaScript: {err}"))
    timeout_ms = timeout_s * 1000
    try:
        await asyncio.sleep(start_at)
        query = urlencode({"dataset": "mnist", "variant": "vae", "latent_dim": 2, "epochs": 1, "seed": index})
        t0 = time.monotonic()
        page.once("websocket", lambda _: result.update(socket_s=time.monotonic() - t0))
        await page.goto(f"{url}/?{query}", timeout=timeout_ms)
        train = page.get_by_role("button", name="Train", exact=True)
        await train.wait_for(timeout=timeout_ms)
        result["page_s"] = time.monotonic() - t0
        t_click = time.monotonic()
        await train.click(timeout=timeout_ms, force=True)   # as a hand does: no waiting for the layout to settle
        await page.locator(PROGRESS).first.wait_for(timeout=timeout_ms)
        result["click_s"] = time.monotonic() - t_click
        await page.wait_for_function(LOSS_DRAWN, timeout=timeout_ms, polling=50)
        result["first_loss_s"] = time.monotonic() - t_click
        done = await (await page.wait_for_function(TRAINED, timeout=timeout_ms, polling=200)).json_value()
        result["trained_s"] = time.monotonic() - t_click
        if "done" not in done:
            raise RuntimeError(f"training did not finish: {done!r}")
        t_nav = time.monotonic()
        await page.get_by_test_id("stSidebarNav").get_by_text("Latent space", exact=True).click(timeout=timeout_ms,
                                                                                                 force=True)
        component = page.locator(atlas_driver.COMPONENT).first
        await component.wait_for(timeout=timeout_ms)
        frame = await (await component.element_handle()).content_frame()
        await frame.wait_for_function("() => window.atlas && window.atlas.stats.firstDrawAt", timeout=timeout_ms,
                                      polling=50)
        result["atlas_s"] = time.monotonic() - t_nav
        if index == 0:
            await page.screenshot(path=str(harness.ARTIFACTS / "load-browser-atlas.png"))
    except Exception as err:   # a student that breaks is reported, not fatal to the others
        result["errors"].append(f"{type(err).__name__}: {str(err).splitlines()[0]}")
    finally:
        await context.close()
    return result


async def students(url: str, pages: int, ramp_s: float, timeout_s: float, warm: bool = False) -> list[dict]:
    from playwright.async_api import async_playwright
    harness.ARTIFACTS.mkdir(parents=True, exist_ok=True)
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=harness.CHROMIUM, headless=True,
                                          args=[*harness.CHROMIUM_ARGS, f"--host-resolver-rules=MAP {NAME} 127.0.0.1"])
        try:
            if warm:
                first = await student(browser, url, pages, 0.0, timeout_s)   # another seed than the timed ones'
                if first["errors"]:
                    raise RuntimeError(f"the untimed first student failed: {first['errors']}")
            return await asyncio.gather(*(student(browser, url, i, ramp_s * i / max(pages, 1), timeout_s)
                                          for i in range(pages)))
        finally:
            await browser.close()


def browser_url(target) -> str:
    """Where a student's browser goes: the class site by name (https://lab.test:port), one server by address."""
    return target.url.replace("127.0.0.1", NAME) if target.cafile else target.url


def drive_browsers(target, pages: int, deadline_s: float, ramp_s: float,
                   warm: bool = False) -> tuple[list[dict], float]:
    """Run the students against a started target (scripts/load_targets.py); every wait gives up at `deadline_s`.
    Also the CPU seconds chromium and Playwright's driver used (children this process has reaped meanwhile)."""
    before = children_cpu_s()
    results = asyncio.run(students(browser_url(target), pages, ramp_s, deadline_s, warm))
    return results, round(children_cpu_s() - before, 1)


def children_cpu_s() -> float:
    t = os.times()
    return t.children_user + t.children_system


def summarize(results: list[dict], warm: bool = False) -> dict:
    """p50/p95 of each time over the students that got that far, and how many did not."""
    from load_test import percentile  # (load_test imports this module only when asked for browsers)
    out: dict = {"mode": "browser (warm)" if warm else "browser",
                 "students_done": sum(r["atlas_s"] is not None for r in results)}
    for key in TIMES:
        values = [r[key] for r in results if r[key] is not None]
        for q in (50, 95):
            x = percentile(values, q)
            out[f"{key[:-2]}_p{q}_s"] = None if x is None else round(x, 2)
    out["session_errors"] = sum(bool(r["errors"]) for r in results)
    out["results"] = [{k: round(v, 2) if isinstance(v, float) else v for k, v in r.items()} for r in results]
    return out


BROWSER_KEYS = ["target", "mode", "sessions", "students_done",
                *(f"{key[:-2]}_p{q}_s" for key in TIMES for q in (50, 95)),
                "rss_idle_mb", "rss_peak_mb", "cpu_s", "session_errors", "server_tracebacks", "load_avg_1m"]


HEADS = (" socket", "   page", "  click", "1st loss", "trained", "  atlas")


def print_students(summary: dict) -> None:
    fmt = lambda x: "-" if x is None else f"{x:.2f}"  # noqa: E731
    print(f"{'#':>3} {' '.join(HEADS)}  errors")
    for r in summary["results"]:
        print(f"{r['index']:>3} " + " ".join(f"{fmt(r[key]):>{len(head)}}" for key, head in zip(TIMES, HEADS))
              + f"  {'; '.join(r['errors'])[:150]}")
    print("\n" + "\n".join(f"{k:>26}: {summary.get(k)}" for k in BROWSER_KEYS))
