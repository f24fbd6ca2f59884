"""Streamlit helpers shared by app.py and the pages: session state access, cached data, image display.

Session-state keys (the only ones the app uses across pages; widget keys are listed in app.py):
- "run":          aecore.train.Run | None, the current model, trained here or loaded. Per session, never cached.
- "job":          aecore.jobs.Job | None, the background training job of this session.
- "upload_data":  aecore.data.Dataset | None, the dataset the user uploaded in the sidebar.
- "upload_error": str | None, why the last upload was refused (shown beside the uploader).
- "lesson":       str, the applied lesson preset's name ("" for none); a sidebar widget (see lesson_ui).
- "presenter":    bool, presenter view (larger text and images, advanced settings hidden); a sidebar widget.
- "lesson_page":  str, the page a just-applied lesson opens; set by its callback, consumed by lesson_page_ui.
- "link_read":    True once this session has read its settings from the URL (read_link).
- "demo_offered": True once this session was given the default demo model (offer_demo), so Reset really forgets it.
- "export_files": (key, [aecore.export.Download]) the Export section's files for the current model state.
- "frame_rerun":  True once ensure_frame has rerun this session inside app.py's frame.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import streamlit as st
import torch
from streamlit.errors import StreamlitAPIException

from aecore import export, share
from aecore.checkpoint import FILES, runs_from_files
from aecore.config import ModelConfig, TrainConfig
from aecore.data import DATASETS, DataError, Dataset, load_dataset
from aecore.imaging import png_bytes, to_grid
from aecore.presets import Preset, apply_preset, bundled_demos, load_presets
from aecore.train import Run

UPLOAD = "upload"   # the dataset choice meaning "the file I uploaded"


@dataclass(frozen=True)
class Settings:
    """Everything the sidebar decides: which data, which model, how to train it."""

    dataset: str
    variant: str
    model: ModelConfig
    train: TrainConfig


GROUP_POLL_S = 1.0   # progress refresh of an application page's models while they train


def data_key(data: Dataset) -> tuple:
    """What tells two datasets apart for an application page's results (an upload's digest is in `source`)."""
    return (data.name, data.source, len(data.x_train), len(data.x_test))


@st.fragment(run_every=GROUP_POLL_S)
def group_progress_ui(key: str) -> None:
    """The training bar of an application page's models (session state `key`); when done, rerun the page."""
    group = st.session_state.get(key)
    if group is None:
        return
    p = group.progress()
    if p.finished:
        st.rerun()
    st.progress(p.fraction, text=p.summary)


def usable_current(data: Dataset) -> Run | None:
    """The current model when an application page can use it on `data`: trained on this data, not
    conditional, and not training now."""
    run, job = current_run(), st.session_state.get("job")
    if run is None or run.model_config.conditional or (job is not None and job.run is run and job.active):
        return None
    own = data_for_run(run)
    return run if own is not None and data_key(own) == data_key(data) else None


def finished_group(key: str, data: Dataset, hint: str, button: str):
    """An application page's trained models (an aecore.apps.training.Group) when there are results to draw;
    otherwise None, with what the page shows instead: the hint, the training bar, or why training failed."""
    group = st.session_state.get(key)
    if group is None or group.params["data_key"] != data_key(data):
        st.info(hint)
        return None
    if not group.finished:
        group_progress_ui(key)
        return None
    if not group.complete:
        st.error("Training did not finish, so there are no results to show. " + " ".join(group.progress().errors)
                 + f" Press **{button}** to start again.")
        return None
    return group


def default_epochs(data: Dataset, large: int) -> int:
    """An application page's default epochs: `large` on a full dataset, 20 on a small one (<= 10,000 samples,
    such as the embedded 5k digits). Measured there: with 3 epochs the denoising AE lost to the median filter
    (12.1 dB vs 14.1) and the compression AE to PCA at every size; with 20 it wins (16.2 dB; at 2 and 8 numbers)
    and trains in about 10 s."""
    return 20 if len(data.x_train) <= 10_000 else large


def ensure_frame() -> None:
    """Each page's first call: run it inside app.py's frame (sidebar, navigation), never alone.

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


@st.cache_resource(show_spinner="Loading dataset…", max_entries=4)
def load_builtin(name: str) -> Dataset:
    """Built-in datasets are read-only and shared by every session: load each once per server."""
    return load_dataset(name)


def current_data() -> Dataset | None:
    """The dataset chosen in the sidebar, or None (with the reason on screen) when it cannot be loaded."""
    name = st.session_state.get("dataset", "mnist")
    if name == UPLOAD:
        return st.session_state.get("upload_data")
    try:
        return load_builtin(name)
    except DataError as err:
        st.error(str(err))
        return None


def current_run() -> Run | None:
    return st.session_state.get("run")


def data_for_run(run: Run) -> Dataset | None:
    """The dataset a model was trained on, when it is here: a built-in by name, or the matching upload."""
    upload = st.session_state.get("upload_data")
    if upload is not None and upload.name == run.data_info.name and upload.shape == run.data_info.shape:
        return upload
    if run.data_info.name in DATASETS:
        try:
            data = load_builtin(run.data_info.name)
        except DataError:
            return None
        return data if data.shape == run.data_info.shape else None
    return None


def settings_from_state(kind: str) -> Settings:
    """Turn the sidebar's widget values into configs (raises ValueError with a readable message)."""
    variant, model, train = share.configs(sidebar_settings(), kind)   # one conversion for sidebar, presets, links
    return Settings(st.session_state.get("dataset", "mnist"), variant, model, train)


def sidebar_settings() -> dict:
    """The sidebar's values that are in session state, by widget key (see aecore.share.SETTINGS)."""
    return {k: st.session_state[k] for k in share.SETTINGS if k in st.session_state}


def show_images(x: torch.Tensor, value_range: tuple[float, float], ncols: int | None = None,
                caption: str | None = None, scale: int = 3) -> None:
    """A batch of images as one crisp grid (nearest-neighbour upscaling keeps pixels visible)."""
    st.image(png_bytes(to_grid(x, ncols, value_range=value_range), scale=image_scale(scale)), caption=caption)


def image_scale(scale: int) -> int:
    """Pixels per data pixel: `scale`, or PRESENTER_SCALE times it in presenter view (for a projector)."""
    return scale * PRESENTER_SCALE if st.session_state.get("presenter") else scale


STATUS_EVERY_S = 5.0   # the sidebar's training line: a heartbeat for the job (see aecore.jobs.HEARTBEAT_S)


@st.fragment(run_every=STATUS_EVERY_S)
def training_status_ui() -> None:
    """A line in the sidebar while this session's job trains: progress on every page, and the poll that
    tells the job someone is still watching (it stops itself when nobody polls, e.g. a closed tab).
    app.py calls it only while a job is active, so no timer runs otherwise."""
    job = st.session_state.get("job")
    if job is None:
        return
    progress = job.poll(since=None)
    label = "Training" if progress.active else f"Training {progress.status}"
    st.progress(progress.fraction, text=f"{label}: {progress.summary}")


def model_banner() -> None:
    """One line naming the current model, its data and its test loss, at the top of every page."""
    run = current_run()
    if run is None:
        st.caption("No model yet: train one on the **Train** page or load one on **Models**.")
        return
    loss = f"{run.test_loss:.2f}" if run.test_loss is not None else "not evaluated yet"
    demo = " · a pretrained demo: train your own on **Train**" if is_demo(run) else ""
    st.caption(f"Current model: **{run.variant}** · bottleneck {run.model_config.latent_dim} · "
               f"{run.data_info.title} · test loss {loss} · {run.epoch} epochs{demo}")



# --- Lecture mode: lesson presets, shareable links, presenter view, bundled demos, exports -----------------------

ASSETS = Path(__file__).resolve().parent / "assets"
DEFAULT_DEMO = "vae-mnist-2d"          # a VAE with a 2-D code: Latent space and Generate have something to show
DEMO_PAGES = ("latent", "generate")    # url paths of the pages that give a session without a model the demo
NO_LESSON = ""
PRESENTER_SCALE = 2
# Streamlit sizes text in rem, so one root font size scales the whole page for a projector. Images keep their
# pixels square when the browser enlarges them. Plotly sets its text sizes inline, in px: the rules below
# enlarge axis and legend text only, which fits in the margins plotly already left.
PRESENTER_CSS = """<style>
html { font-size: 22px; }
[data-testid="stSidebar"] { min-width: 20rem; }
.st-key-sidebar_advanced { display: none; }
[data-testid="stMainBlockContainer"] { padding-top: 4.5rem; }
[data-testid="stImage"] img { image-rendering: pixelated; }
.js-plotly-plot .xtick text, .js-plotly-plot .ytick text { font-size: 15px !important; }
.js-plotly-plot .g-xtitle text, .js-plotly-plot .g-ytitle text, .js-plotly-plot .legendtext { font-size: 17px !important; }
</style>"""


@st.cache_resource(max_entries=1, show_spinner=False)
def lesson_presets() -> dict[str, Preset]:
    """The lesson presets in assets/presets, checked once per server (read-only, shared by every session)."""
    return load_presets(ASSETS / "presets", bundled_demos(ASSETS / "demos"))


@st.cache_resource(max_entries=8, show_spinner=False)
def demo_files(name: str) -> dict[str, bytes]:
    """A bundled demo's files as bytes: immutable, so shared by every session; each session builds its own Run."""
    folder = ASSETS / "demos" / name
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.name in FILES}


def load_demo(name: str) -> Run:
    """A fresh Run of a bundled demo, this session's own (milliseconds: the demos are tiny)."""
    return runs_from_files(demo_files(name))


def is_demo(run: Run) -> bool:
    return run.id.startswith("demo-")


def offer_demo(page_url_path: str) -> None:
    """On Latent space or Generate, give a session that has no model the default demo, once per session."""
    if page_url_path in DEMO_PAGES and not st.session_state.get("demo_offered"):
        st.session_state.demo_offered = True
        if st.session_state.get("run") is None:
            st.session_state.run = load_demo(DEFAULT_DEMO)


def use_demo(name: str) -> None:
    """Make a bundled demo the current model (a lesson that needs one), stopping this session's training."""
    job = st.session_state.get("job")
    if job is not None and job.active:
        job.stop()
    st.session_state.run = load_demo(name)
    st.session_state.demo_offered = True


def read_link() -> None:
    """Once per session, before the sidebar is drawn: the URL's lesson and settings become widget state.

    A link's settings are applied over its lesson's (so `?lesson=denoising` alone sets the lesson up); bad
    or unknown values are ignored by aecore.share, and the widgets keep their defaults.
    """
    if st.session_state.get("link_read"):
        return
    st.session_state.link_read = True
    params = st.query_params.to_dict()
    presets = lesson_presets()
    state = {}
    lesson = share.lesson_from_query(params)
    if lesson in presets:
        st.session_state.lesson = lesson
        state = apply_preset(presets[lesson])
        if presets[lesson].demo and st.session_state.get("run") is None:
            use_demo(presets[lesson].demo)
    state.update(share.from_query(params))
    for key, value in state.items():
        st.session_state[key] = value


def write_link() -> dict[str, str]:
    """Keep the URL's query string in step with the sidebar, so the address bar is always a shareable link."""
    preset = lesson_presets().get(st.session_state.get("lesson", NO_LESSON))
    params = share.to_query(sidebar_settings(), preset and preset.name, preset and preset.settings)
    if st.query_params.to_dict() != params:
        st.query_params.from_dict(params)
    return params


def share_link_ui(params: dict[str, str]) -> None:
    """The link to this page with these settings, in a code box (it has a copy button)."""
    st.sidebar.caption("Link to this setup (copy it with the icon on the right)")
    st.sidebar.code((st.context.url or "") + share.query_string(params), language=None, wrap_lines=True)


def apply_lesson() -> None:
    """Callback of the lesson picker (it runs before the widgets are drawn, so it may set their values)."""
    preset = lesson_presets().get(st.session_state.get("lesson", NO_LESSON))
    if preset is None:
        return
    for key, value in apply_preset(preset).items():
        st.session_state[key] = value
    st.session_state.lesson = preset.name   # set through the API too, so switching page keeps it
    if preset.demo:
        use_demo(preset.demo)
    st.session_state.lesson_page = preset.page


def lesson_ui() -> None:
    """The sidebar's lesson picker: choosing a lesson applies it; the button re-applies it after changes."""
    presets = lesson_presets()
    if st.session_state.get("lesson") not in (NO_LESSON, *presets):
        st.session_state.lesson = NO_LESSON
    st.sidebar.selectbox(
        "Lesson preset", [NO_LESSON, *presets], key="lesson", on_change=apply_lesson,
        format_func=lambda n: "None: explore freely" if n == NO_LESSON else presets[n].title,
        help="One click sets up a teaching scenario: the sidebar's settings, the page to open, and a pretrained "
             "model where the lesson needs one. Its explanation appears above the page.")
    if st.session_state.get("lesson"):
        st.sidebar.button("Reset the lesson's settings", key="lesson_reapply", on_click=apply_lesson,
                          icon=":material/restart_alt:", help="Undo the changes made to the sidebar since the lesson was applied.")


def lesson_page_ui() -> None:
    """After st.navigation: open the page a just-applied lesson names (once)."""
    page = st.session_state.pop("lesson_page", None)
    if page is None:
        return
    try:
        st.switch_page(page, query_params=write_link())
    except StreamlitAPIException:   # a lesson naming a page this app does not list: stay here
        st.sidebar.warning(f"This lesson opens {page}, which this version of the app does not have.")


def lesson_card_ui() -> None:
    """The applied lesson's title and explanation, above the page, where the class looks."""
    preset = lesson_presets().get(st.session_state.get("lesson", NO_LESSON))
    if preset is not None:
        st.info(f"**Lesson: {preset.title}.** {preset.explanation}", icon=":material/school:")


def presenter_ui() -> bool:
    """The presenter-view toggle; when on, injects the projector CSS. Returns whether it is on."""
    on = st.sidebar.toggle("Presenter view", key="presenter",
                           help="For a projector: larger text and images, and the advanced settings hidden "
                                "(they keep their values).")
    if on:
        st.html(PRESENTER_CSS)
    return on


def chart_config(name: str) -> dict:
    """st.plotly_chart(config=...) for a chart worth keeping: its camera icon saves a large PNG named `name`."""
    return export.chart_config(name, scale=4 if st.session_state.get("presenter") else 3)


def export_ui(run: Run | None = None, data: Dataset | None = None) -> None:
    """A small "Export" section: loss history and latent codes (CSV), reconstructions and samples (PNG).

    The files are made once per model state (run id and step) and kept in this session only; nothing is offered
    while the model is training.
    """
    run = run if run is not None else current_run()
    if run is None:
        return
    job = st.session_state.get("job")
    if job is not None and job.active and job.run is run:   # its weights change under us while it trains
        return
    data = data if data is not None else data_for_run(run)
    key = (run.id, id(run), run.step, None if data is None else (data.name, len(data.x_test)))
    cached = st.session_state.get("export_files")
    if cached is None or cached[0] != key:
        cached = st.session_state.export_files = (key, export.run_downloads(run, data))
    with st.expander("Export", icon=":material/download:"):
        cols = st.columns(len(cached[1]))
        for col, d in zip(cols, cached[1]):
            col.download_button(d.label, d.data, d.file_name, d.mime, key=f"export_{d.file_name.rsplit('-', 1)[-1]}",
                                on_click="ignore", icon=":material/download:")
        st.caption("Charts: the camera icon above each chart saves it as a PNG.")
