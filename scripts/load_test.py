"""A classroom: N sessions train at once against one `streamlit run app.py` on 127.0.0.1, or (--proxy) against
deploy/local.py's class: nginx in front of 2 replicas, training on a local Ray head (scripts/load_targets.py).

Each session is a small client speaking Streamlit's own websocket protocol (/_stcore/stream: BackMsg out,
ForwardMsg in, the protobufs in streamlit.proto), doing what a browser tab does:
  - opens the app with its own settings in the URL (variant vae, 1 epoch on MNIST, bottleneck = session
    number, seed = session number): the lecture-mode link a student would click;
  - presses Train (a button trigger), then keeps the page's timers going like the browser does: every
    `auto_rerun` the server asks for (the Train page's live fragment, the sidebar status line) is sent back
    as a fragment rerun at its interval, which is also the job's heartbeat;
  - opens the sidebar's Advanced section (its widgets are drawn only while it is open), then every few seconds
    "moves a slider" (beta, in it): a full rerun whose answer time is measured from the send to the run's
    `script_finished` (and to its first element, for the first paint);
  - is done when a full run's banner names its own model with a test loss after 1 epoch.
Meanwhile the server's RSS is sampled (psutil). At the end: a table, then one JSON line.

    python scripts/load_test.py                 # 30 sessions (about 2-4 minutes on 2 cores)
    python scripts/load_test.py --sessions 5    # a quick check
    python scripts/load_test.py --proxy         # the same load through nginx, 2 replicas, Ray
    python scripts/load_test.py --compare --sessions 60 --deadline 900   # both, one after the other, side by side
    python scripts/load_test.py --browser --sessions 5   # real chromium pages instead (scripts/load_browser.py)
    python scripts/load_test.py --both --sessions 5      # the protocol client, then the browsers: side by side
    python scripts/load_test.py --browser --warm --sessions 5   # the browsers on a server one student has warmed

Each session loads the page over HTTP first, as a browser does, and keeps its cookies (through the proxy: the
route cookie that keeps it on one replica) for the websocket.
Loopback only, bounded: every session gives up at --deadline seconds, and every server is stopped at the end.
"""
from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import queue
import random
import re
import ssl
import sys
import threading
import time
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import websocket
from load_targets import REPO, ProxiedClass, RssMonitor, SingleServer, cpu_seconds
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

HOST = "127.0.0.1"   # never anything else: this tool only ever talks to a server it started itself
BANNER = re.compile(r"Current model: \*\*(?P<variant>[\w-]+)\*\* · bottleneck (?P<k>\d+) · (?P<data>.+?) · "
                    r"test loss (?P<loss>[-\d.]+) · (?P<epochs>\d+) epochs")
QUEUE = re.compile(r"number (\d+) in the queue")
FINISHED_OK = ForwardMsg.ScriptFinishedStatus.Value("FINISHED_SUCCESSFULLY")
FRAGMENT_OK = ForwardMsg.ScriptFinishedStatus.Value("FINISHED_FRAGMENT_RUN_SUCCESSFULLY")
# A fragment rerun for a fragment a full run has just removed is dropped by the server without a word (no
# new_session, no script_finished): a request that has not started a run after this long never will.
START_GRACE_S = 3.0
BATCH_SIZE = 128          # each session's, unless the caller gives one per session
ANSWER_TIMEOUT_S = 60.0   # an interaction not answered by then counts as a timeout (and the tab moves on)


@dataclass
class Result:
    """What one session saw."""

    index: int
    latent_dim: int
    seed: int
    first_page_s: float | None = None        # connect -> first full run finished
    train_click_s: float | None = None       # Train pressed -> that run finished
    trained_s: float | None = None           # Train pressed -> the banner shows the trained model
    latencies_s: list[float] = field(default_factory=list)      # slider move -> run finished, while training
    first_paint_s: list[float] = field(default_factory=list)    # slider move -> first element of the answer
    max_queue_position: int = 0
    banner: str = ""
    own_model: bool = False
    errors: list[str] = field(default_factory=list)             # st.error texts and exceptions seen
    fragment_runs: int = 0
    timeouts: int = 0                                           # interactions never answered
    trace: list[str] = field(default_factory=list)              # the last messages, for a session that failed


class Session(threading.Thread):
    """One browser tab, as far as the server can tell."""

    def __init__(self, index: int, target, start_at: float, deadline: float, stop_all: threading.Event,
                 interact_every: float, epochs: int, variant: str, batch_size: int = BATCH_SIZE):
        super().__init__(name=f"session-{index}", daemon=True)
        self.url, self.cafile = target.url, target.cafile   # http(s)://127.0.0.1:port, the certificate for https
        self.start_at, self.deadline, self.stop_all = start_at, deadline, stop_all
        self.interact_every, self.epochs, self.variant = interact_every, epochs, variant
        self.result = Result(index, latent_dim=index + 1, seed=index)
        self.rng = random.Random(index)
        self.ws: websocket.WebSocket | None = None
        self.inbox: queue.Queue = queue.Queue()   # frames from the reader thread; an exception when the socket closed
        self.widgets: dict[str, str] = {}        # widget key -> element id
        self.page_hash = ""
        self.query = urlencode({"dataset": "mnist", "variant": variant, "latent_dim": index + 1,
                                "epochs": epochs, "seed": index, "batch_size": batch_size})
        self.timers: dict[str, list[float]] = {}   # fragment id -> [interval, next due]
        self.running = False                      # a script run is in progress (ours or a fragment's)
        self.requested = 0.0                      # when the last rerun request went out, until its run starts
        self.pending: dict | None = None          # the measured interaction in flight
        self.texts: list[str] = []                # markdown and alerts of the run in progress
        self.beta = 1.0
        self.done = threading.Event()
        self.trained = threading.Event()
        self.t_train = 0.0

    # --- the protocol -------------------------------------------------------------------------------------
    def send_rerun(self, widgets: list | None = None, fragment_id: str = "") -> None:
        msg = BackMsg()
        cs = msg.rerun_script
        cs.query_string, cs.page_script_hash = self.query, self.page_hash
        if fragment_id:
            cs.fragment_id, cs.is_auto_rerun = fragment_id, True
        for w in widgets or []:
            cs.widget_states.widgets.append(w)
        self.ws.send_binary(msg.SerializeToString())
        self.requested = time.monotonic()
        self.result.trace = self.result.trace[-40:] + [f"{self.requested - self.t_train:7.2f} SEND "
                                                       f"{'fragment' if fragment_id else 'full'} {len(widgets or [])}"]

    def busy(self, now: float) -> bool:
        return self.running or (self.requested and now - self.requested < START_GRACE_S)

    def button(self, key: str):
        from streamlit.proto.WidgetStates_pb2 import WidgetState
        w = WidgetState(id=self.widgets[key])
        w.trigger_value = True
        return w

    def toggle(self, key: str, on: bool):
        from streamlit.proto.WidgetStates_pb2 import WidgetState
        w = WidgetState(id=self.widgets[key])
        w.bool_value = on
        return w

    def slider(self, key: str, value: float):
        from streamlit.proto.WidgetStates_pb2 import WidgetState
        w = WidgetState(id=self.widgets[key])
        w.double_array_value.data.append(value)
        return w

    def handle(self, raw: bytes, now: float) -> str | None:
        """Digest one ForwardMsg; returns 'full' or 'fragment' when a run finished."""
        msg = ForwardMsg()
        msg.ParseFromString(raw)
        kind = msg.WhichOneof("type")
        if kind != "delta":
            finished = msg.script_finished if kind == "script_finished" else ""
            self.result.trace = self.result.trace[-40:] + [f"{now - self.t_train:7.2f} {kind} {finished}"]
        if kind == "new_session":
            self.running, self.requested = True, 0.0
            self.page_hash = msg.new_session.page_script_hash or self.page_hash
            self.texts = []
            if not msg.metadata.run.fragment_ids:   # a full run: the browser forgets its fragment timers
                self.timers.clear()
        elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            el = msg.delta.new_element
            ek = el.WhichOneof("type")
            body = getattr(el, ek)
            if getattr(body, "id", ""):
                self.widgets[body.id.rsplit("-", 1)[-1]] = body.id
            if ek == "markdown":
                self.texts.append(body.body)
            elif ek == "alert":
                self.texts.append(body.body)
                if body.format == 1:   # ERROR
                    self.result.errors.append(body.body[:200])
                m = QUEUE.search(body.body)
                if m:
                    self.result.max_queue_position = max(self.result.max_queue_position, int(m.group(1)))
            elif ek == "exception":
                self.result.errors.append(f"exception: {body.message[:200]}")
            if self.pending is not None and self.pending.get("paint") is None:
                self.pending["paint"] = now
        elif kind == "delta" and msg.delta.WhichOneof("type") == "add_block":
            section = msg.delta.add_block.expandable.id   # an expander that reruns the page when opened
            if section:
                self.widgets[section.rsplit("-", 1)[-1]] = section
        elif kind == "page_info_changed":
            self.query = msg.page_info_changed.query_string
        elif kind == "auto_rerun":
            self.timers[msg.auto_rerun.fragment_id] = [msg.auto_rerun.interval, now + msg.auto_rerun.interval]
        elif kind == "stop_auto_rerun":
            for fid in msg.stop_auto_rerun.fragment_ids:
                self.timers.pop(fid, None)
        elif kind == "script_finished":
            self.running = False
            if msg.script_finished == FINISHED_OK:
                return "full"
            if msg.script_finished == FRAGMENT_OK:
                return "fragment"
        return None

    def pump(self, until: float) -> str | None:
        """Receive until a run finishes or `until`; keep the fragment timers going meanwhile."""
        while True:
            now = time.monotonic()
            if now >= until or self.stop_all.is_set():
                return None
            if not self.busy(now) and self.pending is None:   # the browser's timers fire between runs
                for fid, timer in list(self.timers.items()):
                    if now >= timer[1]:
                        timer[1] = now + timer[0]
                        self.send_rerun(fragment_id=fid)
                        break
            due = min([t[1] for t in self.timers.values()] + [until])
            try:
                raw = self.inbox.get(timeout=max(0.01, min(0.25, due - now)))
            except queue.Empty:
                continue
            if isinstance(raw, Exception):
                raise raw
            finished = self.handle(raw, time.monotonic())
            if finished:
                if finished == "fragment":
                    self.result.fragment_runs += 1
                return finished

    # --- what a student does ------------------------------------------------------------------------------
    def run(self) -> None:
        r = self.result
        try:
            time.sleep(max(0.0, self.start_at - time.monotonic()))
            t0 = time.monotonic()
            self.ws = websocket.create_connection(self.url.replace("http", "ws", 1) + "/_stcore/stream",
                                                  subprotocols=["streamlit"], timeout=30, cookie=self.load_page(),
                                                  sslopt={"ca_certs": str(self.cafile)} if self.cafile else None)
            self.ws.settimeout(None)
            threading.Thread(target=self.read, name=f"reader-{self.result.index}", daemon=True).start()
            self.send_rerun()
            while self.pump(self.deadline) != "full":
                if time.monotonic() >= self.deadline:
                    raise TimeoutError("the first page never finished")
            r.first_page_s = time.monotonic() - t0
            self.check_banner()
            self.send_rerun([self.toggle("sidebar_advanced_open", True)])   # beta's slider is drawn once it is open
            while self.pump(self.deadline) != "full":
                if time.monotonic() >= self.deadline:
                    raise TimeoutError("opening Advanced never finished")
            self.t_train = time.monotonic()
            self.send_rerun([self.button("train_go")])
            while self.pump(self.deadline) is None:
                if time.monotonic() >= self.deadline:
                    raise TimeoutError("the Train click never finished")
            r.train_click_s = time.monotonic() - self.t_train
            self.check_banner()
            next_move = time.monotonic() + self.rng.uniform(0.5, 1.5) * self.interact_every
            while not self.stop_all.is_set() and time.monotonic() < self.deadline:
                if self.pending is None and not self.busy(time.monotonic()) and time.monotonic() >= next_move:
                    self.beta = 1.1 if self.beta == 1.0 else 1.0
                    self.pending = {"sent": time.monotonic(), "paint": None, "training": not self.stop_all.is_set()}
                    self.send_rerun([self.toggle("sidebar_advanced_open", True), self.slider("beta", self.beta)])
                now = time.monotonic()
                if self.pending is not None:
                    wait_until = self.pending["sent"] + ANSWER_TIMEOUT_S
                elif self.busy(now):   # a timer's run is in progress: receive until it ends (or a grace passes)
                    wait_until = max(next_move, now + START_GRACE_S)
                else:
                    wait_until = next_move
                finished = self.pump(min(self.deadline, wait_until))
                if self.pending is not None and not finished and time.monotonic() >= wait_until:
                    r.timeouts += 1
                    self.pending, self.running = None, False
                    next_move = time.monotonic() + self.interact_every
                if finished:
                    if self.pending is not None:
                        p, self.pending = self.pending, None
                        r.latencies_s.append(time.monotonic() - p["sent"])
                        if p["paint"] is not None:
                            r.first_paint_s.append(p["paint"] - p["sent"])
                        next_move = time.monotonic() + self.rng.uniform(0.5, 1.5) * self.interact_every
                    if finished == "full":
                        self.check_banner()
            if not self.trained.is_set():
                r.errors.append("no trained model before the deadline")
        except Exception as err:   # a session that breaks is reported, not fatal to the others
            r.errors.append(f"{type(err).__name__}: {err}")
        finally:
            self.done.set()
            if self.ws is not None:
                try:
                    self.ws.close()
                except Exception:
                    pass

    def load_page(self) -> str:
        """GET / as a browser does first; its cookies (a proxy's route, Streamlit's XSRF) go with the websocket."""
        jar = http.cookiejar.CookieJar()
        context = ssl.create_default_context(cafile=self.cafile) if self.cafile else None
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar),
                                             urllib.request.HTTPSHandler(context=context))
        opener.open(f"{self.url}/", timeout=30).read()
        return "; ".join(f"{c.name}={c.value}" for c in jar)

    def read(self) -> None:
        """The socket's only reader, with blocking reads: the session's thread waits on the inbox instead."""
        try:
            while True:
                self.inbox.put(self.ws.recv())
        except Exception as err:
            if not self.done.is_set():
                self.inbox.put(ConnectionError(f"the websocket closed: {err}"))

    def check_banner(self) -> None:
        for text in self.texts:
            m = BANNER.search(text)
            if m:
                self.result.banner = m.group(0)
                if int(m.group("epochs")) >= self.epochs and not self.trained.is_set():
                    self.result.trained_s = time.monotonic() - self.t_train
                    self.result.own_model = (int(m.group("k")) == self.result.latent_dim
                                             and m.group("variant") == self.variant)
                    self.trained.set()


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, max(0, round(q / 100 * (len(values) - 1))))]


def run_load_test(sessions: int = 30, deadline_s: float = 270.0, interact_every: float = 3.0, epochs: int = 1,
                  variant: str = "vae", ramp_s: float = 3.0, max_jobs: int | None = None,
                  log_path: Path | None = None, proxy: bool = False, replicas: int = 2, cpus: int = 2,
                  browser: bool = False, warm: bool = False, batch_sizes: list[int] | None = None) -> dict:
    """Start the server (or the proxied class), run the sessions (protocol clients, or chromium pages with
    `browser`: scripts/load_browser.py), stop it; return the summary (module docstring). Session i trains with a
    batch of `batch_sizes[i]` (default BATCH_SIZE)."""
    log_path = log_path or REPO / "artifacts" / "load_test" / f"server-{time.strftime('%Y%m%d-%H%M%S')}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    t_start = time.monotonic()
    target = ProxiedClass(log_path, replicas, cpus) if proxy else SingleServer(log_path, max_jobs)
    with target:
        if browser:
            summary = drive_students(target, sessions, deadline_s, ramp_s, warm)
        else:
            summary = drive(target, sessions, deadline_s, interact_every, epochs, variant, ramp_s, batch_sizes)
    log = "".join(p.read_text(errors="replace") for p in target.logs())
    max_jobs = cpus if proxy else max_jobs or int(os.environ.get("AECORE_MAX_JOBS", 2))
    return {"target": target.name, "sessions": sessions, "variant": variant, "epochs": epochs, "max_jobs": max_jobs,
            **summary, "wall_s": round(time.monotonic() - t_start, 1), "server_tracebacks": log.count("Traceback"),
            "load_avg_1m": round(os.getloadavg()[0], 1),   # the machine is shared: how busy it was at the end
            "server_log": str(log_path if not proxy else target.logs()[0].parent)}


def drive(target, sessions: int, deadline_s: float, interact_every: float, epochs: int, variant: str,
          ramp_s: float, batch_sizes: list[int] | None = None) -> dict:
    """The sessions against a started target, and what they saw."""
    monitor = RssMonitor(target.pids())
    monitor.start()
    cpu_before = cpu_seconds(target.parts())
    rss_idle, stop_all, t0 = monitor.rss(), threading.Event(), time.monotonic()
    deadline = t0 + deadline_s
    clients = [Session(i, target, t0 + ramp_s * i / max(sessions, 1), deadline, stop_all, interact_every,
                       epochs, variant, batch_sizes[i] if batch_sizes else BATCH_SIZE) for i in range(sessions)]
    try:
        for c in clients:
            c.start()
        while time.monotonic() < deadline and not all(c.trained.is_set() or c.done.is_set() for c in clients):
            time.sleep(0.2)
        all_trained_s = time.monotonic() - t0
        stop_all.set()
        for c in clients:
            c.join(30)
    finally:
        stop_all.set()
        monitor.stop.set()
        monitor.join(5)
    cpu = {k: round(v - cpu_before.get(k, 0.0), 1) for k, v in cpu_seconds(target.parts()).items()}
    results = [c.result for c in clients]
    lat = [x for r in results for x in r.latencies_s]
    paint = [x for r in results for x in r.first_paint_s]
    peak = max((s for _, s in monitor.samples), default=rss_idle)
    losses = {r.banner.split("test loss ")[-1].split(" ")[0] for r in results if r.own_model}
    return {
        "mode": "protocol", "all_trained_s": round(all_trained_s, 1),
        "interactions": len(lat),
        "latency_p50_s": _r(percentile(lat, 50)), "latency_p95_s": _r(percentile(lat, 95)),
        "latency_max_s": _r(max(lat, default=None)),
        "first_paint_p50_s": _r(percentile(paint, 50)), "first_paint_p95_s": _r(percentile(paint, 95)),
        "first_page_p50_s": _r(percentile([r.first_page_s for r in results if r.first_page_s], 50)),
        "train_click_p95_s": _r(percentile([r.train_click_s for r in results if r.train_click_s], 95)),
        "trained_p50_s": _r(percentile([r.trained_s for r in results if r.trained_s], 50)),
        "trained_max_s": _r(max((r.trained_s for r in results if r.trained_s), default=None)),
        "max_queue_position_seen": max((r.max_queue_position for r in results), default=0),
        "rss_idle_mb": round(rss_idle / 2**20), "rss_peak_mb": round(peak / 2**20), "cpu_s": cpu,
        "all_own_model": all(r.own_model for r in results),
        "sessions_with_own_model": sum(r.own_model for r in results),
        "distinct_test_losses": len(losses),
        "session_errors": sum(bool(r.errors) for r in results),
        "fragment_runs": sum(r.fragment_runs for r in results),
        "timeouts": sum(r.timeouts for r in results),
        "results": [asdict(r) | {"trace": [] if r.own_model else r.trace,
                                  "latencies_s": [round(x, 3) for x in r.latencies_s],
                                  "first_paint_s": [round(x, 3) for x in r.first_paint_s]} for r in results],
    }


def drive_students(target, pages: int, deadline_s: float, ramp_s: float, warm: bool = False) -> dict:
    """Chromium pages against a started target, with the server's memory sampled meanwhile."""
    import load_browser
    monitor = RssMonitor(target.pids())
    monitor.start()
    rss_idle, cpu_before = monitor.rss(), cpu_seconds(target.parts())
    try:
        results, browsers_cpu_s = load_browser.drive_browsers(target, pages, deadline_s, ramp_s, warm)
    finally:
        monitor.stop.set()
        monitor.join(5)
    peak = max((s for _, s in monitor.samples), default=rss_idle)
    cpu = {k: round(v - cpu_before.get(k, 0.0), 1) for k, v in cpu_seconds(target.parts()).items()}
    cpu["browsers"] = browsers_cpu_s   # on the same cores as the server
    return {**load_browser.summarize(results, warm), "rss_idle_mb": round(rss_idle / 2**20),
            "rss_peak_mb": round(peak / 2**20), "cpu_s": cpu}


def _r(x: float | None) -> float | None:
    return None if x is None else round(x, 3)


def print_table(summary: dict) -> None:
    print(f"{'#':>3} {'z':>3} {'first page':>10} {'train click':>11} {'trained':>8} {'queue':>5} "
          f"{'moves':>5} {'p50':>6} {'p95':>6}  banner / errors")
    for r in summary["results"]:
        lat = r["latencies_s"]
        fmt = lambda x: "-" if x is None else f"{x:.2f}"  # noqa: E731
        print(f"{r['index']:>3} {r['latent_dim']:>3} {fmt(r['first_page_s']):>10} {fmt(r['train_click_s']):>11} "
              f"{fmt(r['trained_s']):>8} {r['max_queue_position']:>5} {len(lat):>5} {fmt(percentile(lat, 50)):>6} "
              f"{fmt(percentile(lat, 95)):>6}  {'OK ' if r['own_model'] else 'NO '}{r['banner'][:70]}"
              f"{'  ERRORS: ' + '; '.join(r['errors'])[:120] if r['errors'] else ''}")
    print("\n" + "\n".join(f"{k:>26}: {summary[k]}" for k in KEYS))


KEYS = ["target", "mode", "sessions", "max_jobs", "all_trained_s", "interactions", "latency_p50_s",
        "latency_p95_s", "latency_max_s", "first_paint_p50_s", "first_paint_p95_s", "trained_p50_s", "trained_max_s",
        "max_queue_position_seen", "rss_idle_mb", "rss_peak_mb", "cpu_s", "sessions_with_own_model",
        "distinct_test_losses", "session_errors", "timeouts", "server_tracebacks", "load_avg_1m"]


def print_side_by_side(summaries: list[dict]) -> None:
    """The same load on each target (or each client: protocol, browser), one column each."""
    from load_browser import BROWSER_KEYS
    keys = [k for k in dict.fromkeys(KEYS + BROWSER_KEYS) if any(k in s for s in summaries)]
    print("\n" + "\n".join(f"{k:>26}: " + "".join(f"{str(s.get(k, '-')):>40}" for s in summaries) for k in keys))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sessions", type=int, default=30)
    p.add_argument("--deadline", type=float, default=270.0, help="seconds before every session gives up")
    p.add_argument("--interact-every", type=float, default=3.0, help="mean seconds between slider moves")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--variant", default="vae")
    p.add_argument("--ramp", type=float, default=3.0, help="seconds over which the sessions connect")
    p.add_argument("--max-jobs", type=int, help="AECORE_MAX_JOBS for the server (default: its own, 2)")
    p.add_argument("--proxy", action="store_true", help="through nginx to --replicas servers training on Ray")
    p.add_argument("--compare", action="store_true", help="one server, then the proxied class: side by side")
    p.add_argument("--replicas", type=int, default=2)
    p.add_argument("--cpus", type=int, default=2, help="CPUs of the Ray head (one per training model)")
    p.add_argument("--browser", action="store_true", help="chromium pages doing a student's flow (1 epoch, vae)")
    p.add_argument("--both", action="store_true", help="the protocol client, then chromium pages: side by side")
    p.add_argument("--warm", action="store_true", help="browsers: one untimed student goes through the flow first")
    p.add_argument("--json-out", type=Path, help="also write the full summary (every session) here")
    args = p.parse_args(argv)
    summaries = []
    runs = [(False, False), (True, False)] if args.compare else [(args.proxy, args.browser)]
    for proxy, browser in [(args.proxy, False), (args.proxy, True)] if args.both else runs:
        summary = run_load_test(args.sessions, args.deadline, args.interact_every, args.epochs, args.variant,
                                args.ramp, args.max_jobs, proxy=proxy, replicas=args.replicas, cpus=args.cpus,
                                browser=browser, warm=args.warm)
        print_summary(summary)
        summaries.append(summary)
    if len(summaries) > 1:
        print_side_by_side(summaries)
    if args.json_out:
        args.json_out.write_text(json.dumps(summaries if len(summaries) > 1 else summaries[0], indent=1))
    return 0 if all(not s["session_errors"] and s.get("all_own_model", True) for s in summaries) else 1


def print_summary(summary: dict) -> None:
    if summary["mode"].startswith("browser"):
        import load_browser
        load_browser.print_students(summary)
    else:
        print_table(summary)
    print(json.dumps({k: v for k, v in summary.items() if k != "results"}), flush=True)


if __name__ == "__main__":
    sys.exit(main())
