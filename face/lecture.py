"""Lecture mode: lesson presets, shareable links, presenter view and the bundled demos.

Besides the widgets "lesson" and "presenter", it keeps in the Workspace: `lecture.page_to_open` (the page a
just-applied lesson opens; set by its callback, consumed by `lesson_page_ui`), `once.link_read` (this session has
read its settings from the URL), `once.demo_offered` (this session was given the default demo, so Reset really
forgets it).
"""
from __future__ import annotations

from pathlib import Path

import streamlit as st
from streamlit.errors import StreamlitAPIException

from aecore.data import DataError
from aecore.lecture import share
from aecore.lecture.presets import Preset, apply_preset, bundled_demos, load_presets
from aecore.runs.checkpoint import FILES, runs_from_files
from aecore.train import Run, copy_run

from . import follow
from .datasets import UPLOAD, load_builtin, sidebar_settings
from .session import widgets, workspace
from .widgets import presenting

ASSETS = Path(__file__).resolve().parent.parent / "assets"
DEFAULT_DEMO = "vae-mnist-2d"          # a VAE with a 2-D code: Latent space and Generate have something to show
DEMO_PAGES = ("latent", "generate")    # url paths of the pages that give a session without a model the demo
NO_LESSON = ""
# Streamlit sizes text in rem, so one root font size scales the whole page for a projector. Images keep their
# pixels square when the browser enlarges them. Plotly sets its text sizes inline, in px: the rules below
# enlarge axis and legend text only, which fits in the margins plotly already left. The page's top padding, the
# gaps between its elements and its title are smaller than Streamlit's, so a lesson's result fits on a
# 1080-pixel-high screen below them.
PRESENTER_CSS = """<style>
html { font-size: 22px; }
[data-testid="stSidebar"] { min-width: 20rem; }
.st-key-sidebar_advanced { display: none; }
[data-testid="stMainBlockContainer"] { padding-top: 2rem; padding-bottom: 3rem; }
[data-testid="stMainBlockContainer"] [data-testid="stVerticalBlock"] { gap: 0.6rem; }
[data-testid="stMain"] h1 { font-size: 2rem; padding: 0 0 0.25rem; }
[data-testid="stImage"] img { image-rendering: pixelated; }
.js-plotly-plot .xtick text, .js-plotly-plot .ytick text { font-size: 15px !important; }
.js-plotly-plot .g-xtitle text, .js-plotly-plot .g-ytitle text,
.js-plotly-plot .legendtext { font-size: 17px !important; }
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


@st.cache_resource(max_entries=8, show_spinner=False)
def _demo(name: str) -> Run:
    """A bundled demo read and checked once per server; no session gets this Run, only copies of it."""
    return runs_from_files(demo_files(name))


def load_demo(name: str) -> Run:
    """A fresh Run of a bundled demo, this session's own: a copy, 1 ms, where reading its files (checks and its
    536-step history) took 33 ms on a quiet machine and 45 ms in a new session's first run."""
    return copy_run(_demo(name))


def offer_demo(page_url_path: str) -> None:
    """On Latent space or Generate, give a session that has no model the default demo, once per session."""
    ws = workspace()
    if page_url_path in DEMO_PAGES and not ws.once.demo_offered:
        ws.once.demo_offered = True
        if ws.run is None:
            ws.adopt(load_demo(DEFAULT_DEMO))


def use_demo(name: str) -> None:
    """Make a bundled demo the current model (a lesson that needs one), stopping this session's training."""
    ws = workspace()
    ws.adopt(load_demo(name))
    ws.once.demo_offered = True


def current_lesson() -> Preset | None:
    return lesson_presets().get(widgets.get("lesson", NO_LESSON))


def read_link() -> None:
    """Once per session, before the sidebar is drawn: the URL's lesson and settings become widget state.

    A link's settings are applied over its lesson's (so `?lesson=denoising` alone sets the lesson up), and those
    over a followed model's (face.follow); bad or unknown values are ignored by aecore.lecture.share, and the widgets
    keep their defaults.
    """
    once = workspace().once
    if once.link_read:
        return
    once.link_read = True
    params = st.query_params.to_dict()
    presets = lesson_presets()
    state = follow.open_link(params)   # a lecturer's shared model, and the settings it was shared with
    lesson = share.lesson_from_query(params)
    if lesson in presets:
        widgets["lesson"] = lesson
        state = {**apply_preset(presets[lesson]), **state}
        if presets[lesson].demo and workspace().run is None:
            use_demo(presets[lesson].demo)
    state.update(share.from_query(params))
    widgets.update(state)


def write_link() -> dict[str, str]:
    """Keep the URL's query string in step with the sidebar, so the address bar is always a shareable link."""
    preset = current_lesson()
    params = share.to_query(sidebar_settings(), preset and preset.name, preset and preset.settings,
                            follow=workspace().following)
    if st.query_params.to_dict() != params:
        st.query_params.from_dict(params)
    return params


def share_link_ui(params: dict[str, str]) -> None:
    """The link to this page with these settings, in a code box (it has a copy button), behind a button: a code box
    on the page loads Streamlit's syntax highlighter (1.5 MB, 0.25 s of the browser's time on a 2-core machine) on
    every page of every visit, and held the Latent space atlas back by as much; a popover draws it when opened."""
    with st.sidebar.popover("Link to this setup", icon=":material/link:", width="stretch"):
        st.caption("This page with these settings (copy it with the icon on the right):")
        st.code((st.context.url or "") + share.query_string(params), language=None, wrap_lines=True)


def apply_lesson() -> None:
    """Callback of the lesson picker (it runs before the widgets are drawn, so it may set their values)."""
    preset = current_lesson()
    if preset is None:
        return
    widgets.update(apply_preset(preset))
    widgets["lesson"] = preset.name   # set through the API too, so switching page keeps it
    if preset.demo:
        use_demo(preset.demo)
    workspace().lecture.page_to_open = preset.page


def lesson_ui() -> None:
    """The sidebar's lesson picker: choosing a lesson applies it; the button re-applies it after changes."""
    presets = lesson_presets()
    if widgets.get("lesson") not in (NO_LESSON, *presets):
        widgets["lesson"] = NO_LESSON
    st.sidebar.selectbox(
        "Lesson preset", [NO_LESSON, *presets], key="lesson", on_change=apply_lesson,
        format_func=lambda n: "None: explore freely" if n == NO_LESSON else presets[n].title,
        help="One click sets up a teaching scenario: the sidebar's settings, the page to open, and a pretrained "
             "model where the lesson needs one. Its explanation appears above the page.")
    if widgets.get("lesson"):
        st.sidebar.button("Reset the lesson's settings", key="lesson_reapply", on_click=apply_lesson,
                          icon=":material/restart_alt:",
                          help="Undo the changes made to the sidebar since the lesson was applied.")


def lesson_page_ui() -> None:
    """After st.navigation: open the page a just-applied lesson names (once)."""
    lecture = workspace().lecture
    page, lecture.page_to_open = lecture.page_to_open, None
    if page is None:
        return
    try:
        st.switch_page(page, query_params=write_link())
    except StreamlitAPIException:   # a lesson naming a page this app does not list: stay here
        st.sidebar.warning(f"This lesson opens {page}, which this version of the app does not have.")


def lesson_card_ui() -> None:
    """The applied lesson's title and explanation, above the page, where the class looks. In presenter view one
    line that opens on a click: the page's result stays on a projector's screen below it."""
    preset = current_lesson()
    if preset is None:
        return
    if presenting():
        with st.expander(f"**Lesson: {preset.title}**", icon=":material/school:"):
            st.markdown(preset.explanation)
    else:
        st.info(f"**Lesson: {preset.title}.** {preset.explanation}", icon=":material/school:")
    missing = missing_data(preset)
    if missing:
        st.warning(f"This lesson cannot run here: it needs the **{preset.settings['dataset']}** dataset, which is not "
                   f"on this server. {missing}", icon=":material/cloud_off:")


def missing_data(preset: Preset) -> str:
    """Why the lesson's dataset cannot be loaded here (one line), or "" when it can."""
    name = preset.settings.get("dataset")
    if name is None or name == UPLOAD:
        return ""
    try:
        load_builtin(name)
    except DataError as err:
        return str(err).splitlines()[0]
    return ""


def presenter_ui() -> bool:
    """The presenter-view toggle; when on, injects the projector CSS. Returns whether it is on."""
    # persist_state="session": st.switch_page (a lesson opening its page) reruns without the browser's widget
    # states, so Streamlit drops every widget value on that page change; the toggle would still show on, while
    # the server read it as off and left the projector CSS out (fonts back to 16 px).
    on = st.sidebar.toggle("Presenter view", key="presenter", persist_state="session",
                           help="For a projector: larger text and images, and the advanced settings hidden "
                                "(they keep their values).")
    if on:
        st.html(PRESENTER_CSS)
    return on
