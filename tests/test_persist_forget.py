""""Forget me on this computer" (face.persist, issue 18 gap 4): a student leaving a shared lab PC takes their workspace
with them: the saved model is deleted from the store, the session's model is dropped, nothing is saved after, and
the page ends the cookie (in a browser through the site: tests/e2e/test_site.py)."""
from __future__ import annotations

from pathlib import Path

import pytest
from helpers import isolate_data, trained_run
from page_helpers import seed_workspace, ws
from streamlit.testing.v1 import AppTest

from aecore.runs.store import WorkspaceStore

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow   # the whole app in AppTest: ~20 s
def test_forget_me_deletes_the_saved_model_and_saves_nothing_after(monkeypatch, tmp_path):
    isolate_data(monkeypatch, tmp_path)
    run, _ = trained_run("vanilla", latent_dim=2, epochs=1)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    seed_workspace(at, run)
    at.run()
    token, store = ws(at).persistence.token, WorkspaceStore()
    assert store.load(token).run.id == run.id, "the app saved this student's model under their token"

    at.sidebar.button(key="forget_me").click()
    at._finished_page_script_hash = ""   # private: run app.py's frame (the sidebar) again, as test_page_lecture does
    at.run()
    assert store.load(token) is None and not (store.root / token).exists()
    assert ws(at).run is None
    assert any('window.location.replace("/")' in h.proto.body for h in at.get("html")), "the page leaves, cookie ended"
    at._finished_page_script_hash = ""
    at.run()
    assert store.load(token) is None, "nothing is saved under the forgotten token afterwards"


@pytest.mark.slow   # the whole app in AppTest
def test_a_page_that_cannot_go_on_still_saves_the_workspace_and_keeps_the_cookie(monkeypatch, tmp_path):
    """Train with no data to train on says why and returns; the workspace is saved and the cookie's script drawn
    (app.py's `finally`). It called st.stop, after which every st call, session state's too, raises: nothing was
    saved in that run."""
    isolate_data(monkeypatch, tmp_path)
    run, _ = trained_run("vanilla", latent_dim=2, epochs=1)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    seed_workspace(at, run)
    at.session_state["dataset"] = "upload"   # no file
    at.run()
    assert not at.exception and any("upload a file" in i.value for i in at.info), "the page says why"
    token = ws(at).persistence.token
    assert WorkspaceStore().load(token).run.id == run.id, "saved all the same"
    assert any(token in h.proto.body for h in at.get("html")), "and the cookie's script is drawn"


def test_no_page_calls_st_stop():
    """st.stop ends app.py's run too, before the workspace is saved: pages return instead."""
    sources = [ROOT / "app.py", *(ROOT / "pages").glob("*.py"), *(ROOT / "face").rglob("*.py")]
    assert not [p.name for p in sources if "st.stop(" in p.read_text()]
