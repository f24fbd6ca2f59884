"""The deploy/ folder on one machine: nginx in front of two replicas with sticky routes, a Ray head training for
both, one shared store. A student's session trains a model; their reload lands on the other replica (a new
route, or their replica gone) and finds the model there. Slow: it starts Ray, two servers and nginx.

The page is tests/apps/reload_app.py, which restores through aecore.store by a cookie token as the app does.
"""
from __future__ import annotations

import re
import shutil
import sys
import uuid

import pytest
from conftest import ROOT
from streamlit_client import Tab

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(shutil.which("nginx") is None or shutil.which("ray") is None,
                                 reason="needs Debian's nginx and ray (requirements-dev.txt)")]
sys.path.insert(0, str(ROOT / "deploy"))
from local import LocalClass, render_site, stop_group  # noqa: E402

LINE = re.compile(r"replica=(\d+) backend=(\w+) model=(\w+) step=(\d+)")


def state(texts: list[str]) -> dict:
    line = next(m for m in map(LINE.search, texts) if m)
    return {"replica": line[1], "backend": line[2], "model": line[3], "step": int(line[4])}


@pytest.fixture(scope="module")
def two_replicas(tmp_path_factory):
    with LocalClass(replicas=2, cpus=2, folder=tmp_path_factory.mktemp("class"), app="tests/apps/reload_app.py",
                    log=lambda _: None) as stack:
        yield stack


def visit(url: str, cookies: dict) -> tuple[Tab, dict]:
    tab = Tab(url, cookies)
    return tab, state(tab.open())


def test_the_site_renders_with_this_runs_ports():
    site = render_site(8600, [9001, 9002, 9003])
    assert "listen 127.0.0.1:8600;" in site and site.count("server 127.0.0.1:900") == 3
    assert "hash $latent_lab_route consistent;" in site and "proxy_set_header Upgrade $http_upgrade;" in site


def test_a_reload_on_the_other_replica_finds_the_model(two_replicas):
    token = uuid.uuid4().hex
    tab, first = visit(two_replicas.url, {"latent_lab_token": token})
    route = tab.cookies["latent_lab_route"]   # set by nginx on the first page load
    trained = state(tab.press("train_go"))
    assert trained["backend"] == "RayPool" and trained["model"] != "None" and trained["step"] > 0
    tab.close()
    again, same = visit(two_replicas.url, {"latent_lab_token": token, "latent_lab_route": route})
    assert same["replica"] == first["replica"] and same["model"] == trained["model"]   # sticky
    again.close()
    for _ in range(40):   # a new route (a cleared cookie, a new browser on the same account): another replica
        other, seen = visit(two_replicas.url, {"latent_lab_token": token})
        other.close()
        if seen["replica"] != first["replica"]:
            break
    assert seen["replica"] != first["replica"], "every route hashed to one replica"
    assert (seen["model"], seen["step"]) == (trained["model"], trained["step"])


def test_a_replica_that_goes_down_sends_its_students_to_the_other_with_their_model(two_replicas):   # runs last
    token = uuid.uuid4().hex
    tab, first = visit(two_replicas.url, {"latent_lab_token": token})
    trained = state(tab.press("train_go"))
    route = tab.cookies["latent_lab_route"]
    tab.close()
    stop_group(next(p for _, p in two_replicas.parts if p.pid == int(first["replica"])))   # its server goes down
    back, seen = visit(two_replicas.url, {"latent_lab_token": token, "latent_lab_route": route})
    back.close()
    assert seen["replica"] != first["replica"] and seen["model"] == trained["model"]

