"""No silent rollback (issue 18, gap 3) and no server paths in the page (gap 5): a server that restarts while a
model trains is simulated by a fresh AppTest restoring from the store, after the first one saved mid-training
(its live workspace forgotten and a new server id, as a new process would have)."""
from __future__ import annotations

import time
from pathlib import Path

import pytest
from helpers import one_thread, trained_run, write_bars
from page_helpers import seed_workspace, ws
from streamlit.testing.v1 import AppTest

from aecore.runs.store import WorkspaceStore, new_token
from face import persist, reattach
from face.datasets import parse_upload
from face.paths import scrub
from face.workspace import Upload

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")


pytestmark = pytest.mark.usefixtures("own_job_pool")   # conftest: each test its own pool, nothing left training


@pytest.fixture
def bars(tmp_path):
    blob = write_bars(tmp_path / "bars.npz").read_bytes()
    return blob, parse_upload(blob, "bars.npz")


def session(token: str, data=None, **state) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    workspace = seed_workspace(at)
    workspace.persistence.token = token
    if data is not None:
        workspace.upload = Upload(data=data, name="bars.npz")
        at.session_state["dataset"] = "upload"
    for key, value in state.items():
        at.session_state[key] = value
    return at


def restart(monkeypatch) -> None:
    """What a new server process has: no live workspaces, another id."""
    monkeypatch.setattr(persist, "_LIVE", type(persist._LIVE)())
    monkeypatch.setattr(reattach, "SERVER_ID", new_token())


def progress_text(at: AppTest) -> str:
    return " ".join(p.proto.text for p in at.main.get("progress"))


def buttons(at: AppTest) -> dict[str, bool]:
    return {b.label: not b.disabled for b in at.main.button}


def test_a_restart_mid_training_says_what_was_lost_and_the_run_is_ready_to_resume(bars, monkeypatch):
    blob, data = bars
    token = new_token()
    persist.store().keep_upload(token, "bars.npz", blob)   # what the sidebar does with an upload
    first = session(token, data, epochs=200, batch_size=32, variant="vae", latent_dim=2).run()
    with one_thread():
        first.button(key="train_go").click().run()
        job = ws(first).job
        assert job.active
        first.run()   # a save while training (the first save of a training run is not held back)
        job.stop()
        job.wait(10)
    saved = persist.store().load(token)
    assert saved.state["training"] and saved.state["upload"] == "bars.npz" and saved.run.step > 0
    step = saved.run.step

    restart(monkeypatch)
    at = session(token).run()   # the page re-attaches on a server that never saw this session
    assert not at.exception
    said = " ".join(w.value for w in at.warning)
    assert "The server restarted while your model trained: training stopped at epoch" in said
    assert f"(step {step:,})" in said and "Press **Resume**" in said
    assert "were lost" in said or "nothing after it was lost" in said
    assert "· interrupted" in progress_text(at) and "· stopped" not in progress_text(at)
    assert buttons(at)["Resume"] and buttons(at)["Train"]
    assert ws(at).upload.kept and ws(at).upload.data.shape == data.shape   # the uploaded file came back too
    assert at.session_state["dataset"] == "upload"
    with one_thread():
        at.button(key="train_resume").click().run()
        assert ws(at).interrupted is None and ws(at).training
        assert ws(at).run.step >= step   # it goes on from the last save
        ws(at).job.stop()
        ws(at).job.wait(10)
    assert "· interrupted" not in progress_text(at.run())


def test_a_model_the_student_stopped_comes_back_stopped_without_news(bars, monkeypatch):
    _, data = bars
    token = new_token()
    run, _ = trained_run("vanilla", epochs=1)
    persist.store().save(token, run, {"variant": "vanilla"}, {"training": False})
    restart(monkeypatch)
    at = session(token).run()
    assert not at.exception and ws(at).run.id == run.id and ws(at).interrupted is None
    assert not any("restarted" in w.value for w in at.warning)


def test_an_upload_that_was_not_kept_is_asked_for_again(monkeypatch):
    token = new_token()
    run, _ = trained_run("vanilla", epochs=1)
    persist.store().save(token, run, {"dataset": "upload"}, {"training": True, "saved_at": time.time() - 1,
                                                             "every_s": 4, "steps_per_s": 10, "upload": "mine.csv"})
    restart(monkeypatch)
    at = session(token).run()
    said = " ".join(w.value for w in at.warning) + " " + " ".join(i.value for i in at.info)
    assert "Your file mine.csv was not kept on the server" in ws(at).interrupted
    assert "upload it again" in ws(at).interrupted
    assert at.session_state["dataset"] == "upload" and "upload a file" in said


def test_the_loss_is_bounded_by_the_save_cadence():
    run, _ = trained_run("vanilla", epochs=1)
    state = {"saved_at": 100.0, "every_s": 4.0, "steps_per_s": 25.0, "server": "elsewhere"}
    text = reattach.interrupted_message(state, run, now=160.0)   # the server came back a minute later
    assert "at most the last ~4 s of training (about 100 steps) were lost" in text
    assert "~2 s" in reattach.interrupted_message(state, run, now=102.0)


# --- no server paths in the page ---------------------------------------------------------------------------------
def test_a_folder_that_cannot_be_read_is_named_without_the_servers_path(tmp_path, monkeypatch):
    from aecore.runs.checkpoint import save_run
    run, data = trained_run("vanilla", epochs=1)
    root = tmp_path / "srv" / "class-runs"
    save_run(run, root / "broken")
    (root / "broken" / "history.json").unlink()
    (root / "broken" / "history.json").mkdir()   # reading it fails with the folder's absolute path in the error
    monkeypatch.setenv("AECORE_RUNS_DIR", str(root))
    at = AppTest.from_file(str(ROOT / "pages" / "models.py"), default_timeout=30)
    seed_workspace(at, None, data)
    at.run()
    at.text_input(key="model_path").input("broken").run()
    at.button(key="model_load_folder").click().run()
    shown = " ".join(e.value for e in at.error)
    assert "cannot be read" in shown and "runs/broken" in shown
    assert str(tmp_path) not in shown and "/srv/" not in shown


@pytest.mark.parametrize("text, expected", [
    ("x in /home/teacher/latent-lab/runs/vae cannot be read", "x in …/runs/vae cannot be read"),
    ("[Errno 39] Directory not empty: '/srv/store/.abc-old'", "[Errno 39] Directory not empty: '…/store/.abc-old'"),
    ("see https://example.org/a/b.gz, 3/4 done", "see https://example.org/a/b.gz, 3/4 done"),
])
def test_absolute_paths_are_cut_and_urls_kept(text, expected, monkeypatch):
    monkeypatch.setattr("face.paths.known_roots", lambda: [])
    assert scrub(text) == expected


def test_the_stores_own_folder_is_named(monkeypatch, tmp_path):
    monkeypatch.setenv("AECORE_STORE_DIR", str(tmp_path / "store"))
    assert scrub(f"{tmp_path}/store/abc is gone") == "the store/abc is gone"
    assert isinstance(WorkspaceStore().root, Path)


def test_what_the_visitor_typed_is_kept_as_typed(monkeypatch):
    monkeypatch.setattr("face.paths.known_roots", lambda: [("/srv/runs", "runs")])
    said = "'/proc/self/environ' is not a run folder under /srv/runs or /opt/x/y"
    assert scrub(said, keep=("/proc/self/environ",)) == "'/proc/self/environ' is not a run folder under runs or …/x/y"


def test_an_upload_in_the_sidebar_is_kept_in_the_store(tmp_path):
    from page_helpers import upload_data, upload_handler_script
    token = new_token()
    at = AppTest.from_string(upload_handler_script(), default_timeout=30)
    seed_workspace(at).persistence.token = token
    at.run()
    blob = write_bars(tmp_path / "bars.npz").read_bytes()
    upload_data(at, "bars.npz", blob)
    assert not at.exception and ws(at).upload.data is not None
    persist.store().save(token, None, {"dataset": "upload"})
    assert persist.store().load(token).upload == ("bars.npz", blob)


def test_train_past_the_students_share_says_why_and_keeps_the_model(monkeypatch):
    """The page's answer to a refused job (AECORE_MAX_EPOCHS here): an error, and the current model stays."""
    from helpers import make_images
    monkeypatch.setenv("AECORE_MAX_EPOCHS", "3")
    run, data = trained_run("vae", epochs=1)
    at = AppTest.from_file(APP, default_timeout=30)
    at.session_state["dataset"] = "upload"
    seed_workspace(at, run=run, data=make_images())
    at.session_state["epochs"] = 5
    at.run()
    at.button(key="train_go").click().run()
    assert "at most 3 per model (AECORE_MAX_EPOCHS)" in " ".join(e.value for e in at.error)
    assert ws(at).run is run and ws(at).job is None


def test_a_model_over_the_students_space_is_said_once(monkeypatch):
    monkeypatch.setenv("AECORE_STORE_QUOTA_MB", "0.01")   # 10 KB: smaller than any model
    persist.store.clear()
    try:
        token = new_token()
        run, data = trained_run("vanilla", epochs=1)
        at = AppTest.from_file(APP, default_timeout=30)
        seed_workspace(at, run=run, data=data).persistence.token = token
        at.run()
        said = " ".join(t.value for t in at.toast)
        assert "Not kept across a reload: your model" in said and "AECORE_STORE_QUOTA_MB" in said
        assert persist.store().load(token).run is None   # the settings are kept, the model is not
        at.run()
        assert not at.toast   # said once
    finally:
        monkeypatch.delenv("AECORE_STORE_QUOTA_MB")
        persist.store.clear()
