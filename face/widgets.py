"""Small drawing helpers every page uses: image grids, sample plots, the model banner, chart export settings."""
from __future__ import annotations

import streamlit as st
import torch

from aecore import plots
from aecore.imaging import PAGE_LEVEL, png_bytes, to_grid
from aecore.runs import export

from .session import widgets, workspace
from .workspace import ViewModel, is_demo

PRESENTER_SCALE = 2   # images are this much larger in presenter view


PRESENTER_TYPE = 22 / 16   # presenter view's root font size over Streamlit's (face.lecture.PRESENTER_CSS)


def presenting() -> bool:
    return bool(widgets.get("presenter"))


def component_scale() -> float:
    """How much larger the atlas component's type, pictures and hit areas are: as much as the page's text, since
    the projector CSS cannot reach into the component's frame."""
    return PRESENTER_TYPE if presenting() else 1.0


def intro_ui(text: str) -> None:
    """A page's introduction: in presenter view behind a click ("About this page"), so the page's result fits on
    a projector's screen; the lecturer says it instead."""
    if presenting():
        with st.expander("About this page", icon=":material/info:"):
            st.markdown(text)
    else:
        st.markdown(text)


def choice_ui(label: str, options: list, key: str, format_func=str, **kwargs):
    """A horizontal radio, or, when there is only one option, that option as a line of text: a lone radio button
    asks the student to choose where there is nothing to choose."""
    if len(options) == 1:
        st.caption(f"{label}: {format_func(options[0])}")
        return options[0]
    return st.radio(label, options, horizontal=True, key=key, format_func=format_func, **kwargs)


def image_scale(scale: int) -> int:
    """Pixels per data pixel: `scale`, or PRESENTER_SCALE times it in presenter view (for a projector)."""
    return scale * PRESENTER_SCALE if presenting() else scale


def show_images(x: torch.Tensor, value_range: tuple[float, float], ncols: int | None = None,
                caption: str | None = None, scale: int = 3) -> None:
    """A batch of images as one crisp grid (nearest-neighbour upscaling keeps pixels visible)."""
    st.image(png_bytes(to_grid(x, ncols, value_range=value_range), image_scale(scale), PAGE_LEVEL), caption=caption)


def show_samples(x: torch.Tensor, kind: str, value_range, ncols: int | None = None, caption: str | None = None,
                 scale: int = 3, key: str | None = None, gradient: bool = False) -> None:
    """Images as a crisp grid; sequences and vectors as one line plot (shaded first to last with `gradient`)."""
    if kind == "image":
        show_images(x, value_range, ncols=ncols, caption=caption, scale=scale)
    else:
        st.plotly_chart(plots.line_groups([x.numpy()], [caption or ""], gradient=gradient and len(x) > 1,
                                          x_title=plots.x_title(kind)), width="stretch", key=key)


def model_banner() -> None:
    """One line naming the current model, its data and its test loss, at the top of every page."""
    run = workspace().run
    if run is None:
        st.caption("No model yet: train one on the **Train** page or load one on **Models**.")
        return
    loss = f"{run.test_loss:.2f}" if run.test_loss is not None else "not evaluated yet"
    demo = " · a pretrained demo: train your own on **Train**" if is_demo(run) else ""
    st.caption(f"Current model: **{run.variant}** · bottleneck {run.model_config.latent_dim} · "
               f"{run.data_info.title} · test loss {loss} · {run.epoch} epochs{demo}")
    other = sidebar_differs(run)
    if other:
        st.caption(f":orange[The sidebar is set to {other}, not this model: press **Train** on the Train page to "
                   "train that one. Until then the pages show the model above.]")


def sidebar_differs(run) -> str:
    """The sidebar's dataset, variant and bottleneck when they are not the shown model's ("" when they are)."""
    state = widgets
    wanted = (state.get("dataset", run.data_info.name), state.get("variant", run.variant),
              int(state.get("latent_dim", run.model_config.latent_dim)))
    if wanted == (run.data_info.name, run.variant, run.model_config.latent_dim) or wanted[0] == "upload":
        return ""
    return f"**{wanted[1]}** · bottleneck {wanted[2]} · {wanted[0]}"


def view_model_ui(doing: str, refresh_key: str) -> ViewModel:
    """The model a view draws (Workspace.view_model); while it trains, a note that `doing` uses a snapshot
    taken at some step, and a button that takes a new one."""
    ws = workspace()
    view = ws.view_model()
    if view.training:
        c1, c2 = st.columns([4, 1])
        c1.info(f"Training is running: {doing} a snapshot of the model at step {view.step:,}.")
        if c2.button("Refresh snapshot", key=refresh_key):
            ws.refresh_snapshot()
            st.rerun()
    return view


def chart_config(name: str) -> dict:
    """st.plotly_chart(config=...) for a chart worth keeping: its camera icon saves a large PNG named `name`."""
    return export.chart_config(name, scale=4 if presenting() else 3)
