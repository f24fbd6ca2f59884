"""Drive the real app in a real browser: start `streamlit run app.py`, launch Debian's chromium through
Playwright, and do what a person does (pick settings in the sidebar, press Train, open a page, move a slider).

Shared by tests/e2e and the scripts/bench_*.py that drive a browser. Never runs `playwright install`: it uses
/usr/bin/chromium.
"""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
MNIST = REPO.parent / "shared" / "datasets" / "mnist"   # all 70,000 digits, when this machine has them (conftest's)
ARTIFACTS = REPO / "artifacts" / "e2e"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
VIEWPORT = {"width": 1440, "height": 2200}   # tall: Streamlit scrolls inside its main block, so screenshots
                                             # show only what fits in the window


def full_mnist(folder: Path = MNIST):
    """All 70,000 MNIST digits from `folder`, or SystemExit saying what is missing: a benchmark or a demo app never
    stands the 5,000 offline digits in for them (aecore's loader falls back to those quietly)."""
    from aecore.data import load_dataset
    data = load_dataset("mnist", data_dir=str(folder), allow_download=False)
    if len(data.x_train) + len(data.x_test) != 70_000:
        raise SystemExit(f"full MNIST (70,000 digits) not found in {folder} (found: {data.title}, "
                         f"{len(data.x_train) + len(data.x_test):,} digits); put its four IDX files there")
    return data


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def streamlit_server(port: int | None = None, timeout_s: float = 90.0, log_path: Path | None = None,
                     script: str = "app.py", env: dict | None = None) -> Iterator[str]:
    """`streamlit run <script>` on a free port (with `env` added to this environment); yields its URL once
    /_stcore/health answers, stops it after."""
    port = port or free_port()
    log_path = log_path or ARTIFACTS / f"server-{port}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", script, "--server.port", str(port),
             "--server.headless", "true", "--server.address", "127.0.0.1"],
            cwd=REPO, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + timeout_s
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"streamlit exited with {proc.returncode}; see {log_path}")
                try:
                    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                        if r.status == 200:
                            break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"streamlit did not answer /_stcore/health within {timeout_s:.0f} s; "
                                       f"see {log_path}")
                time.sleep(0.3)
            yield url
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)   # the server we started, and only it (its own session)
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(5)


def launch(playwright):
    """Debian's chromium, headless, no sandbox (containers), no GPU."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)


def shot(page, name: str) -> Path:
    """A full-page screenshot under artifacts/e2e/, to look at after the run."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


QUIET_S = 0.6   # longer than the 500 ms a script runs before Streamlit shows its status widget


def watch_messages(page) -> None:
    """Note when the page last received a message from the server (wait_idle's other half)."""
    page._last_message = time.monotonic()

    def on_socket(ws):
        ws.on("framereceived", lambda _: setattr(page, "_last_message", time.monotonic()))
    page.on("websocket", on_socket)


def wait_idle(page, timeout_ms: float = 60_000) -> None:
    """Until the app runs no script: the status widget gone and no message from the server for QUIET_S.

    The status widget alone is not enough: Streamlit shows it only once a script has run for 500 ms, so a
    shorter quiet spell can fall inside a run (and a short run never shows it)."""
    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        page.wait_for_timeout(QUIET_S * 1000 / 3)
        busy = page.evaluate("() => !!document.querySelector('[data-testid=\"stStatusWidget\"]')")
        quiet = time.monotonic() - getattr(page, "_last_message", 0.0)
        if not busy and quiet >= QUIET_S:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"the app did not go idle within {timeout_ms / 1000:.0f} s")


def open_app(page, url: str) -> None:
    watch_messages(page)
    page.goto(url)
    page.get_by_test_id("stSidebar").wait_for(timeout=60_000)
    page.get_by_role("heading", name="Train").first.wait_for(timeout=60_000)
    wait_idle(page)


def option_text(option: str) -> re.Pattern:
    """An option shown as `option`, or as `option — what it is` (the Variant box says what each variant teaches)."""
    return re.compile(rf"^{re.escape(option)}( — .*)?$".replace("/", r"\/"))   # Playwright's selector: "/" escaped


def choose(page, label: str, option: str, tries: int = 3) -> None:
    """Pick `option` in the selectbox labelled `label` (a combobox), and check that it took."""
    combo = page.get_by_role("combobox", name=label, exact=True)
    shown = option_text(option)
    for _ in range(tries):
        if shown.match(combo.input_value()):
            return
        combo.click()
        page.get_by_role("option", name=shown).click()
        wait_idle(page)
    if not shown.match(combo.input_value()):
        raise AssertionError(f"could not choose {option!r} in {label!r}: it shows {combo.input_value()!r}")


def wait_for_choice(page, label: str, option: str, timeout_s: float = 60.0) -> None:
    """Until the selectbox labelled `label` shows `option`, then idle. A lesson's settings reach the browser with
    the page it opens; a click before that sends the old values back with it (a Train click trained the old model
    once, under load)."""
    combo, shown = page.get_by_role("combobox", name=label, exact=True), option_text(option)
    deadline = time.monotonic() + timeout_s
    while not shown.match(combo.input_value()):
        if time.monotonic() > deadline:
            raise AssertionError(f"{label!r} shows {combo.input_value()!r}, not {option!r}, after {timeout_s:.0f} s")
        page.wait_for_timeout(100)
    wait_idle(page)


def set_number(page, label: str, value: int) -> None:
    """Type a value into the number input labelled `label` and commit it with Enter."""
    field = page.get_by_test_id("stNumberInput").filter(has_text=label).first.locator("input")
    field.fill(str(value))
    field.press("Enter")
    wait_idle(page)


def open_section(page, title: str) -> None:
    """Go to a page of the app through the sidebar navigation (the session, and its model, stay)."""
    page.get_by_test_id("stSidebarNav").get_by_text(title, exact=True).click()
    page.get_by_role("heading", name=title).first.wait_for(timeout=60_000)
    wait_idle(page)


def train(page, variant: str = "vae", latent_dim: int = 2, epochs: int = 1, dataset: str | None = None,
          timeout_ms: float = 300_000, wait: bool = True) -> None:
    """Set up the sidebar like a person would, press Train, and wait until training is done (unless not `wait`)."""
    if dataset:
        choose(page, "Dataset", dataset)
    choose(page, "Variant", variant)
    set_number(page, "Bottleneck size", latent_dim)
    page.get_by_test_id("stSidebar").get_by_text("Advanced").click()
    set_number(page, "Epochs", epochs)
    # the Train page repeats the settings it will use: check they took before pressing the button
    page.get_by_text(re.compile(rf"to train an? {re.escape(variant)} with a {latent_dim}-number code .* "
                                rf"for {epochs} epoch")).wait_for(timeout=30_000)
    page.get_by_role("button", name="Train", exact=True).click()
    if not wait:
        return
    # the Train page's progress bar (not the sidebar's status line) ends in "· done" when the job has ended
    bar = '[data-testid="stMain"] [data-testid="stProgress"]'
    page.wait_for_function(
        f"""() => [...document.querySelectorAll('{bar}')].some(p => / · (done|failed|stopped)/.test(p.innerText))""",
        timeout=timeout_ms)
    text = page.locator(bar).first.inner_text()
    if "done" not in text:
        raise AssertionError(f"training did not finish: {text!r}")
    wait_idle(page)


def exception_texts(page) -> list[str]:
    """Tracebacks Streamlit shows on the page (st.exception boxes)."""
    return [e.inner_text() for e in page.get_by_test_id("stException").all()]


def image_bytes(locator) -> bytes:
    """The pixels of an element as a PNG screenshot: what is on screen, not what was sent."""
    return locator.screenshot()


def scatter_points(page) -> dict:
    """What plotly drew in the first chart: trace types, points per trace, and the screen position and sample
    index of the point farthest from the others' centre (a point a click can hit without ambiguity)."""
    return page.evaluate("""() => {
        const gd = document.querySelector('[data-testid="stPlotlyChart"] .js-plotly-plot');
        if (!gd || !gd._fullData) return null;
        const fl = gd._fullLayout, box = gd.getBoundingClientRect();
        let xs = [], ys = [], ids = [];
        for (const t of gd._fullData) { xs.push(...t.x); ys.push(...t.y); ids.push(...(t.customdata || [])); }
        const mx = xs.reduce((a, b) => a + b, 0) / xs.length, my = ys.reduce((a, b) => a + b, 0) / ys.length;
        const sx = Math.max(...xs) - Math.min(...xs), sy = Math.max(...ys) - Math.min(...ys);
        let best = 0, far = -1;
        xs.forEach((x, i) => {
            const d = ((x - mx) / sx) ** 2 + ((ys[i] - my) / sy) ** 2; if (d > far) { far = d; best = i; }
        });
        return {
            types: gd._fullData.map(t => t.type), counts: gd._fullData.map(t => t.x.length), total: xs.length,
            canvases: gd.querySelectorAll('canvas').length,
            far: {index: Number(ids[best]),
                  x: box.left + fl._size.l + fl.xaxis.l2p(xs[best]), y: box.top + fl._size.t + fl.yaxis.l2p(ys[best])},
        };
    }""")


SLIDER_CAPTION = "your code, decoded"   # face.codes.SLIDER_CAPTION: the Generate page's caption under the slider image
# JavaScript expression for that <img> (Playwright's :has-text selectors do not work inside the page)
SLIDER_IMG_JS = ("[...document.querySelectorAll('[data-testid=\"stImage\"]')]"
                 f".find(e => e.innerText.includes('{SLIDER_CAPTION}'))?.querySelector('img')")


def slider_image(page):
    """Locator of the image the Generate page decodes from its sliders."""
    return page.get_by_test_id("stImage").filter(has_text=SLIDER_CAPTION).locator("img")
