"""Does a server give its memory back after its sessions leave? (issue 18, gap 3)

One `streamlit run app.py` on 127.0.0.1; scripts/load_test.py's protocol client opens one session (the idle
level: torch, the app and MNIST loaded), then N sessions that each train their own 1-epoch VAE, then all close.
The server's RSS is sampled: idle, peak, and every few seconds after the last session closed, past Streamlit's
disconnected-session TTL (shortened here with --ttl, as STREAMLIT_SERVER_DISCONNECTED_SESSION_TTL). With
--probe FILE the server runs FILE on SIGUSR1 at the end (a look at what holds the memory: scripts/memory_probe.py).
Prints a table and one JSON line.

    python scripts/memory_after_sessions.py --sessions 20
    python scripts/memory_after_sessions.py --sessions 20 --probe scripts/memory_probe.py --env MALLOC_ARENA_MAX=2
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from load_targets import REPO, RssMonitor, SingleServer
from load_test import HOST, Session
from local import wait_healthy

PROBE_OUT = "/tmp/latent-lab-memory-probe.json"


def run_sessions(server: SingleServer, n: int, deadline_s: float, epochs: int = 1) -> list:
    """n sessions train at once (a slider moved every ~3 s each), then close; returns their results."""
    stop_all, t0 = threading.Event(), time.monotonic()
    clients = [Session(i, server, t0 + 3.0 * i / max(n, 1), t0 + deadline_s, stop_all, 3.0, epochs, "vae")
               for i in range(n)]
    for c in clients:
        c.start()
    while time.monotonic() < t0 + deadline_s and not all(c.trained.is_set() or c.done.is_set() for c in clients):
        time.sleep(0.5)
    stop_all.set()
    for c in clients:
        c.join(30)
    return [c.result for c in clients]


class ProbedServer(SingleServer):
    """SingleServer whose process runs `probe` (a Python file) when it gets SIGUSR1: a look inside the server at
    what holds its memory (gdb cannot call into a process on this machine)."""

    def __init__(self, log_path: Path, probe: str | None):
        super().__init__(log_path)
        self.probe = probe

    def __enter__(self) -> ProbedServer:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        env.pop("AECORE_RAY_ADDRESS", None)
        boot = ("import signal, sys\n"
                f"signal.signal(signal.SIGUSR1, lambda *_: exec(open({self.probe!r}).read(), {{}}))\n"
                f"sys.argv = ['streamlit', 'run', 'app.py', '--server.port', '{self.port}', '--server.address', "
                f"'{HOST}', '--server.headless', 'true']\n"
                "from streamlit.web.cli import main\nmain()\n")
        self.proc = subprocess.Popen([sys.executable, "-c", boot] if self.probe else
                                     [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port",
                                      str(self.port), "--server.address", HOST, "--server.headless", "true"],
                                     cwd=REPO, stdout=open(self.log_path, "wb"), stderr=subprocess.STDOUT, env=env,
                                     start_new_session=True)
        wait_healthy(self.port, [(f"the server (log: {self.log_path})", self.proc)])
        return self


def probe_server(server: ProbedServer, out: Path, timeout_s: float = 120) -> dict:
    """Send SIGUSR1 and read the JSON the probe writes to `out`."""
    out.unlink(missing_ok=True)
    os.kill(server.proc.pid, signal.SIGUSR1)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if out.exists():
            time.sleep(0.5)
            return json.loads(out.read_text())
        time.sleep(0.5)
    return {"error": "the probe wrote nothing"}


def measure(sessions: int, ttl_s: float, wait_s: float, deadline_s: float, env: dict,
            probe: str | None = None, enough: Callable[[int, int, int], bool] | None = None) -> dict:
    """The server's RSS (MB): idle, at its peak, and sampled every 5 s for `ttl_s + wait_s` after the sessions
    close; `enough(idle, peak, now)` ends the sampling once it holds past the TTL (a test stops there, the command
    line samples the whole wait)."""
    probe = str(Path(probe).resolve()) if probe else None
    mb = lambda b: round(b / 2**20)   # noqa: E731
    log = REPO / "artifacts" / "memory" / f"server-{time.strftime('%Y%m%d-%H%M%S')}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    saved = dict(os.environ)
    os.environ.update(env, STREAMLIT_SERVER_DISCONNECTED_SESSION_TTL=str(int(ttl_s)),
                      AECORE_STORE_DIR=tempfile.mkdtemp(prefix="latent-lab-store-"))
    try:
        with ProbedServer(log, probe) as server:
            monitor = RssMonitor(server.pids(), every=1.0)
            first = run_sessions(server, 1, deadline_s)   # the idle level: everything loaded once
            time.sleep(ttl_s + 10)
            idle = monitor.rss()
            monitor.start()
            results = run_sessions(server, sessions, deadline_s)
            closed_at = time.monotonic()
            after = []
            while time.monotonic() < closed_at + ttl_s + wait_s:
                time.sleep(5)
                after.append((round(time.monotonic() - closed_at), mb(monitor.rss())))
                peak = max(s for _, s in monitor.samples)
                if enough and after[-1][0] > ttl_s and enough(mb(idle), mb(peak), after[-1][1]):
                    break
            monitor.stop.set()
            peak = max(s for _, s in monitor.samples)
            probed = probe_server(server, Path(PROBE_OUT)) if probe else None
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return {"sessions": sessions, "trained": sum(r.own_model for r in results), "first_ok": first[0].own_model,
            "errors": sum(bool(r.errors) for r in results), "env": env, "ttl_s": ttl_s,
            "rss_idle_mb": mb(idle), "rss_peak_mb": mb(peak), "rss_after_mb": after,
            "rss_end_mb": after[-1][1] if after else None, "probe": probed,
            "above_idle_mb": (after[-1][1] - mb(idle)) if after else None, "server_log": str(log)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sessions", type=int, default=20)
    p.add_argument("--ttl", type=float, default=15.0, help="Streamlit's disconnected-session TTL, seconds")
    p.add_argument("--wait", type=float, default=60.0, help="seconds sampled after the TTL")
    p.add_argument("--deadline", type=float, default=400.0)
    p.add_argument("--probe", help=f"a Python file the server runs at the end (diagnosis); it writes {PROBE_OUT}")
    p.add_argument("--env", action="append", default=[], help="NAME=VALUE for the server (repeatable)")
    args = p.parse_args(argv)
    env = dict(item.split("=", 1) for item in args.env)
    out = measure(args.sessions, args.ttl, args.wait, args.deadline, env, args.probe)
    print(f"{out['sessions']} sessions ({out['trained']} trained their model), load {os.getloadavg()[0]:.1f}")
    print(f"RSS idle {out['rss_idle_mb']} MB, peak {out['rss_peak_mb']} MB, after: {out['rss_after_mb']}")
    if out["probe"] is not None:
        print(f"probe: {out['probe']}")
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
