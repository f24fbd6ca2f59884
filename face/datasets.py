"""The datasets a page can use (built-ins loaded once per server, or this session's upload), and the sidebar's
settings turned into configs."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace

import streamlit as st

from aecore.config import ModelConfig, TrainConfig
from aecore.data import DATASETS, DataError, Dataset, load_dataset, load_file
from aecore.lecture import share
from aecore.train import Run

from .paths import scrub
from .session import widgets, workspace

UPLOAD = "upload"   # the dataset choice meaning "the file I uploaded"


@dataclass(frozen=True)
class Settings:
    """Everything the sidebar decides: which data, which model, how to train it."""

    dataset: str
    variant: str
    model: ModelConfig
    train: TrainConfig


@st.cache_resource(show_spinner="Loading dataset…", max_entries=4)
def load_builtin(name: str) -> Dataset:
    """Built-in datasets are read-only and shared by every session: load each once per server."""
    return load_dataset(name)


def parse_upload(blob: bytes, name: str) -> Dataset:
    """A user's file as a Dataset (raises DataError), as the sidebar's uploader reads it."""
    return with_digest(load_file(blob, name), blob)


def with_digest(data: Dataset, blob: bytes) -> Dataset:
    """Pages key shared caches by (name, source, sizes): the content's digest in `source` tells apart two files of
    the same name and size."""
    digest = hashlib.blake2b(blob, digest_size=8).hexdigest()
    return replace(data, source=f"{data.source}#{digest}")


def data_key(data: Dataset) -> tuple:
    """What tells two datasets apart in a cache key (an upload's digest is in `source`)."""
    return (data.name, data.source, len(data.x_train), len(data.x_test))


def current_data(show: bool = True) -> Dataset | None:
    """The dataset chosen in the sidebar, or None when it cannot be loaded: then, with `show`, the reason in
    one line where the page is (the folders searched, if any, in a closed Details expander)."""
    name = widgets.get("dataset", "mnist")
    if name == UPLOAD:
        upload = workspace().upload
        if show and upload.error:
            st.error(scrub(f"Your file was refused: {upload.error}", keep=(upload.name or "",)),
                     icon=":material/block:")
        return upload.data
    try:
        return load_builtin(name)
    except DataError as err:
        if show:
            data_error_ui(err)
        return None


def data_error_ui(err: DataError) -> None:
    """A data error as one line, with its details (paths, variables) out of the way."""
    st.error(scrub(str(err).splitlines()[0]), icon=":material/cloud_off:")
    details = getattr(err, "details", "")
    if details:
        with st.expander("Details"):
            st.code(scrub(details), language=None, wrap_lines=True)


def data_for_run(run: Run) -> Dataset | None:
    """The dataset a model was trained on, when it is here: a built-in by name, or the matching upload."""
    upload = workspace().upload.data
    if upload is not None and upload.name == run.data_info.name and upload.shape == run.data_info.shape:
        return upload
    if run.data_info.name in DATASETS:
        try:
            data = load_builtin(run.data_info.name)
        except DataError:
            return None
        return data if data.shape == run.data_info.shape else None
    return None


def sidebar_settings() -> dict:
    """The sidebar's values that are in session state, by widget key (see aecore.lecture.share.SETTINGS)."""
    return {k: widgets[k] for k in share.SETTINGS if k in widgets}


def settings_from_state(kind: str) -> Settings:
    """Turn the sidebar's widget values into configs (raises ValueError with a readable message)."""
    variant, model, train = share.configs(sidebar_settings(), kind)   # one conversion for sidebar, presets, links
    return Settings(widgets.get("dataset", "mnist"), variant, model, train)


def seed() -> int:
    """The sidebar's seed: application pages train with it too."""
    return int(widgets.get("seed", 0))
