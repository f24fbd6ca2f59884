"""This session's Workspace, and the first call of every page."""
from __future__ import annotations

import streamlit as st

from .workspace import Workspace

KEY = "workspace"


def workspace() -> Workspace:
    """The session's Workspace (created on first use): the only thing pages take out of session state."""
    ws = st.session_state.get(KEY)
    if ws is None:
        ws = st.session_state[KEY] = Workspace()
    return ws


def page_setup() -> Workspace:
    """Each page's first call: make sure it runs inside app.py's frame, and hand it the Workspace."""
    ensure_frame()
    return workspace()


def ensure_frame() -> None:
    """Run a page inside app.py's frame (sidebar, navigation), never alone.

    Until some session has run app.py's st.navigation, Streamlit 1.67 treats the folder named pages/ as an
    old-style multipage app, so a shared link such as /latent that is a fresh server's first request runs
    that page alone, without the sidebar (streamlit#9624). Leave that mode and rerun: app.py then runs
    around the same page, which it finds by its URL path.
    """
    from streamlit.runtime.pages_manager import PagesManager   # pinned streamlit==1.67: see requirements.txt

    # Once per session at most: AppTest sets that mode again before every run, where a rerun here would
    # drop the click being tested (a session's first run has none to drop).
    if PagesManager.uses_pages_directory and not st.session_state.get("frame_rerun"):
        st.session_state.frame_rerun = True
        PagesManager.uses_pages_directory = False
        st.rerun()
