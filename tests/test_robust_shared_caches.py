"""No student changes what another sees (issue 18, gap 1): the caches every session shares are keyed by the model
state's content, and a loaded model gets a run id of its own.

The repro: the bundled demo VAE with its decoder negated, uploaded on Models (same run id, step and bottleneck as
the demo), opened on Latent space and Generate; then another session opens the real demo on the same pages. Each
shared result that session is served (codes, atlas points, KL, the browser decoder) must be the real demo's.
"""
from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from page_helpers import altered_demo, demo_files, frame_asks, negated_decoder_zip, seed_workspace, ws
from streamlit.testing.v1 import AppTest

from aecore.data import Dataset
from aecore.runs.checkpoint import runs_from_files
from aecore.views.codes import encode_dataset
from aecore.views.decoder_export import export_decoder
from aecore.views.explore import encode_split
from aecore.views.timelapse import Frame, Timelapse

ROOT = Path(__file__).resolve().parents[1]
PAGES = {name: str(ROOT / "pages" / f"{name}.py") for name in ("models", "latent", "generate")}


@pytest.fixture(scope="module")
def digits(embedded_mnist) -> Dataset:
    """A few hundred real digits under the demo's dataset name, so the pages use them as the demo's data."""
    d = embedded_mnist
    return Dataset("mnist", d.title, d.x_train[:400], d.y_train[:400], d.x_test[:100], d.y_test[:100], d.kind,
                   d.label_names, d.value_range, "test:embedded-subset")


@pytest.fixture(autouse=True)
def empty_caches():
    from face import caches
    for cached in (caches._encoded, caches._points, caches.projection, caches.browser_decoder):
        cached.clear()


def session(page: str, run, data: Dataset) -> AppTest:
    at = AppTest.from_file(PAGES[page], default_timeout=60)
    at.session_state["dataset"] = "upload"
    seed_workspace(at, run, data)
    return at.run()


def upload_on_models(data: Dataset, name: str, blob: bytes):
    """Session A loads the file on the Models page, as a student does; returns the run it now holds."""
    at = session("models", None, data)
    at.file_uploader(key="model_upload").set_value((name, blob, "application/zip"))
    at.run()
    assert not at.exception and f"Loaded {name}" in at.success[0].value
    return ws(at).run


def component(at: AppTest, key: str) -> dict:
    """A custom component's JSON arguments and the bytes sent with them, by name."""
    for el in at.get("component_instance"):
        args = json.loads(el.proto.json_args)
        if args.get("key") == key:
            return {**args, **{a.key: a.bytes for a in el.proto.special_args}}
    raise AssertionError(f"no component {key}")


def served(at: AppTest, sliders: str) -> dict:
    """What a page drew from the shared caches: the browser decoder, and on Latent space the atlas and the KL."""
    out = {}
    if sliders == "latent_sliders":
        out["coords"] = np.frombuffer(component(at, "latent_atlas")["data_coords"], "<f4").reshape(-1, 2)
        at = frame_asks(at)   # the sliders and the KL chart come once the atlas' frame has drawn its points
        charts = [json.loads(el.proto.spec) for el in at.get("plotly_chart")]
        out["kl"] = next(plotly_array(c["data"][0]["y"]) for c in charts if c["data"][0]["type"] == "bar")
    return {**out, "decoder": component(at, sliders)["data_weights"], "spec": component(at, sliders)["decoder"]}


def plotly_array(values) -> np.ndarray:
    """A plotly figure's array: a list, or {"dtype", "bdata"} (base64 bytes) as plotly 6 writes numpy arrays."""
    if isinstance(values, dict):
        return np.frombuffer(base64.b64decode(values["bdata"]), values["dtype"])
    return np.asarray(values, float)


def truth(run, data: Dataset) -> dict:
    """The same results computed from the model itself, with no cache."""
    exported = export_decoder(run.model)
    return {"decoder": exported.weights, "spec": exported.spec, "coords": encode_dataset(run.model, data, "all").codes,
            "kl": encode_split(run.model, data.x_test, data.y_test).kl}


def assert_serves(at: AppTest, sliders: str, expected: dict) -> None:
    got = served(at, sliders)
    assert got["decoder"] == expected["decoder"], "the browser decoder is this model's"
    assert got["spec"] == json.loads(json.dumps(expected["spec"]))
    if "coords" in got:
        np.testing.assert_allclose(got["coords"], expected["coords"], rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(got["kl"], expected["kl"], rtol=1e-5, atol=1e-6)


@pytest.mark.slow
@pytest.mark.parametrize("same_id", [False, True], ids=["uploaded", "even-under-the-demos-id"])
def test_an_altered_demo_never_reaches_another_session(digits, same_id):
    """`same_id`: the altered model keeps the demo's id (as a model restored or followed from a store could): the
    caches must still tell them apart by content, not by id."""
    altered = upload_on_models(digits, "vae-mnist-2d.zip", negated_decoder_zip())
    demo = runs_from_files(demo_files())
    assert altered.id != demo.id, "a loaded model gets a run id of its own"
    assert (altered.step, altered.model_config) == (demo.step, demo.model_config)
    same_head = torch.equal(altered.model.head.weight, demo.model.head.weight)
    assert same_head, "the same bottleneck: only the decoder differs"
    if same_id:
        altered.id = demo.id
    fake, real = truth(altered, digits), truth(demo, digits)
    assert fake["decoder"] != real["decoder"]

    for page, sliders in (("latent", "latent_sliders"), ("generate", "gen_sliders")):
        a = session(page, altered, digits)     # the student with the altered model opens the page first
        assert not a.exception
        assert_serves(a, sliders, fake)
        b = session(page, demo, digits)        # then another student, with the real demo
        assert not b.exception
        assert_serves(b, sliders, real)


@pytest.mark.slow
def test_the_same_demo_is_shared_by_every_session(digits, monkeypatch):
    """Equal content shares: a second session's own copy of the demo is served what the first one's filled."""
    from face import caches
    encodes = []
    real_encode = caches.encode_dataset
    monkeypatch.setattr(caches, "encode_dataset", lambda *a: encodes.append(1) or real_encode(*a))
    first, second = runs_from_files(demo_files()), runs_from_files(demo_files())
    a = session("latent", first, digits)
    b = session("latent", second, digits)
    assert not a.exception and not b.exception
    assert ws(a).view_model().fingerprint == ws(b).view_model().fingerprint
    assert len(encodes) == 1, "every sample encoded once for both sessions"
    assert_serves(b, "latent_sliders", truth(second, digits))


# --- the other keys: application results, the time-lapse, what is saved for a reload --------------------------------
def test_application_results_are_keyed_by_content_not_by_run_id():
    from face.experiment import Outcome
    demo, altered, again = runs_from_files(demo_files()), altered_demo(), runs_from_files(demo_files())
    assert (altered.id, altered.step) == (demo.id, demo.step)
    key = lambda run: Outcome(None, {"current model": run}).key  # noqa: E731
    assert key(altered) != key(demo)
    assert key(again) == key(demo), "the same model shares its results"


def timelapse_of(coords: list[np.ndarray]) -> Timelapse:
    n = len(coords[0])
    frames = [Frame(100 * (i + 1), i + 1.0, c.astype(np.float32)) for i, c in enumerate(coords)]
    return Timelapse(np.arange(n), np.arange(n) % 3, "direct", n, frames)


def test_time_lapse_pictures_are_keyed_by_their_frames_not_by_run_id_and_steps():
    """Two sessions that both go on training the demo record frames at the same steps under the same run id."""
    from face.timelapse import content_key
    g = np.random.default_rng(0)
    coords = [g.normal(size=(50, 2)) for _ in range(3)]
    mine, theirs, same = timelapse_of(coords), timelapse_of([-c for c in coords]), timelapse_of(coords)
    assert [f.step for f in mine.frames] == [f.step for f in theirs.frames]
    key = lambda tl: content_key(tl, tuple(tl.frames))  # noqa: E731
    assert key(mine) != key(theirs)
    assert key(mine) == key(same)
    assert key(mine) != content_key(mine, tuple(mine.frames[:2])), "a new frame, a new key"


@pytest.mark.slow
def test_the_time_lapse_another_session_sees_is_its_own(digits):
    """The time-lapse picture is a PNG in Streamlit's media store, named by its bytes' hash."""
    pictures = []
    for sign in (1, -1):
        run = runs_from_files(demo_files())       # both under the demo's id, with frames at the same steps
        g = np.random.default_rng(1)
        run.timelapse = timelapse_of([sign * g.normal(size=(len(digits.x_test), 2)) for _ in range(2)])
        at = frame_asks(session("latent", run, digits))   # the time-lapse follows the atlas' first drawing
        assert not at.exception
        pictures += [im.proto.imgs[0].url for im in at.get("image") if "coloured by label" in im.proto.imgs[0].caption]
    assert len(pictures) == 2 and pictures[0] != pictures[1], "each session's own frames"


def test_a_loaded_model_is_saved_for_a_reload_under_its_own_id():
    """A file loaded on Models is this student's model: saved under their token with its new id, even when its
    config.json says it is the bundled demo (demos are not saved: they come back by themselves)."""
    from aecore.runs.store import WorkspaceStore, new_token

    def script():
        import streamlit as st

        from aecore.runs.checkpoint import load_run_bytes
        from face import checkpoints, persist
        if "loaded" not in st.session_state:
            st.session_state.loaded = True
            checkpoints._load(lambda: load_run_bytes(st.session_state.blob, "demo.zip"), "demo.zip")
        persist.save()

    token = new_token()
    at = AppTest.from_function(script, default_timeout=30)
    seed_workspace(at).persistence.token, at.session_state["blob"] = token, negated_decoder_zip()
    at.run()
    assert not at.exception
    mine = ws(at).run
    saved = WorkspaceStore().load(token)
    assert saved is not None and saved.run is not None, "kept for a reload"
    assert saved.run.id == mine.id != "demo-vae-mnist-2d"
    assert all(torch.equal(saved.run.model.state_dict()[k], v) for k, v in mine.model.state_dict().items())


def test_every_session_gets_a_demo_of_its_own():
    """The demo is read once per server, and each session is handed a copy (face.lecture.load_demo): what one
    session's training does to its weights, optimizer, history or time-lapse, no other session's demo sees."""
    from face import lecture
    first, second = lecture.load_demo(lecture.DEFAULT_DEMO), lecture.load_demo(lecture.DEFAULT_DEMO)
    before = {k: v.clone() for k, v in second.model.state_dict().items()}
    assert first.model is not second.model and first.history is not second.history
    with torch.no_grad():
        for p in first.model.parameters():
            p.add_(1.0)
    first.model.train()
    loss = sum(p.sum() for p in first.model.parameters())
    loss.backward()
    first.optimizer.step()
    first.history.append(first.history[-1])
    first.test_history[-1]["loss"] = -1.0
    for run in (second, lecture.load_demo(lecture.DEFAULT_DEMO)):
        assert all(torch.equal(before[k], v) for k, v in run.model.state_dict().items()), "weights unchanged"
        assert not run.optimizer.state, "no optimizer steps taken"
        assert len(run.history) == len(second.history) and run.test_history[-1]["loss"] > 0
    fresh = runs_from_files(demo_files())
    assert all(torch.equal(before[k], v) for k, v in fresh.model.state_dict().items()), "the files' weights"
