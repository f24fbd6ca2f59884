"""Every `st.cache_*` wrapper of a model's or a dataset's results, keyed once.

A model state is keyed by (run id, step, weight fingerprint), never by its tensors; a dataset by
`datasets.data_key`. Latent space and Generate share `encoded`, so switching between them encodes nothing twice.
"""
from __future__ import annotations

import numpy as np
import streamlit as st

from aecore import explore, jobs
from aecore.data import Dataset
from aecore.project import Projection, project

from .datasets import data_key
from .workspace import ViewModel


@st.cache_resource(show_spinner=False)
def warm_up():
    """Once per server, in the background: torch's first optimizer costs seconds (see jobs.warm_up)."""
    return jobs.warm_up()


def model_key(run_id: str, view: ViewModel) -> tuple:
    """What tells two model states apart: the run, its step, and its weights (a reload keeps id and step)."""
    return (run_id, view.step, explore.fingerprint(view.model))


@st.cache_data(max_entries=8, show_spinner="Encoding the test set…")
def _encoded(key: tuple, dkey: tuple, _model, _x, _y) -> explore.Encoded:
    return explore.encode_split(_model, _x, _y)


def encoded(run_id: str, view: ViewModel, data: Dataset) -> explore.Encoded:
    """Test-set codes (and a VAE's per-dimension KL) of one model state."""
    return _encoded(model_key(run_id, view), data_key(data), view.model, data.x_test, data.y_test)


@st.cache_data(max_entries=16, show_spinner=False)
def projection(key: tuple, dkey: tuple, method: str, cap: int, _codes: np.ndarray) -> Projection:
    """2-D view of the codes of one model state (those `explore.subsample(n, cap)` picks)."""
    return project(_codes, method, max_fit=len(_codes))
