"""The deploy/ folder on one machine: nginx (HTTPS) in front of two replicas of the app, sticky on the browser's
workspace token, a Ray head training for both, one shared folder. A student trains a model on the Train page; their
reload on the other replica (their replica gone, or reached directly) shows their model there (face/persist.py
restores it by the browser's cookie token from AECORE_STORE_DIR). Slow: it starts Ray, two servers and nginx.
(The site in a browser, at a host name and port: tests/e2e/test_site.py.)
"""
from __future__ import annotations

import re
import shutil
import ssl
import sys
import time
import urllib.request
import uuid

import pytest
from helpers import ROOT
from streamlit_client import Tab

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(shutil.which("nginx") is None or shutil.which("ray") is None,
                                 reason="needs Debian's nginx and ray (requirements-dev.txt)")]
sys.path.insert(0, str(ROOT / "deploy"))
from local import LocalClass, render_site, stop_group  # noqa: E402

BANNER = re.compile(r"Current model: \*\*vae\*\* · bottleneck 3 · .+? · test loss [-\d.]+ · 1 epochs")
QUERY = "dataset=mnist&variant=vae&latent_dim=3&epochs=1&seed=3&batch_size=128"   # a lesson link
UPSTREAM = re.compile(r'"GET /\?route-probe-(\w+) HTTP/1.1" \d+ upstream=([\d.:]+)')
COOKIE = "latentlab_ws"


@pytest.fixture(scope="module")
def two_replicas(tmp_path_factory):
    with LocalClass(replicas=2, cpus=2, folder=tmp_path_factory.mktemp("class"), log=lambda _: None) as stack:
        yield stack


def banner(texts: list[str]) -> str | None:
    return next((m[0] for m in map(BANNER.search, texts) if m), None)


def train(stack: LocalClass, cookies: dict) -> tuple[Tab, str]:
    """Open the Train page, press Train, rerun (as the page's timer would) until the banner shows the model."""
    tab = Tab(stack.url, cookies, QUERY, cafile=stack.cafile)
    tab.open()
    texts, deadline = tab.press("train_go"), time.monotonic() + 180
    while banner(texts) is None:
        assert time.monotonic() < deadline, f"no trained model: {texts}"
        time.sleep(1)
        texts = tab.rerun()
    tab.rerun()   # one more run: the app saves the finished model for this browser's token
    assert trained_on_ray(stack), "the model did not train on the Ray cluster"
    return tab, banner(texts)


def trained_on_ray(stack: LocalClass, wait_s: float = 20) -> bool:
    """Whether a Ray worker ran a training task (a task names itself in its worker's log, written a bit later)."""
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        logs = (stack.ray_dir / "session_latest" / "logs").glob("worker-*")
        if any("train_task" in p.read_text(errors="replace") for p in logs):
            return True
        time.sleep(1)
    return False


def replica_of(stack: LocalClass, token: str) -> str:
    """Which replica nginx sends a browser with this workspace token to (from its access log)."""
    probe = uuid.uuid4().hex[:8]
    request = urllib.request.Request(f"{stack.url}/?route-probe-{probe}", headers={"Cookie": f"{COOKIE}={token}"})
    urllib.request.urlopen(request, timeout=30, context=ssl.create_default_context(cafile=stack.cafile)).read()
    for _ in range(100):   # nginx logs a request just after answering it
        log = (stack.folder / "nginx" / "access.log").read_text()
        found = [m[2] for m in UPSTREAM.finditer(log) if m[1] == probe]
        if found:
            return found[0]
        time.sleep(0.05)
    raise AssertionError("nginx did not log the probe")


def test_the_site_renders_with_this_runs_ports(tmp_path):
    site = render_site(8600, [9001, 9002, 9003], http_port=8080, cert_dir=tmp_path)
    assert "listen 127.0.0.1:8600 ssl;" in site and site.count("server 127.0.0.1:900") == 3
    assert "listen 127.0.0.1:8080;" in site and "return 301 https://$host:8600$request_uri;" in site
    assert f"ssl_certificate     {tmp_path / 'cert.pem'};" in site and "letsencrypt" not in site
    assert "hash $latent_lab_token consistent;" in site and "proxy_set_header Upgrade $http_upgrade;" in site
    assert "proxy_set_header Host $http_host;" in site   # the port too: Streamlit's websocket origin check


def test_a_reload_on_the_other_replica_finds_the_model(two_replicas):
    token = uuid.uuid4().hex
    tab, trained = train(two_replicas, {COOKIE: token})
    tab.close()
    first = int(replica_of(two_replicas, token).rsplit(":", 1)[1])
    other = next(p for p in two_replicas.replica_ports if p != first)   # nginx hashes this token to `first` only
    again = Tab(f"http://127.0.0.1:{other}", {COOKIE: token}, QUERY)
    assert banner(again.open()) == trained   # the same model (its test loss too), from the shared store
    again.close()


def test_a_replica_that_goes_down_sends_its_students_to_the_other_with_their_model(two_replicas):   # runs last
    token = uuid.uuid4().hex
    tab, trained = train(two_replicas, {COOKIE: token})
    tab.close()
    port = int(replica_of(two_replicas, token).rsplit(":", 1)[1])
    replica = two_replicas.parts[1 + two_replicas.replica_ports.index(port)][1]   # parts: ray-head, replicas, nginx
    stop_group(replica)
    back = Tab(two_replicas.url, {COOKIE: token}, QUERY, cafile=two_replicas.cafile)
    assert banner(back.open()) == trained
    back.close()
