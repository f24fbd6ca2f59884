"""Issue 18, gap 4: the documented nginx site (deploy/nginx-latent-lab.conf, rendered by deploy/local.py) at a host
name and a port that are not 80, in chromium, as a student meets it: http://lab.test:<port> redirects to HTTPS,
the app loads (its websocket passes Streamlit's origin check only if the port reaches it in Host), the workspace
cookie is the server's (HttpOnly, Secure, SameSite=Lax, ending with the browser), a reload keeps the model, and
"Forget me on this computer" ends the token. Two replicas, training in process (no Ray: lighter for the suite).
"""
from __future__ import annotations

import re
import shutil
import ssl
import sys
import time
import urllib.error
import urllib.request
from urllib.parse import urlsplit

import harness
import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.slow,
              pytest.mark.skipif(shutil.which("nginx") is None or shutil.which("openssl") is None,
                                 reason="needs Debian's nginx and openssl")]
sys.path.insert(0, str(harness.REPO / "deploy"))
from local import NAME, LocalClass  # noqa: E402

sync_api = pytest.importorskip("playwright.sync_api", reason="browser tests need the playwright package")

UPSTREAM = re.compile(r'"GET /_stcore/stream HTTP/1.1" 101 upstream=([\d.:]+)')


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with LocalClass(replicas=2, ray=False, folder=tmp_path_factory.mktemp("site"), log=lambda _: None) as stack:
        yield stack


@pytest.fixture(scope="module")
def lab_browser(playwright):
    """chromium that finds lab.test at 127.0.0.1, as a classroom's DNS would find the real name."""
    b = playwright.chromium.launch(executable_path=harness.CHROMIUM, headless=True,
                                   args=[*harness.CHROMIUM_ARGS, f"--host-resolver-rules=MAP {NAME} 127.0.0.1"])
    yield b
    b.close()


def new_page(browser):
    """A new browser (its own cookies) that accepts the trial's self-signed certificate."""
    context = browser.new_context(viewport=harness.VIEWPORT, ignore_https_errors=True)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda err: page.errors.append(str(err)))
    return page


def banner(page) -> str:
    return page.get_by_text(re.compile(r"^(Current model|No model yet)")).first.inner_text()


def workspace_cookie(page) -> dict:
    return next(c for c in page.context.cookies() if c["name"] == "latentlab_ws")


def test_the_site_at_a_name_and_a_port(site, lab_browser):
    page = new_page(lab_browser)
    harness.open_app(page, f"http://{NAME}:{site.http_port}/?variant=vanilla&latent_dim=2&epochs=1")
    assert page.url.startswith(f"https://{NAME}:{site.port}/"), f"plain HTTP did not redirect: {page.url}"
    assert "variant=vanilla" in page.url, "the redirect kept the lesson link's query"

    cookie = workspace_cookie(page)
    assert re.fullmatch(r"[0-9a-f]{32}", cookie["value"])
    assert (cookie["httpOnly"], cookie["secure"], cookie["sameSite"]) == (True, True, "Lax")
    assert cookie["expires"] == -1, "a session cookie: it ends when the browser closes"
    assert "latentlab_ws" not in page.evaluate("document.cookie"), "no script on the page can read the token"
    secure = {c["name"]: c["secure"] for c in page.context.cookies()}
    assert secure == {"latentlab_ws": True, "_streamlit_xsrf": True}, "every cookie, Streamlit's XSRF token too"

    harness.train(page, variant="vanilla", latent_dim=2, epochs=1)
    trained = banner(page)
    assert (site.folder / "store" / cookie["value"]).is_dir(), "saved under the token the site gave"
    assert "vanilla" in trained and "bottleneck 2" in trained
    page.reload()                                                     # F5
    harness.open_app(page, page.url)
    assert banner(page) == trained, "the model came back after a reload"
    assert workspace_cookie(page)["value"] == cookie["value"]
    harness.shot(page, "site-1-after-reload")
    assert one_replica_served(site), "every websocket of this browser went to one replica (sticky)"

    with page.expect_navigation(url=re.compile(rf"https://{re.escape(NAME)}:{site.port}/$"), timeout=60_000):
        page.get_by_role("button", name="Forget me on this computer").click()   # via /forget, back to /
    harness.open_app(page, page.url)
    assert banner(page).startswith("No model yet"), "the next person at this computer starts afresh"
    assert workspace_cookie(page)["value"] != cookie["value"], "a new token"
    assert not (site.folder / "store" / cookie["value"]).exists(), "the old token's model is gone from the server"
    page.get_by_role("button", name="Forget me on this computer").wait_for(timeout=60_000)   # the sidebar is drawn
    harness.wait_idle(page)
    harness.shot(page, "site-2-forgotten")
    assert not page.errors, page.errors
    page.context.close()


def one_replica_served(site) -> bool:
    """Whether every websocket in the site's access log (one browser so far) went to the same replica."""
    time.sleep(0.3)   # nginx logs a request once it ends: the open websocket is not there yet
    log = (site.folder / "nginx" / "access.log").read_text()
    upstreams = {m[1] for m in UPSTREAM.finditer(log)}
    return len(upstreams) == 1 and urlsplit(f"http://{upstreams.pop()}").port in site.replica_ports


def open_sessions(site, token: str, count: int, keep: bool) -> tuple[list, list[int]]:
    """Open `count` websockets (Streamlit sessions) as one browser, one after the other; the open ones (with `keep`)
    and the HTTP statuses of those refused."""
    import websocket
    opened, refused = [], []
    for _ in range(count):
        try:
            ws = websocket.create_connection(f"wss://127.0.0.1:{site.port}/_stcore/stream", timeout=30,
                                             subprotocols=["streamlit"], cookie=f"latentlab_ws={token}",
                                             sslopt={"ca_certs": str(site.cafile)})
        except websocket.WebSocketBadStatusException as err:
            refused.append(err.status_code)
            continue
        if keep:
            opened.append(ws)
        else:
            ws.close()
    return opened, refused


def upload_status(site, token: str) -> int:
    """The HTTP status of an upload (of a session the replica does not know: refused, but by Streamlit)."""
    request = urllib.request.Request(f"{site.url}/_stcore/upload_file/no-session/no-file", data=b"x", method="PUT",
                                     headers={"Cookie": f"latentlab_ws={token}"})
    try:
        with urllib.request.urlopen(request, timeout=30, context=ssl.create_default_context(cafile=site.cafile)) as r:
            return r.status
    except urllib.error.HTTPError as err:
        return err.code


def test_one_browser_cannot_open_sessions_without_end(site):
    """limit_conn: 10 open tabs per browser; limit_req: new sessions at 1 per 2 s after a burst of 20."""
    tabs, refused = open_sessions(site, "a" * 32, 12, keep=True)
    upload = upload_status(site, "a" * 32)
    for ws in tabs:
        ws.close()
    assert (len(tabs), refused) == (10, [429, 429]), "the 11th open tab of one browser is refused"
    assert upload != 429, "ten open tabs do not hold back that browser's upload"
    time.sleep(1)
    t0 = time.monotonic()
    _, refused = open_sessions(site, "b" * 32, 30, keep=False)   # F5 held down: each a new session
    passed, most = 30 - len(refused), 21 + int((time.monotonic() - t0) / 2) + 1   # the burst, then 1 per 2 s
    assert 21 <= passed <= most and set(refused) == {429}, f"{passed} of 30 passed, at most {most} should"
    _, refused = open_sessions(site, "c" * 32, 3, keep=False)
    assert not refused, "another browser behind the same address is not held back"
