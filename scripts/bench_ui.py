"""Benchmark the dashboard in a real browser, against headless training of the same model in the same run.

    python scripts/bench_ui.py [--epochs 40] [--clicks 3] [--cadences 0.5,1,2] [--repeats 2] [--no-screenshots]

Starts `streamlit run app.py` (headless, a free localhost port), drives it with Playwright and Debian's
chromium (never `playwright install`), and measures:

(a) training throughput in the dashboard vs `aecore.train.fit` headless, same data and config (MNIST, the
    sidebar's default VAE, batch 128). Both sides: the median over epochs of each epoch's samples/s as `fit`
    reports it (train steps only, evaluation excluded). The dashboard's numbers come from the history.json
    of the model downloaded from the Models page, so the download is exercised too. Headless runs just before
    each dashboard run with one torch thread (what a job uses), and again side by side with it (started once the
    clicks of (c) are done, so both meet the same load: on a shared machine the load changes between runs); once
    more, shortly, with torch's default threads for reference. Target: dashboard >= 80% of headless.
(b) click Train -> first loss point and reconstructions on screen. Target < 2 s.
(c) while training, a click's answer: switching to the Models page and back until its title shows. Target
    < 300 ms. The same clicks before training (no model yet) and after it (the model on the pages, nothing
    training) give the baselines; each click is also split into the server's part (the title's arrival on
    the websocket) and the browser's (its main thread's busy time).
It also counts what the server sends over the websocket while training (kB/s), and where the CPU goes while
training (cores used by the trainer thread, by the server's other threads, and by the browser).

The browser runs on the same machine as the server, so on a 2-core machine it competes with training (a
student's browser normally runs on their own computer). The server and the headless runs each start in a
session of their own: with Linux's autogroup scheduling (on by default) a session shares the CPU as one
group, so both get the same share of a busy machine, and the browser's CPU is not taken from the server's.
Prints a table, then one JSON line. Screenshots of the Train page during and after training go to artifacts/.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
import zipfile
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
TARGETS = {"throughput_ratio": 0.80, "first_feedback_s": 2.0, "click_ms": 300.0}

HEADLESS = """
import json, sys, time, torch
from aecore.data import load_dataset
from aecore.models import variant_config
from aecore.config import TrainConfig
from aecore.train import new_run, fit
epochs, threads = int(sys.argv[1]), int(sys.argv[2])
if threads:
    torch.set_num_threads(threads)
data = load_dataset("mnist")
run = new_run(data, variant_config("vae", latent_dim=2), TrainConfig(epochs=epochs, batch_size=128, lr=1e-3), "vae")
print("ready", flush=True)
if len(sys.argv) > 3:   # "wait": start on a line from stdin, so the dashboard's clicks are measured without this twin
    sys.stdin.readline()
t0, c0 = time.perf_counter(), time.thread_time()
rates = [s.samples_per_s for s in fit(run, data) if s.test is not None]
cpu_s = time.thread_time() - c0   # with one torch thread, all the work is on this thread
print(json.dumps({"rates": rates, "wall_s": time.perf_counter() - t0, "threads": torch.get_num_threads(),
                  "samples_per_cpu_s": epochs * len(data.x_train) / cpu_s, "n_train": len(data.x_train)}))
"""

# Plotly keeps a graph's decoded traces on its div (_fullData; .data may hold typed-array specs): true once a
# training-loss trace has a point
FIRST_LOSS_JS = """() => [...document.querySelectorAll('.js-plotly-plot')].some(
    el => (el._fullData || []).some(t => (t.name || '').startsWith('train') && t.x && t.x.length > 0))"""


def headless(epochs: int, threads: int) -> dict:
    out = subprocess.run([sys.executable, "-c", HEADLESS, str(epochs), str(threads)], cwd=ROOT, check=True,
                         capture_output=True, text=True, start_new_session=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def server(cadence: float | None):
    port = free_port()
    env = dict(os.environ)
    if cadence is not None:
        env["LATENT_LAB_CADENCE_S"] = str(cadence)
    log = open(ARTIFACTS / "bench_ui_server.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
                             "--server.address", "127.0.0.1", "--server.headless", "true"],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2)
                break
            except OSError as err:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"streamlit did not start; see {log.name}") from err
                time.sleep(0.3)
        yield f"http://127.0.0.1:{port}/", proc
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def cpu_snapshot(server_pid: int) -> dict:
    """CPU seconds so far: each thread of the server, and all our chromium processes together."""
    import psutil

    server = psutil.Process(server_pid)
    threads = {t.id: t.user_time + t.system_time for t in server.threads()}
    browser = 0.0
    for child in psutil.Process().children(recursive=True):
        try:
            if "chrom" in child.name():
                times = child.cpu_times()
                browser += times.user + times.system
        except psutil.Error:   # a renderer that has just exited
            pass
    return {"threads": threads, "browser": browser, "t": time.perf_counter()}


def cpu_split(before: dict, after: dict) -> dict:
    """Cores used between two snapshots: the busiest server thread (the trainer), the server's other threads
    (Streamlit: script runs, websocket), and the browser."""
    wall = after["t"] - before["t"]
    deltas = sorted((v - before["threads"].get(k, 0.0) for k, v in after["threads"].items()), reverse=True)
    trainer = deltas[0] if deltas else 0.0
    return {"trainer_cores": round(trainer / wall, 3), "server_other_cores": round(sum(deltas[1:]) / wall, 3),
            "browser_cores": round((after["browser"] - before["browser"]) / wall, 3), "trainer_cpu_s": trainer}


class CpuSampler:
    """Snapshots every 0.1 s in a thread while training: the trainer thread's CPU time is only readable while
    it is alive, and it exits when training ends (the page may be busy with clicks at that moment)."""

    def __init__(self, server_pid: int):
        import threading

        self.pid, self.first, self.samples = server_pid, cpu_snapshot(server_pid), []
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._done.wait(0.1):
            try:
                self.samples.append(cpu_snapshot(self.pid))
            except Exception:   # noqa: BLE001 - the server is going away
                return

    def stop(self):
        self._done.set()
        self._thread.join()

    def split(self) -> dict:
        """cpu_split up to the last snapshot in which the trainer was still alive (its CPU time is largest there)."""
        best = max(self.samples, key=lambda s: cpu_split(self.first, s)["trainer_cpu_s"])
        return cpu_split(self.first, best)


def progress_text(page) -> str:
    bars = page.locator('[data-testid="stMain"] [data-testid="stProgress"]')
    return bars.first.inner_text() if bars.count() else ""


def heading_of(payload) -> str | None:
    """The text of a heading element in one websocket frame from the server, if it holds one."""
    if isinstance(payload, str):
        return None
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    msg = ForwardMsg()
    msg.ParseFromString(payload)
    if msg.WhichOneof("type") == "delta" and msg.delta.WhichOneof("type") == "new_element":
        element = msg.delta.new_element
        if element.WhichOneof("type") == "heading":
            return element.heading.body
    return None


class Clicks:
    """Page switches, each timed three ways: on screen (the click's answer), on the wire (the new page's
    title received from the server), and the browser's main-thread busy time meanwhile (Chrome's
    Performance.getMetrics TaskDuration), which splits a slow answer between the server and the browser."""

    def __init__(self, page, nav):
        self.page, self.nav = page, nav
        self.headings: list[tuple[float, str]] = []   # (time received, title), fed by the websocket listener
        self.cdp = page.context.new_cdp_session(page)
        self.cdp.send("Performance.enable")

    def busy_s(self) -> float:
        metrics = self.cdp.send("Performance.getMetrics")["metrics"]
        return next(m["value"] for m in metrics if m["name"] == "TaskDuration")

    def switch(self, rounds: int, until_done: bool = False) -> list[dict]:
        """Models and back to Train, `rounds` times (or until training is done)."""
        answers = []
        for _ in range(rounds):
            if until_done and "done" in progress_text(self.page):
                break
            for name in ("Models", "Train"):
                busy0, t = self.busy_s(), time.perf_counter()
                self.nav.get_by_text(name, exact=True).click()
                self.page.get_by_role("heading", name=name, exact=True).wait_for(timeout=30_000)
                screen = time.perf_counter() - t
                wire = next((at - t for at, title in list(self.headings) if at >= t and title == name), None)
                answers.append({"ms": screen * 1000, "wire_ms": None if wire is None else wire * 1000,
                                "browser_busy": (self.busy_s() - busy0) / screen})
                time.sleep(0.7)
        return answers


def dashboard(url: str, server_pid: int, epochs: int, clicks: int, screenshots: bool) -> dict:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
        received = {"bytes": 0, "frames": 0, "on": False}

        nav = page.locator('[data-testid="stSidebarNav"]')
        clicks_of = Clicks(page, nav)

        def on_ws(ws):
            def count(payload):
                if received["on"]:
                    received["bytes"] += len(payload)
                    received["frames"] += 1
                title = heading_of(payload)
                if title:
                    clicks_of.headings.append((time.perf_counter(), title))
            ws.on("framereceived", count)
        page.on("websocket", on_ws)

        page.goto(url)
        train = page.get_by_role("button", name="Train", exact=True)
        train.wait_for(timeout=120_000)
        page.get_by_text("Advanced", exact=True).click()
        box = page.get_by_role("spinbutton", name="Epochs")
        box.fill(str(epochs))
        box.press("Enter")
        page.get_by_text(f"for {epochs} epoch(s)").wait_for(timeout=30_000)
        time.sleep(1.0)   # let the page settle
        idle = clicks_of.switch(clicks)   # the same clicks with nothing training: the machine's baseline

        # the same training headless, at the same moment: both meet the same load (and the same browser)
        twin = subprocess.Popen([sys.executable, "-c", HEADLESS, str(epochs), "1", "wait"], cwd=ROOT, text=True,
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        assert twin.stdout.readline().strip() == "ready"
        sampler = CpuSampler(server_pid)
        t0 = time.perf_counter()
        received["on"] = True
        train.click()
        page.wait_for_function(FIRST_LOSS_JS, timeout=30_000, polling=20)
        t_loss = time.perf_counter() - t0
        page.get_by_text("Rows, top to bottom").wait_for(timeout=30_000)
        t_recon = time.perf_counter() - t0
        time.sleep(2.0)
        if screenshots:
            page.screenshot(path=str(ARTIFACTS / "train_during.png"), full_page=True)

        answers = clicks_of.switch(clicks, until_done=True)   # one model training, as the target says
        twin.stdin.write("go\n")   # then the twin, for the rest of the run: both meet the same load
        twin.stdin.flush()
        deadline = time.monotonic() + 600
        while "done" not in progress_text(page):
            assert time.monotonic() < deadline, "training did not finish in 10 minutes"
            page.wait_for_timeout(100)
        t_done = time.perf_counter() - t0
        sampler.stop()
        cpu = sampler.split()
        twin_out = twin.communicate()[0]   # the twin done too: the clicks below meet an idle machine
        received["on"] = False
        time.sleep(1.5)
        if screenshots:
            page.screenshot(path=str(ARTIFACTS / "train_after.png"), full_page=True)
        after = clicks_of.switch(clicks)   # a model to show, nothing training: what the pages themselves cost

        nav.get_by_text("Models", exact=True).click()
        page.get_by_role("heading", name="Models", exact=True).wait_for()
        if screenshots:
            time.sleep(1.5)
            page.screenshot(path=str(ARTIFACTS / "models_after.png"), full_page=True)
        with page.expect_download(timeout=60_000) as dl:
            page.get_by_role("button", name="Download the current model (.zip)").click()
        download = dl.value
        blob = Path(download.path()).read_bytes()
        browser.close()
    twin_rates = json.loads(twin_out.strip().splitlines()[-1])["rates"]
    with zipfile.ZipFile(io.BytesIO(blob)) as zf:
        history = json.loads(zf.read("history.json"))
    rates = [s["samples_per_s"] for s in history["steps"] if s.get("test")]
    return {"rates": rates, "twin_rates": twin_rates, "first_loss_s": t_loss, "first_recon_s": t_recon,
            "done_s": t_done, "clicks": answers, "idle_clicks": idle, "after_clicks": after,
            "ws_kB_per_s": received["bytes"] / 1000 / max(t_done, 1e-9),
            "ws_frames_per_s": received["frames"] / max(t_done, 1e-9), "download_name": download.suggested_filename,
            **cpu}


def log(msg: str) -> None:
    print(f"[bench_ui {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=40, help="epochs of MNIST (the 5k offline subset: ~0.3 s each); "
                                                               "enough that the clicks land while it trains")
    parser.add_argument("--clicks", type=int, default=3, help="Models-and-back round trips, idle and while training")
    parser.add_argument("--cadences", default="1.0", help="comma-separated redraw intervals (s) of the Train page "
                                                          "to compare, e.g. 0.5,1,2; each gets its own server")
    parser.add_argument("--repeats", type=int, default=1, help="dashboard runs per cadence (medians are reported)")
    parser.add_argument("--no-screenshots", action="store_true")
    args = parser.parse_args()
    ARTIFACTS.mkdir(exist_ok=True)
    cadences = [float(c) for c in args.cadences.split(",")]
    med = statistics.median

    runs: dict[float, list[dict]] = {c: [] for c in cadences}
    heads: list[float] = []
    head_eff: list[float] = []   # samples per CPU-second of the training thread: insensitive to other load
    for rep in range(args.repeats):
        for c in (cadences if rep % 2 == 0 else cadences[::-1]):   # alternate, so drift hits every cadence
            log(f"headless fit, 1 thread, {args.epochs} epochs")
            h = headless(args.epochs, 1)
            head = med(h["rates"])
            heads.append(head)
            head_eff.append(h["samples_per_cpu_s"])
            log(f"dashboard, cadence {c:g} s (repeat {rep + 1}/{args.repeats})")
            try:
                with server(c) as (url, proc):
                    ui = dashboard(url, proc.pid, args.epochs, args.clicks,
                                   screenshots=not args.no_screenshots and rep == 0)
            except Exception as err:   # a timeout on a busy machine: report it, keep the other runs
                log(f"  failed: {type(err).__name__}: {err}".splitlines()[0])
                continue
            if not ui["clicks"]:
                log("  training ended before the first click: raise --epochs")
                continue
            ui["ratio"] = med(ui["rates"]) / head
            ui["twin_ratio"] = med(ui["rates"]) / med(ui["twin_rates"])
            ui["cpu_ratio"] = args.epochs * h["n_train"] / ui["trainer_cpu_s"] / h["samples_per_cpu_s"]
            runs[c].append(ui)
            log(f"  {med(ui['rates']):,.0f} vs {head:,.0f} samples/s (side by side: {med(ui['twin_rates']):,.0f}); "
                f"first feedback {max(ui['first_loss_s'], ui['first_recon_s']):.2f} s; "
                f"clicks {med(c['ms'] for c in ui['clicks']):.0f} ms")
    log("headless fit, torch's default threads, 2 epochs")
    default = headless(2, 0)

    results = []
    for c in cadences:
        done = runs[c]
        if not done:
            continue
        def pooled(kind: str, field: str = "ms", done: list = done) -> list[float]:
            return [c[field] for ui in done for c in ui[kind] if c[field] is not None]

        clicks = pooled("clicks")
        results.append({
            "cadence_s": c, "runs": len(done),
            "dashboard_samples_s": round(med([med(ui["rates"]) for ui in done])),
            "throughput_ratio": round(med([ui["ratio"] for ui in done]), 3),
            "side_by_side_ratio": round(med([ui["twin_ratio"] for ui in done]), 3),
            "trainer_cpu_efficiency_ratio": round(med([ui["cpu_ratio"] for ui in done]), 3),
            "first_loss_s": round(med([ui["first_loss_s"] for ui in done]), 3),
            "first_feedback_s": round(med([max(ui["first_loss_s"], ui["first_recon_s"]) for ui in done]), 3),
            "click_ms_median": round(med(clicks), 1) if clicks else None,
            "click_ms_max": round(max(clicks), 1) if clicks else None,
            "idle_click_ms_median": round(med(pooled("idle_clicks")), 1),
            "after_click_ms_median": round(med(pooled("after_clicks")), 1),
            "click_wire_ms_median": round(med(pooled("clicks", "wire_ms")), 1),
            "click_browser_busy": round(med(pooled("clicks", "browser_busy")), 2),
            "idle_click_wire_ms_median": round(med(pooled("idle_clicks", "wire_ms")), 1),
            "ws_kB_per_s": round(med([ui["ws_kB_per_s"] for ui in done]), 1),
            "ws_msgs_per_s": round(med([ui["ws_frames_per_s"] for ui in done]), 1),
            "download_name": done[-1]["download_name"],
            **{k: round(med([ui[k] for ui in done]), 2)
               for k in ("trainer_cores", "server_other_cores", "browser_cores")},
        })
    summary = {"epochs": args.epochs, "cpus": os.cpu_count(), "load_avg_1min": round(os.getloadavg()[0], 2),
               "headless_1thread_samples_s": round(med(heads)),
               "headless_samples_per_cpu_s": round(med(head_eff)),
               "headless_default_threads_samples_s": round(med(default["rates"])),
               "headless_default_threads": default["threads"], "by_cadence": results}

    print(f"MNIST VAE, {args.epochs} epochs. Headless fit: {summary['headless_1thread_samples_s']:,} samples/s "
          f"with one torch thread (a job's setting), {summary['headless_default_threads_samples_s']:,} "
          f"with torch's default {summary['headless_default_threads']}.")
    ok = lambda cond: "ok" if cond else "MISS"   # noqa: E731
    header = (f"{'cadence':>7} {'runs':>4} | {'(a) dashboard samples/s':>26} {'side by side':>12} {'cpu eff.':>8} | "
              f"{'(b) first loss / recon':>22} | {'(c) click, training':>25} {'idle':>7} | {'websocket':>15} | "
              f"cores: trainer/server/browser")
    print(header)
    for r in results:
        print(f"{r['cadence_s']:>6g}s {r['runs']:>4} | {r['dashboard_samples_s']:>8,} = "
              f"{r['throughput_ratio']:>4.0%} of headless "
              f"{ok(r['throughput_ratio'] >= TARGETS['throughput_ratio']):>4} {r['side_by_side_ratio']:>7.0%} "
              f"{ok(r['side_by_side_ratio'] >= TARGETS['throughput_ratio']):>4} "
              f"{r['trainer_cpu_efficiency_ratio']:>7.0%} | "
              f"{r['first_loss_s']:>6.2f} / {r['first_feedback_s']:>5.2f} s "
              f"{ok(r['first_feedback_s'] < TARGETS['first_feedback_s']):>4} | "
              f"{r['click_ms_median']:>6.0f} ms (max {r['click_ms_max']:>5.0f}) "
              f"{ok(r['click_ms_median'] is not None and r['click_ms_median'] < TARGETS['click_ms']):>4} "
              f"{r['idle_click_ms_median']:>4.0f} ms | {r['ws_kB_per_s']:>5.1f} kB/s {r['ws_msgs_per_s']:>3.0f}/s | "
              f"{r['trainer_cores']:.2f} / {r['server_other_cores']:.2f} / {r['browser_cores']:.2f}")
    print("targets: (a) >= 80%, (b) < 2 s, (c) < 300 ms. (a) 'of headless': vs headless run just before; 'side by "
          "side': vs the same training headless at the same moment (same load, same browser); 'cpu eff.': samples "
          "per CPU-second of the trainer thread vs headless (insensitive to load). "
          "'idle': the same clicks before training.")
    for r in results:
        print(f"(c) at {r['cadence_s']:g} s, where a click's time goes: the new page's title reached the browser after "
              f"{r['click_wire_ms_median']:.0f} ms while training ({r['idle_click_wire_ms_median']:.0f} ms idle); the "
              f"browser's main thread was busy {r['click_browser_busy']:.0%} of the click. The same clicks after "
              f"training, with the model on the pages: {r['after_click_ms_median']:.0f} ms.")
    print(f"(machine: {os.cpu_count()} cores, 1-min load average {summary['load_avg_1min']} at the end; "
          "the browser runs on the same machine)")
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
