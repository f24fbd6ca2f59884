"""The Workspace's parts besides the model: what the pages remember between reruns that is not a widget's value.

Each part is a plain object (no Streamlit in it), owned by one page or module of face/; a widget's value stays under
its key in session state (face.session.WIDGETS). `Workspace.adopt` and `Workspace.reset` clear the views of the
model they replace (`TrainView.forget`, the two panels) in one place.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Once:
    """Things done once per browser session."""

    frame_rerun: bool = False    # a page run alone left Streamlit's pages/ mode (face.session.ensure_frame)
    restored: bool = False       # this browser's saved model and settings were brought back (face.persist)
    link_read: bool = False      # the URL's lesson, settings and follow link were applied (face.lecture)
    demo_offered: bool = False   # a session without a model got the demo; a restored or followed one never does


@dataclass
class TrainView:
    """The Train page's live view (face.progress) and its buttons (pages/train.py)."""

    steps: tuple[tuple, list] | None = None   # ((run id, id(run)), its whole history): only new steps are polled
    draw_s: float | None = None     # a redraw's wall time, smoothed: the cadence slows down when it grows
    cadence: float | None = None    # seconds between the fragment's redraws, as last set
    error: str | None = None        # why the last Train or Resume could not start

    def forget(self) -> None:
        """Drop what this view kept of the last model (its history, the error of a press made for it)."""
        self.steps, self.error = None, None


@dataclass
class LatentPanel:
    """Latent space's state besides its widgets (face.gallery, face.codes, face.timelapse)."""

    pick: dict | None = None        # the atlas view's pin and selection: {"view": its key, "pin", "selection"}
    code_for: str | None = None     # the model state (fingerprint) the server's code sliders were centred for
    click: int | None = None        # the pin that last set those sliders (once per pin: then they are yours)
    tl_play: bool = False           # the time-lapse is playing
    tl_seen: int = 0                # frames the time-lapse had at its last draw (new ones are followed)


@dataclass
class GeneratePanel:
    """Generate's code sliders besides their widgets (face.codes)."""

    code: list[float] | None = None   # the code the sliders show (where they were let go, or a button's)
    revision: int = 0                 # bumped when a button moves the sliders, so the browser's move too
    seed: int = 0                     # Random sample's counter: each press draws a new code

    def cleared(self) -> GeneratePanel:
        """A fresh panel for another model: the browser's sliders move to its code (a new revision)."""
        return GeneratePanel(revision=self.revision + 1)


@dataclass
class Persistence:
    """This browser's entry in the workspace store (face.persist)."""

    token: str | None = None          # the cookie's token: the key of its saved model and settings
    forgotten: bool = False           # "Forget me" was pressed: nothing is saved any more in this session
    saved: tuple | None = None        # (run id, step, settings, training, time) of the last save
    store_note: str | None = None     # what the store could not keep, said once


@dataclass
class Messages:
    """News for the next run of a page, each shown once or until replaced."""

    model: tuple[str, str] | None = None   # the Models page's last load: ("success" or "error", text)
    follow_error: str | None = None        # why a follow link could not be opened (face.follow)
    lost_upload: str | None = None         # a kept upload that did not come back after a restore (face.reattach)


@dataclass
class Lecture:
    """The lecture tools' state (face.lecture, face.follow)."""

    shared: tuple[str, str, int] | None = None   # (share id, run id, step) of this session's last Share
    page_to_open: str | None = None              # the page a just-applied lesson names, opened after navigation


@dataclass(frozen=True)
class KeptGrid:
    """A model's first-layer grid, kept to compare with the next model's (face.unit_grid): its picture and words."""

    png: bytes
    title: str           # which model: "sparse · bottleneck 64 · 5 epochs"
    caption: str         # what the grid shows
    fingerprint: str     # of the model state it was drawn from: the same state is not shown twice


@dataclass
class InsidePanel:
    """Inside the network's state besides its widgets (face.unit_grid). It outlives the model: that is its use."""

    kept: KeptGrid | None = None
