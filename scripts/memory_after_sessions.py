"""Does a server give its memory back after its sessions leave? (issue 18, gap 3)

One `streamlit run app.py` on 127.0.0.1; scripts/load_test.py's protocol client opens one session (the idle
level: torch, the app and MNIST loaded), then N sessions that each train their own 1-epoch VAE, then all close.
The server's RSS is sampled: idle, peak, and every few seconds after the last session closed, past Streamlit's
disconnected-session TTL (shortened here with --ttl, as STREAMLIT_SERVER_DISCONNECTED_SESSION_TTL). With
--gdb-trim, gdb then calls glibc's malloc_trim(0) in the server, to tell memory the allocator kept from memory
Python still holds. Prints a table and one JSON line.

    python scripts/memory_after_sessions.py --sessions 20
    python scripts/memory_after_sessions.py --sessions 20 --gdb-trim --env MALLOC_ARENA_MAX=2
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from load_targets import REPO, RssMonitor, SingleServer
from load_test import Session


def run_sessions(port: int, n: int, deadline_s: float, epochs: int = 1) -> list:
    """n sessions train at once (a slider moved every ~3 s each), then close; returns their results."""
    stop_all, t0 = threading.Event(), time.monotonic()
    clients = [Session(i, port, t0 + 3.0 * i / max(n, 1), t0 + deadline_s, stop_all, 3.0, epochs, "vae")
               for i in range(n)]
    for c in clients:
        c.start()
    while time.monotonic() < t0 + deadline_s and not all(c.trained.is_set() or c.done.is_set() for c in clients):
        time.sleep(0.5)
    stop_all.set()
    for c in clients:
        c.join(30)
    return [c.result for c in clients]


def gdb_trim(pid: int) -> None:
    subprocess.run(["gdb", "-p", str(pid), "-batch", "-ex", "call (int) malloc_trim(0)"],
                   capture_output=True, timeout=120)


def gdb_python(pid: int, path: str) -> None:
    """Run a Python file inside the server (holding the GIL), to look at what it holds."""
    code = f"exec(open({path!r}).read())"
    subprocess.run(["gdb", "-p", str(pid), "-batch", "-ex", "call (int) PyGILState_Ensure()",
                    "-ex", f"call (int) PyRun_SimpleString({json.dumps(code)})",
                    "-ex", "call (void) PyGILState_Release($1)"], capture_output=True, timeout=300)


def measure(sessions: int, ttl_s: float, wait_s: float, deadline_s: float, trim: bool, env: dict,
            probe: str | None = None) -> dict:
    mb = lambda b: round(b / 2**20)   # noqa: E731
    log = REPO / "artifacts" / "memory" / f"server-{time.strftime('%Y%m%d-%H%M%S')}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    saved = dict(os.environ)
    os.environ.update(env, STREAMLIT_SERVER_DISCONNECTED_SESSION_TTL=str(int(ttl_s)),
                      AECORE_STORE_DIR=tempfile.mkdtemp(prefix="latent-lab-store-"))
    try:
        with SingleServer(log) as server:
            monitor = RssMonitor(server.pids(), every=1.0)
            first = run_sessions(server.port, 1, deadline_s)   # the idle level: everything loaded once
            time.sleep(ttl_s + 10)
            idle = monitor.rss()
            monitor.start()
            results = run_sessions(server.port, sessions, deadline_s)
            closed_at = time.monotonic()
            after = []
            while time.monotonic() < closed_at + ttl_s + wait_s:
                time.sleep(5)
                after.append((round(time.monotonic() - closed_at), mb(monitor.rss())))
            monitor.stop.set()
            peak = max(s for _, s in monitor.samples)
            trimmed = probed = None
            if probe:
                gdb_python(server.proc.pid, probe)
                time.sleep(1)
                probed = mb(monitor.rss())
            if trim:
                gdb_trim(server.proc.pid)
                time.sleep(1)
                trimmed = mb(monitor.rss())
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return {"sessions": sessions, "trained": sum(r.own_model for r in results), "first_ok": first[0].own_model,
            "errors": sum(bool(r.errors) for r in results), "env": env, "ttl_s": ttl_s,
            "rss_idle_mb": mb(idle), "rss_peak_mb": mb(peak), "rss_after_mb": after,
            "rss_end_mb": after[-1][1] if after else None, "rss_after_gdb_trim_mb": trimmed,
            "rss_after_probe_mb": probed,
            "above_idle_mb": (after[-1][1] - mb(idle)) if after else None, "server_log": str(log)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sessions", type=int, default=20)
    p.add_argument("--ttl", type=float, default=15.0, help="Streamlit's disconnected-session TTL, seconds")
    p.add_argument("--wait", type=float, default=60.0, help="seconds sampled after the TTL")
    p.add_argument("--deadline", type=float, default=400.0)
    p.add_argument("--gdb-trim", action="store_true", help="then call malloc_trim(0) in the server with gdb")
    p.add_argument("--probe", help="a Python file gdb runs inside the server before the trim (diagnosis)")
    p.add_argument("--env", action="append", default=[], help="NAME=VALUE for the server (repeatable)")
    args = p.parse_args(argv)
    env = dict(item.split("=", 1) for item in args.env)
    out = measure(args.sessions, args.ttl, args.wait, args.deadline, args.gdb_trim, env, args.probe)
    print(f"{out['sessions']} sessions ({out['trained']} trained their model), load {os.getloadavg()[0]:.1f}")
    print(f"RSS idle {out['rss_idle_mb']} MB, peak {out['rss_peak_mb']} MB, after: {out['rss_after_mb']}")
    if out["rss_after_gdb_trim_mb"] is not None:
        print(f"after malloc_trim(0) through gdb: {out['rss_after_gdb_trim_mb']} MB")
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
