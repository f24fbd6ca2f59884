"""A student's model and settings survive a reload or a closed tab.

The browser keeps a random token in a cookie, `latentlab_ws`. In a class the server sets it: the nginx site
(deploy/nginx-latent-lab.conf) gives each new browser one that is HttpOnly, Secure and SameSite=Lax, and ends
with the browser; the app only reads it. Served by `streamlit run app.py` alone (a laptop), the app makes the
token and a one-line script keeps it in a cookie that also ends with the browser.
On a session's first run the Workspace is restored: from this server's live workspaces when the old session's run
is still here (its training job goes on, the page re-attaches), else from the shared WorkspaceStore (aecore.store:
any replica that sees the same AECORE_STORE_DIR). After each run, and every SAVE_EVERY_S while training, the current
model and the sidebar's settings are saved under the token, with the view (presenter view, the lesson) beside them:
a lecturer's F5 keeps the room's large type. The view is kept by this browser's token only, never in a link, so a
student opening a copied link gets their own view.
"Forget me on this computer" deletes the entry and ends the cookie (the site's /forget; a script without it).
Session-state keys: "ws_token" (this session's token), "ws_saved" (what was last saved: (run id, step, settings)),
"ws_forgotten" (this session forgot its token: nothing is saved any more).
"""
from __future__ import annotations

import re
import time
import weakref

import streamlit as st

from aecore import jobs, share
from aecore.store import WorkspaceStore, new_token

from .datasets import sidebar_settings
from .session import workspace
from .workspace import Workspace, is_demo

COOKIE = "latentlab_ws"
VIEW = "_view"         # the saved settings' key for the view: {"presenter": bool, "lesson": a preset's name or ""}
SAVE_EVERY_S = 10.0    # while training: at most one save (~10 ms for a 0.5 MB model) this often
_HEX = re.compile(r"[0-9a-f]{32}")


@st.cache_resource(show_spinner=False)
def store() -> WorkspaceStore:
    return WorkspaceStore()


# Token -> the Workspace of that browser's latest session on this server. Weak: it keeps nothing alive, so a
# closed tab's run is freed as before; a reload finds the old session while Streamlit still holds it
# (server.disconnectedSessionTTL, 120 s), and the store after that.
_LIVE: weakref.WeakValueDictionary[str, Workspace] = weakref.WeakValueDictionary()


def cookie() -> str:
    """The token the browser sent, or "" (none, or not ours; AppTest has no browser and no cookies)."""
    value = st.context.cookies.get(COOKIE)
    return value if isinstance(value, str) and _HEX.fullmatch(value) else ""


def behind_proxy() -> bool:
    """Whether this session came through the nginx site (it names the scheme): there, the site owns the cookie."""
    return "X-Forwarded-Proto" in st.context.headers


def token() -> str:
    """This browser's token: from its cookie (the site's), or, served alone, a new one that a one-line script
    keeps in a session cookie (no max-age: it ends with the browser, like the site's)."""
    if "ws_token" not in st.session_state:
        st.session_state.ws_token = cookie() or new_token()
    tok = st.session_state.ws_token
    if cookie() != tok and not behind_proxy():
        st.html(f'<script>document.cookie = "{COOKIE}={tok}; path=/; SameSite=Lax";</script>',
                unsafe_allow_javascript=True)
    return tok


def forget_ui() -> None:
    """The sidebar's last button: a student leaving a shared computer takes their workspace with them."""
    if st.sidebar.button("Forget me on this computer", key="forget_me", type="tertiary", icon=":material/logout:",
                         help="Deletes your model and settings from the server and ends this browser's token, so "
                              "the next person at this computer starts afresh. Closing the browser ends it too."):
        forget()


def forget() -> None:
    """Stop and drop this session's model, delete its saved entry, and end the cookie: the page reloads afresh."""
    tok = token()
    workspace().reset()
    store().forget(tok)
    _LIVE.pop(tok, None)
    st.session_state.ws_forgotten = True
    end = ('window.location.replace("/forget");' if behind_proxy()   # the site clears its HttpOnly cookie there
           else f'document.cookie = "{COOKIE}=; path=/; max-age=0"; window.location.replace("/");')
    st.html(f"<script>{end}</script>", unsafe_allow_javascript=True)


def restore() -> None:
    """Once per session, before the sidebar: bring back this browser's model and settings, if any."""
    if st.session_state.get("ws_restored"):
        return
    st.session_state.ws_restored = True
    tok, ws = token(), workspace()
    saved = store().load(tok)
    old = _LIVE.get(tok)
    if old is not None and old is not ws and old.run is not None:
        # the same run: its training goes on and this page follows it (or it is the lecturer's, still read-only)
        ws.run, ws.job, ws.following = old.run, old.job, old.following
    elif saved is not None and saved.run is not None:
        ws.adopt(saved.run)
    if ws.run is not None:
        st.session_state.demo_offered = True   # a restored model is not replaced by the demo
    remember_live(tok, ws)
    settings = dict(saved.settings) if saved is not None else {}
    restore_view(settings.pop(VIEW, None))
    checked, _ = share.check_settings(settings)
    for key, value in checked.items():
        st.session_state[key] = value


def view_state() -> dict:
    """What this browser sees besides the settings: presenter view on or off, and the lesson picked."""
    return {"presenter": bool(st.session_state.get("presenter")), "lesson": st.session_state.get("lesson") or ""}


def restore_view(view) -> None:
    """Presenter view and the lesson as they were saved (anything malformed or unknown is left out)."""
    from .lecture import lesson_presets   # lecture draws the sidebar; persist runs before it

    if not isinstance(view, dict):
        return
    if isinstance(view.get("presenter"), bool):
        st.session_state.presenter = view["presenter"]
    lesson = view.get("lesson")
    if isinstance(lesson, str) and lesson in lesson_presets():
        st.session_state.lesson = lesson


def remember_live(tok: str, ws: Workspace) -> None:
    _LIVE[tok] = ws


def save() -> None:
    """After a run: save the model and the settings when they changed (while training: every SAVE_EVERY_S).
    Nothing while following the lecturer's model: the student's own stays in the store as it was."""
    if st.session_state.get("ws_forgotten"):
        return
    tok, ws = token(), workspace()
    remember_live(tok, ws)
    if ws.following:
        return
    run, settings = ws.run, {**sidebar_settings(), VIEW: view_state()}
    state = (run.id if run else None, run.step if run else 0, repr(sorted(settings.items())))
    last = st.session_state.get("ws_saved")
    if last is not None and last[:3] == state:
        return
    if last is not None and ws.training and time.monotonic() - last[3] < SAVE_EVERY_S:
        return
    if run is None or is_demo(run):   # a bundled demo comes back by itself: keep only the settings
        store().save(tok, None, settings)
    else:
        with jobs.lock_for(run):   # weights between two steps
            store().save(tok, run, settings)
    st.session_state.ws_saved = (*state, time.monotonic())
