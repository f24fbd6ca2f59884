"""Follow along: a lecturer shares the current model with the class, and a link opens that very model (not only its
settings) for every student on the same server, read-only, so a class explores one model together; a student forks
it to make it their own.

The model is saved in the store of shared models (aecore.runs.store.shared_store) under a random share id; the link is
the page's address with `?follow=<id>` (aecore.lecture.share.FOLLOW_PARAM). A follower's Workspace holds its own copy of
the run with `following` set, so Train and Resume are off until they fork (face.workspace). The Workspace
keeps `lecture.shared` ((share id, run id, step) of what this session last shared: pressing Share again updates that
same link) and `messages.follow_error` (why a follow link could not be opened, shown once).
"""
from __future__ import annotations

import streamlit as st

from aecore.lecture import share
from aecore.runs.store import TTL_S, WorkspaceStore, new_token, shared_store

from .datasets import sidebar_settings
from .session import widgets, workspace

GONE = (f"The lecturer's shared model is not on this server any more (shared models are kept for {TTL_S // 3600} "
        "hours): ask for a new link. Meanwhile this is your own workspace.")


@st.cache_resource(show_spinner=False)
def shares() -> WorkspaceStore:
    return shared_store()


def open_link(params: dict) -> dict:
    """Once per session (lecture.read_link): the model a follow link names becomes this session's read-only view.
    Returns the settings it was shared with, for the sidebar ({} when the link names none or it is gone)."""
    share_id = share.follow_from_query(params)
    if share_id is None:
        if params.get(share.FOLLOW_PARAM):
            workspace().messages.follow_error = "This follow link is damaged: ask the lecturer for it again."
        return {}
    return load(share_id)


def load(share_id: str) -> dict:
    """Follow the shared model `share_id` (its latest version); its settings, or {} when it is gone."""
    saved = shares().load(share_id)
    if saved is None or saved.run is None:
        workspace().messages.follow_error = GONE
        return {}
    ws = workspace()
    ws.follow(saved.run, share_id)
    ws.once.demo_offered = True   # the demo does not replace it
    checked, _ = share.check_settings(saved.settings)
    return checked


def share_model() -> None:
    """Button callback: save the current model under this session's share id (a new one the first time)."""
    ws = workspace()
    run, shared = ws.run, ws.lecture.shared
    share_id = shared[0] if shared else new_token()
    shares().save(share_id, run, {**sidebar_settings(), **share.run_settings(run)})
    ws.lecture.shared = (share_id, run.id, run.step)


def reload_model() -> None:
    """Button callback: the lecturer's latest version of the followed model, with its settings."""
    widgets.update(load(workspace().following))


def share_ui() -> None:
    """The sidebar's Share button, and the follow-along link once this session has shared a model."""
    ws = workspace()
    if ws.following:
        return
    st.sidebar.button("Share this model with the class", key="share_model", on_click=share_model,
                      icon=":material/group:", disabled=ws.run is None or ws.training,
                      help="Students who open the link below see this very model, read-only, on every page, and can "
                           "fork it into their own workspace. Press it again after more training to update it.")
    shared = ws.lecture.shared
    if not shared:
        return
    changed = ws.run is None or (ws.run.id, ws.run.step) != shared[1:]
    st.sidebar.caption("The class follows along with this link" + (
        " (it opens the model as you shared it: press Share again to update it)." if changed else "."))
    st.sidebar.code((st.context.url or "") + share.query_string({share.FOLLOW_PARAM: shared[0]}), language=None,
                    wrap_lines=True)


def follow_banner_ui() -> None:
    """Above the page: that this is the lecturer's model, read-only, with Fork and Reload; or why a link failed."""
    ws = workspace()
    error, ws.messages.follow_error = ws.messages.follow_error, None
    if error:
        st.warning(error, icon=":material/link_off:")
    if not ws.following:
        return
    text, fork, latest = st.columns([6, 1, 1], vertical_alignment="center")
    text.info("**Following the lecturer's model** · Fork to make it yours", icon=":material/visibility:")
    fork.button("Fork", key="follow_fork", type="primary", icon=":material/fork_right:", on_click=ws.fork,
                width="stretch", help="Copy it into your own workspace: then you can train it further, and it is kept "
                                      "as yours when you come back.")
    latest.button("Reload", key="follow_reload", icon=":material/refresh:", on_click=reload_model, width="stretch",
                  help="Get the lecturer's latest version of this model (after they shared it again).")
