"""What scripts/load_test.py sends its sessions to: one `streamlit run app.py` training in process, or the
proxied class of deploy/local.py (nginx over HTTPS, N replicas, a Ray head). Both give a URL (and the certificate
to check an https one against), the processes to weigh
(resident memory, children included) and the logs to search for tracebacks, and stop what they started.
"""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "deploy"))
from local import HOST, LocalClass, free_port, stop_group, wait_healthy  # noqa: E402


class SingleServer:
    """One server on 127.0.0.1, its jobs trained in its own process (AECORE_RAY_ADDRESS unset)."""

    name = "one server, in-process training"
    cafile = None

    def __init__(self, log_path: Path, max_jobs: int | None = None):
        self.log_path, self.max_jobs = log_path, max_jobs
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> SingleServer:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        env.pop("AECORE_RAY_ADDRESS", None)
        if self.max_jobs is not None:
            env["AECORE_MAX_JOBS"] = str(self.max_jobs)
        log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.port",
                                      str(self.port), "--server.address", HOST, "--server.headless", "true"],
                                     cwd=REPO, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        wait_healthy(self.port, [(f"the server (log: {self.log_path})", self.proc)])
        return self

    def __exit__(self, *exc) -> None:
        stop_group(self.proc)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def pids(self) -> list[int]:
        return [self.proc.pid]

    def parts(self) -> dict[str, list[int]]:
        return {"server": [self.proc.pid]}

    def logs(self) -> list[Path]:
        return [self.log_path]


class ProxiedClass:
    """deploy/local.py's stack: nginx on one port, `replicas` servers behind it, Ray training with `cpus` CPUs."""

    def __init__(self, log_path: Path, replicas: int = 2, cpus: int = 2):
        self.name = f"nginx + {replicas} replicas + Ray ({cpus} CPUs)"
        self.stack = LocalClass(replicas=replicas, cpus=cpus, folder=log_path.parent / f"class-{free_port()}",
                                log=lambda _: None)

    @property
    def url(self) -> str:
        return self.stack.url

    @property
    def cafile(self) -> Path:
        return self.stack.cafile

    def __enter__(self) -> ProxiedClass:
        self.stack.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stack.stop()

    def pids(self) -> list[int]:
        return self.stack.pids()

    def parts(self) -> dict[str, list[int]]:
        """Process groups by role, for the CPU each used: the replicas, Ray (head and workers), nginx."""
        roles: dict[str, list[int]] = {}
        for name, proc in self.stack.parts:
            roles.setdefault(name.split("-")[0], []).append(proc.pid)
        return roles

    def logs(self) -> list[Path]:
        return [p for p in self.stack.logs() if p.name.startswith("replica")]


def cpu_seconds(parts: dict[str, list[int]]) -> dict[str, float]:
    """CPU time (user + system) each role's processes and their descendants have used so far."""
    out = {}
    for role, pids in parts.items():
        total = 0.0
        for pid in pids:
            try:
                top = psutil.Process(pid)
                family = [top, *top.children(recursive=True)]
            except psutil.Error:
                continue
            for p in family:
                try:
                    t = p.cpu_times()
                    total += t.user + t.system + t.children_user + t.children_system
                except psutil.Error:
                    pass
        out[role] = total
    return out


class RssMonitor(threading.Thread):
    """Samples the resident memory of some processes (children included) every `every` seconds."""

    def __init__(self, pids: list[int], every: float = 0.5):
        super().__init__(daemon=True)
        self.procs, self.every = [psutil.Process(p) for p in pids], every
        self.samples: list[tuple[float, int]] = []
        self.stop = threading.Event()

    def rss(self) -> int:
        total = 0
        for top in self.procs:
            try:
                family = [top, *top.children(recursive=True)]
            except psutil.Error:
                continue
            for p in family:
                try:
                    total += p.memory_info().rss
                except psutil.Error:
                    pass
        return total

    def run(self) -> None:
        t0 = time.monotonic()
        while not self.stop.is_set():
            self.samples.append((time.monotonic() - t0, self.rss()))
            self.stop.wait(self.every)
