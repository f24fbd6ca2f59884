"""The session has one owner: `st.session_state` appears only in face/session.py, every widget key the pages use is
in its WIDGETS table, and replacing the model clears what the pages kept of the old one in one place."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from face.lecture import DEFAULT_DEMO, load_demo
from face.session import WIDGETS, known
from face.workspace import Workspace

ROOT = Path(__file__).resolve().parents[1]
STREAMLIT_SIDE = [ROOT / "app.py", *sorted((ROOT / "face").rglob("*.py")), *sorted((ROOT / "pages").glob("*.py"))]
OWNER = ROOT / "face" / "session.py"


def test_session_state_is_touched_only_by_face_session():
    others = [f"{p.relative_to(ROOT)}:{n}" for p in STREAMLIT_SIDE if p != OWNER
              for n, line in enumerate(p.read_text().splitlines(), 1) if "session_state" in line]
    assert others == []
    owned = [line for line in OWNER.read_text().splitlines() if "st.session_state" in line]
    assert len(owned) <= 12, owned


def widget_keys(path: Path) -> list[str]:
    """Every key=... given as a literal or an f-string in `path`; an f-string's fields read as "x"."""
    keys = []
    for node in ast.walk(ast.parse(path.read_text())):
        for kw in getattr(node, "keywords", []) if isinstance(node, ast.Call) else []:
            if kw.arg == "key" and isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str):
                keys.append(kw.value.value)
            elif kw.arg == "key" and isinstance(kw.value, ast.JoinedStr):
                keys.append("".join(v.value if isinstance(v, ast.Constant) else "x" for v in kw.value.values))
    return keys


def test_every_widget_key_is_in_the_one_table():
    keys = [k for p in STREAMLIT_SIDE for k in widget_keys(p)]
    assert len(keys) > 80, "the scan finds the pages' widgets"
    unknown = []
    for key in keys:
        try:
            known(key)
        except KeyError:
            unknown.append(key)
    assert unknown == []


def test_a_key_outside_the_table_is_refused_and_every_entry_says_what_it_is():
    with pytest.raises(KeyError, match="not a widget key"):
        known("latent_pick")   # the Workspace's latent panel keeps the pick, not a widget
    assert known("gen_z3") == "gen_z3" and known("anomaly_threshold_abc_mse") == "anomaly_threshold_abc_mse"
    assert all(meaning.strip() for meaning in WIDGETS.values())
    assert all(re.fullmatch(r"[a-z_]*(<[a-z ]+>[a-z_]*)*", key) for key in WIDGETS), "names, or <part> patterns"


def kept_views(ws: Workspace) -> None:
    """What the pages keep of a model: the Train page's history and error, both explore panels."""
    ws.train_view.steps, ws.train_view.error, ws.train_view.cadence = (("old", 1), [1, 2]), "refused", 2.0
    ws.latent.pick, ws.latent.code_for, ws.latent.click, ws.latent.tl_play = {"view": 1}, "fp", 7, True
    ws.generate.code, ws.generate.revision, ws.generate.seed = [1.0, 2.0], 4, 3


@pytest.mark.parametrize("replace", ["reset", "adopt"])
def test_reset_and_adopt_clear_the_old_models_views_in_one_call(replace):
    ws = Workspace()
    ws.once.demo_offered, ws.persistence.token = True, "ab" * 16
    kept_views(ws)
    demo = load_demo(DEFAULT_DEMO)
    ws.reset() if replace == "reset" else ws.adopt(demo)
    assert ws.run is (None if replace == "reset" else demo)
    assert ws.train_view.steps is None and ws.train_view.error is None
    assert ws.train_view.cadence == 2.0, "the redraw's measured cost is the machine's, not the model's"
    assert (ws.latent.pick, ws.latent.code_for, ws.latent.click, ws.latent.tl_play) == (None, None, None, False)
    assert ws.generate.code is None and ws.generate.revision == 5, "a new revision: the browser's sliders move"
    assert ws.once.demo_offered and ws.persistence.token == "ab" * 16, "the session's own parts stay"
