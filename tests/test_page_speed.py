"""Issue 19's mechanisms (timings live in scripts/bench_pages.py): a warm view of Latent space recomputes nothing
that did not change, in this session or a new one; its big payloads are sent once per session; the export files
are made once per model state for every session; the server's warm-up fills the caches the demo's page reads."""
from __future__ import annotations

import time
from collections import Counter

import pytest
from helpers import ROOT, trained_run
from page_helpers import LATENT_PAGE as PAGE
from page_helpers import component, seed_workspace
from streamlit.testing.v1 import AppTest

GENERATE_PAGE = str(ROOT / "pages" / "generate.py")
IMPUTATION_PAGE = str(ROOT / "pages" / "imputation.py")
WORK = {   # module -> the names of the expensive calls a warm view must not make again
    "face.caches": ("encode_dataset", "dataset_atlas", "project", "export_decoder"),
    "aecore.views.explore": ("encode_split", "manifold_grid"),
    "aecore.runs.export": ("run_downloads",),
}


@pytest.fixture()
def calls(monkeypatch):
    """How often each expensive call ran, with every cache of them emptied first."""
    import importlib

    from face import caches, export
    for cached in (caches._encoded, caches._points, caches.projection, caches._thumbs_task, caches.browser_decoder,
                   caches.manifold, export._downloads):
        cached.clear()
    counts: Counter = Counter()
    for module_name, names in WORK.items():
        module = importlib.import_module(module_name)
        for name in names:
            real = getattr(module, name)

            def counted(*args, _real=real, _name=name, **kwargs):
                counts[_name] += 1
                return _real(*args, **kwargs)
            monkeypatch.setattr(module, name, counted)
    return counts


@pytest.fixture(scope="module")
def vae2():
    return trained_run("vae", latent_dim=2)


def latent_page(run, data, page: str = PAGE) -> AppTest:
    at = AppTest.from_file(page, default_timeout=60)
    at.session_state["dataset"] = "upload"
    seed_workspace(at, run, data)
    return at.run()


def export_script():
    from face.export import export_ui
    export_ui()


def test_a_warm_view_recomputes_nothing(vae2, calls):
    run, data = vae2
    first = latent_page(run, data)
    assert not first.exception
    assert calls["encode_dataset"] == 1 and calls["dataset_atlas"] == 1 and calls["export_decoder"] == 1
    done = dict(calls)
    first.run()                        # a rerun of the same session
    second = latent_page(run, data)    # another session (a reload) on the same model state
    assert not second.exception
    assert dict(calls) == done, "a warm view encoded, packed, projected or exported again"


def test_a_warm_view_of_generate_decodes_its_grid_once(calls):
    """Generate's manifold grid (15 x 15 decodes) is kept per model state and choice: a rerun, or another session on
    the same model, draws it without decoding again; another grid size decodes once more."""
    run, data = trained_run("vae", latent_dim=2)
    at = latent_page(run, data, GENERATE_PAGE)
    assert not at.exception and calls["manifold_grid"] == 1
    at.run()
    again = latent_page(run, data, GENERATE_PAGE)
    assert not again.exception and calls["manifold_grid"] == 1, "a warm view decoded the grid again"
    at.slider(key="gen_grid_n").set_value(5).run()
    assert not at.exception and calls["manifold_grid"] == 2


def test_a_warm_view_of_imputation_fills_in_once(vae2, monkeypatch):
    """Imputation's fill (11 reconstructions of 2,000 test samples) is kept per model, data and mask settings: a
    rerun or another session fills nothing again; another mask fills once more."""
    from aecore.apps import impute
    from face import experiment
    experiment._evaluated.clear()
    fills, real = [], impute.impute
    monkeypatch.setattr(impute, "impute", lambda *a, **k: fills.append(1) or real(*a, **k))
    run, data = vae2
    at = latent_page(run, data, IMPUTATION_PAGE)
    assert not at.exception and len(fills) == 1 and at.metric
    at.run()
    again = latent_page(run, data, IMPUTATION_PAGE)
    assert not again.exception and len(fills) == 1, "a warm view filled in again"
    at.selectbox(key="impute_mask").set_value("block").run()
    assert not at.exception and len(fills) == 2


def test_the_points_do_not_wait_for_their_pictures(vae2, calls, monkeypatch):
    """While the hover pictures of many points are packed, the atlas draws its points without them; once packed,
    a run sends them, and the points are not sent again."""
    import threading

    from face import caches
    monkeypatch.setattr(caches, "WAIT_FOR_PICTURES", 0)   # the tiny data counts as many points
    release, real = threading.Event(), caches.pack_thumbs
    monkeypatch.setattr(caches, "pack_thumbs", lambda data, split: release.wait(30) and real(data, split))
    run, data = vae2
    at = latent_page(run, data)
    first = component(at, "latent_atlas")
    assert not at.exception and "data_coords" in first and first["thumbs"] is None
    release.set()
    caches.thumbs_task(caches.data_key(data), "all", data).wait(30)
    at.run()
    again = component(at, "latent_atlas")
    assert again["thumbs"]["count"] == len(data.x_train) + len(data.x_test) and "data_coords" not in again


def test_big_payloads_go_once_per_session(vae2, calls):
    run, data = vae2
    at = latent_page(run, data)
    assert "data_coords" in component(at, "latent_atlas"), "the first view sends the points"
    at.run()
    assert "data_coords" not in component(at, "latent_atlas"), "a rerun sends them again"
    other = latent_page(run, data)
    assert "data_coords" in component(other, "latent_atlas"), "a new session (a new frame) gets them"


def test_export_files_are_made_once_for_every_session(vae2, calls):
    run, data = vae2
    for _ in range(2):   # two sessions showing the same model state
        at = AppTest.from_function(export_script, default_timeout=30)
        seed_workspace(at, run, data)
        at.run()
        assert not at.exception and len(at.get("download_button")) == 4
    assert calls["run_downloads"] == 1


def warm_up_script():
    from face import warmup
    started = warmup.start()
    started.demo.join(300)
    started.torch.join(300)


def demo_page_script():
    """What the Latent space page asks the caches for the bundled demo on the default dataset."""
    from aecore.fingerprint import current
    from face import caches, lecture
    from face.datasets import data_key, load_builtin
    from face.workspace import ViewModel
    data = load_builtin("mnist")
    run = lecture.load_demo(lecture.DEFAULT_DEMO)
    caches.atlas_points(ViewModel(run.model.eval(), run.step, False, current(run)), data)
    assert caches.thumbs(data_key(data), "all", data) is not None


@pytest.mark.slow   # loads MNIST (the 5k offline digits here, or all of it) and encodes it
def test_the_servers_warm_up_prepares_the_demos_latent_space(calls):
    from face import warmup
    warmup.start.clear()
    at = AppTest.from_function(warm_up_script, default_timeout=300).run()
    assert not at.exception
    assert calls["encode_dataset"] == 1 and calls["dataset_atlas"] == 1, "the warm-up encoded and packed the demo"
    page = AppTest.from_function(demo_page_script, default_timeout=60).run()
    assert not page.exception
    assert calls["encode_dataset"] == 1 and calls["dataset_atlas"] == 1, "the page found them ready"


def test_umap_is_prepared_in_the_background_after_the_first_page_not_before_it(monkeypatch):
    """umap's import took 4.4 s of a fresh server's first page (in the script thread, before the page ran): it now
    starts after the page has run, in a thread of its own, under the lock every UMAP takes."""
    import threading

    from aecore.views import umapx
    from face import caches, warmup
    calls, gate, lock = [], threading.Event(), threading.Lock()
    monkeypatch.setattr(umapx, "import_umap", lambda: (calls.append("import"), gate.wait(10)))
    monkeypatch.setattr(umapx, "warm_up_umap", lambda background=True: calls.append(("kernels", background)))
    monkeypatch.setattr(warmup, "_umap_once", threading.Lock())
    monkeypatch.setattr(caches, "umap_lock", lambda: lock)
    t0 = time.monotonic()
    thread = warmup.after_first_page()
    assert time.monotonic() - t0 < 0.5, "the page does not wait for umap"
    assert warmup.after_first_page() is None, "once per server"
    deadline = time.monotonic() + 5
    while calls != ["import"] and time.monotonic() < deadline:
        time.sleep(0.01)
    assert calls == ["import"] and lock.locked(), "a UMAP asked for meanwhile waits for the import"
    gate.set()
    thread.join(10)
    assert calls == ["import", ("kernels", False)] and not lock.locked()
    app = (ROOT / "app.py").read_text()
    assert app.index("page.run()") < app.index("warmup.after_first_page()"), "after the page, not before it"


def test_classifier_fits_report_progress_weighted_by_their_labels():
    from aecore.apps import features
    run, data = trained_run("vanilla", latent_dim=4, epochs=1)
    sets = features.feature_sets(run.model, data.x_train, data.x_test)
    seen = []
    rows = features.accuracy_rows(sets, data.y_train, data.y_test, budgets=(30, None),
                                  progress=lambda f, what: seen.append((f, what)))
    assert len(seen) == len(rows) == 2 * 3 * 2 and [f for f, _ in seen] == sorted(f for f, _ in seen)
    assert seen[0][0] == 0.0 and seen[-1][0] < 1.0 and "labels" in seen[-1][1]
    small = seen[len(seen) // 2][0]   # the 30-label fits weigh little against those on every label
    assert small < 30 / len(data.x_train)


def test_a_long_measuring_shows_a_bar_then_its_results(monkeypatch):
    """Features on more than BACKGROUND_SAMPLES samples (full MNIST) measures in the background, with a bar that
    says what runs and the time left, instead of a bare spinner; then the page shows the results."""
    from helpers import make_images
    from page_helpers import APP

    from face import experiment
    from face.session import seed
    from face.workspace import Upload, Workspace
    monkeypatch.setattr(experiment, "BACKGROUND_SAMPLES", 0)   # the tiny data counts as big
    data = make_images()
    run, _ = trained_run("vanilla", latent_dim=4, epochs=1)
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["dataset"] = "upload"
    seed(at, Workspace(run=run, upload=Upload(data=data)))
    at.session_state["features_budgets"] = ["100"]
    at.switch_page("pages/features.py")
    at.run()
    at = [b for b in at.button if b.label == "Compare features"][0].click().run()
    assert not at.exception and not at.dataframe, "no results yet: they are measured in the background"
    bars = at.get("progress")
    assert bars and "Training the classifiers" in bars[0].proto.text
    for _ in range(120):   # as the bar's fragment does: rerun until the measuring is done
        if at.dataframe:
            break
        time.sleep(0.5)
        at.run()
    assert not at.exception and len(at.dataframe[0].value) == 3 * 2


def after_the_atlas(at: AppTest) -> set[str]:
    """Which parts of Latent space below the atlas this run drew."""
    texts = " ".join(e.value for e in [*at.subheader, *at.caption])
    parts = {"sliders": component(at, "latent_sliders") is not None, "KL chart": bool(at.get("plotly_chart")),
             "time-lapse": "How the space formed" in texts, "KL text": "dimensions carry information" in texts}
    return {name for name, there in parts.items() if there}


def test_a_sessions_first_atlas_is_drawn_before_the_rest_of_its_page(vae2, calls):
    """What follows the atlas shared the browser's one thread with its first drawing (plotly's code alone held it
    back from 8.6 s to 20.4 s in chromium): in a session's first view the page stops after the atlas, and once the
    frame has drawn its points and asks for the rest, the page has all of it, and from then on at once."""
    from page_helpers import frame_asks
    run, data = vae2
    at = latent_page(run, data)
    assert not at.exception and component(at, "latent_atlas") is not None
    assert after_the_atlas(at) == set(), "nothing below the atlas yet"
    at = frame_asks(at)
    assert not at.exception and after_the_atlas(at) == {"sliders", "KL chart", "time-lapse", "KL text"}
    assert after_the_atlas(at.run()) == {"sliders", "KL chart", "time-lapse", "KL text"}, "and on every later run"




@pytest.mark.slow   # the whole app in AppTest
@pytest.mark.parametrize("drawn", [False, True])
def test_the_sidebar_comes_after_the_page_and_after_a_first_atlas(drawn):
    """app.py draws the sidebar's widgets after the page, so its main content is sent first; a session's first
    atlas holds them back a run (their code, fetched from this server, held the points back); once its frame has
    drawn the points, Latent space has them in the same run, as every other page always does."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    assert at.title[0].value == "Train" and at.sidebar.selectbox(key="dataset").value == "mnist"
    if drawn:
        at.session_state["latent_atlas"] = {"need": [], "nonce": "drawn"}   # its frame has drawn the points
    at.switch_page("pages/latent.py").run()
    assert not at.exception and at.title[0].value == "Latent space" and component(at, "latent_atlas") is not None
    settings = {s.key: s.value for s in at.sidebar.selectbox}
    assert settings == ({"lesson": "", "dataset": "mnist", "variant": "vae"} if drawn else {})
