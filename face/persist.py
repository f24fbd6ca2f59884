"""A student's model and settings survive a reload or a closed tab.

The browser keeps a random token in a cookie, `latentlab_ws`. In a class the server sets it: the nginx site
(deploy/nginx-latent-lab.conf) gives each new browser one that is HttpOnly, Secure and SameSite=Lax, and ends
with the browser; the app only reads it. Served by `streamlit run app.py` alone (a laptop), the app makes the
token and a one-line script keeps it in a cookie that also ends with the browser.
On a session's first run the Workspace is restored: from this server's live workspaces when the old session's run
is still here (its training job goes on, the page re-attaches), else from the shared WorkspaceStore (aecore.runs.store:
any replica that sees the same AECORE_STORE_DIR). After each run, and every SAVE_EVERY_S while training, the current
model, the sidebar's settings and the job's state (face.reattach: a restore tells an interrupted run from a stopped
one, and says what was lost) are saved under the token, with the view (presenter view, the lesson) beside them: a
lecturer's F5 keeps the room's large type. The view is kept by this browser's token only, never in a link, so a
student opening a copied link gets their own view; the student's upload is kept when it arrives.
"Forget me on this computer" deletes the entry and ends the cookie (the site's /forget; a script without it).
What this session keeps of it is the Workspace's `persistence` (face.parts.Persistence): its token, what was last
saved, the last thing the store could not keep, and whether it forgot its token.
"""
from __future__ import annotations

import re
import time
import weakref
from contextlib import nullcontext
from dataclasses import replace

import streamlit as st

from aecore import jobs
from aecore.lecture import share
from aecore.runs.store import WorkspaceStore, new_token

from . import reattach
from .datasets import sidebar_settings
from .session import widgets, workspace
from .workspace import Workspace, is_demo

COOKIE = "latentlab_ws"
VIEW = "_view"         # the saved settings' key for the view: {"presenter": bool, "lesson": a preset's name or ""}
# While training, at most one save this often: a server that dies loses at most this (plus the page's 1-5 s timer).
# Measured on the busy 2-core machine (load 13-15, scripts/bench_store.py): a save of the default VAE (2.5 MB) costs
# ~33 ms after the sidebar's 10 epochs of the 5k subset, ~80 ms after 10 epochs of full MNIST (its history.json);
# a conv AE 12 ms. Every 3 s that is 0.4-3% of a core per training student.
SAVE_EVERY_S = 3.0
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
    """This browser's token: from its cookie (the site's), or, served alone, a new one (keep_cookie_ui)."""
    kept = workspace().persistence
    if kept.token is None:
        kept.token = cookie() or new_token()
    return kept.token


def keep_cookie_ui(tok: str) -> None:
    """Served alone: a one-line script keeps the token in a session cookie (no max-age: it ends with the browser,
    like the site's). Written last in a run (by save), never first: an element above the page's, in a session's
    first run only, moved every element below it one place down in the next run, and Streamlit then mounted them
    all again, the Latent space atlas' frame with its 70,000 points included."""
    if cookie() != tok and not behind_proxy():
        st.html(f'<script>document.cookie = "{COOKIE}={tok}; path=/; SameSite=Lax";</script>',
                unsafe_allow_javascript=True)


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
    workspace().persistence.forgotten = True
    end = ('window.location.replace("/forget");' if behind_proxy()   # the site clears its HttpOnly cookie there
           else f'document.cookie = "{COOKIE}=; path=/; max-age=0"; window.location.replace("/");')
    st.html(f"<script>{end}</script>", unsafe_allow_javascript=True)


def restore() -> None:
    """Once per session, before the sidebar: bring back this browser's model and settings, if any."""
    ws = workspace()
    if ws.once.restored:
        return
    ws.once.restored = True
    tok = token()
    ws.owner = tok
    saved = store().load(tok)
    old = _LIVE.get(tok)
    live = old is not None and old is not ws and old.run is not None
    if live:
        # the same run: its training goes on and this page follows it (or it is the lecturer's, still read-only)
        ws.run, ws.job, ws.following = old.run, old.job, old.following
        if old.upload.data is not None:   # the file is in the old page's uploader, not this one's
            ws.upload = replace(old.upload, kept=True)
    elif saved is not None and saved.run is not None:
        ws.adopt(saved.run)
    if ws.run is not None:
        ws.once.demo_offered = True   # a restored model is not replaced by the demo
    remember_live(tok, ws)
    settings = dict(saved.settings) if saved is not None else {}
    restore_view(settings.pop(VIEW, None))
    checked, _ = share.check_settings(settings)
    widgets.update(checked)
    if saved is not None and not live:   # nothing live to follow: what was training, the upload
        reattach.restore(ws, saved)


def view_state() -> dict:
    """What this browser sees besides the settings: presenter view on or off, and the lesson picked."""
    return {"presenter": bool(widgets.get("presenter")), "lesson": widgets.get("lesson") or ""}


def restore_view(view) -> None:
    """Presenter view and the lesson as they were saved (anything malformed or unknown is left out)."""
    from .lecture import lesson_presets  # lecture draws the sidebar; persist runs before it

    if not isinstance(view, dict):
        return
    if isinstance(view.get("presenter"), bool):
        widgets["presenter"] = view["presenter"]
    lesson = view.get("lesson")
    if isinstance(lesson, str) and lesson in lesson_presets():
        widgets["lesson"] = lesson


def remember_live(tok: str, ws: Workspace) -> None:
    _LIVE[tok] = ws


def save() -> None:
    """After a run: save the model and the settings when they changed (while training: every SAVE_EVERY_S).
    Nothing while following the lecturer's model: the student's own stays in the store as it was. What it draws
    (the cookie's script, a toast) comes last: after a page's st.stop every st call raises again."""
    ws = workspace()
    kept = ws.persistence
    if kept.forgotten:
        return
    tok = token()
    remember_live(tok, ws)
    note = None if ws.following else save_changes(ws, tok)
    keep_cookie_ui(tok)
    tell_once(note, "Download your model on the Models page to keep it.")


def save_changes(ws: Workspace, tok: str) -> str | None:
    """Write the model and settings under `tok` if they changed since the last save; what could not be kept."""
    kept = ws.persistence
    run, settings = ws.run, {**sidebar_settings(), VIEW: view_state()}
    state = (run.id if run else None, run.step if run else 0, repr(sorted(settings.items())), ws.training)
    last = kept.saved
    if last is not None and last[:4] == state:
        return None
    if last is not None and ws.training and last[3] and time.monotonic() - last[4] < SAVE_EVERY_S:
        return None
    job = reattach.job_state(ws, SAVE_EVERY_S + (ws.train_view.cadence or 1.0))
    keep = None if run is None or is_demo(run) else run   # a bundled demo comes back by itself: only the settings
    try:
        with jobs.lock_for(run) if keep is not None else nullcontext():   # weights between two steps
            note = store().save(tok, keep, settings, job)
    except OSError as err:   # a full or failing disk: said without the server's paths
        note = f"the server could not write your workspace ({err.strerror or type(err).__name__})"
    kept.saved = (*state, time.monotonic())
    return note


def keep_upload(name: str, blob: bytes) -> None:
    """Keep the student's new upload in the store, so a restarted server brings it back (when it fits)."""
    try:
        note = store().keep_upload(token(), name, blob)
    except OSError as err:
        note = f"the server could not write your file ({err.strerror or type(err).__name__})"
    tell_once(note, "If the server restarts, upload it again.")


def tell_once(note: str | None, hint: str) -> None:
    """What the store could not keep, said once (a toast) rather than on every save."""
    kept = workspace().persistence
    if note and kept.store_note != note:
        kept.store_note = note
        st.toast(f"Not kept across a reload: {note}. {hint}", icon=":material/save:")
