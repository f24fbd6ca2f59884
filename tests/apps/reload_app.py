"""A stand-in page for tests/test_deploy.py: the session restore the app does through aecore.store, and no more.

It reads the browser's workspace token from a cookie, gives a new session the model the shared store holds for
that token (AECORE_STORE_DIR: the same folder on every replica), trains one on Train (on this replica's job
backend, Ray when AECORE_RAY_ADDRESS is set) and saves it, and says which replica answered.
"""
import os

import streamlit as st
import torch

from aecore import jobs
from aecore.config import TrainConfig
from aecore.data.dataset import Dataset
from aecore.models import variant_config
from aecore.store import WorkspaceStore
from aecore.train import new_run

token = st.context.cookies.get("latent_lab_token", "")
store = WorkspaceStore()
if "run" not in st.session_state:   # a new session (a reload, maybe on another replica): restore
    saved = store.load(token) if token else None
    st.session_state.run = saved.run if saved else None

if st.button("Train", key="train_go"):
    g = torch.Generator().manual_seed(0)
    x = torch.rand(96, 1, 6, 6, generator=g)
    data = Dataset("probe", "Probe", x[:64], None, x[64:], None, "image", (), (0.0, 1.0), "generated")
    run = new_run(data, variant_config("vanilla", latent_dim=2, hidden=(8,)), TrainConfig(epochs=2, batch_size=16))
    job = jobs.start(run, data)
    job.wait(120)
    store.save(token, run, {"note": "probe"})
    st.session_state.run = run

run = st.session_state.run
st.markdown(f"replica={os.getpid()} backend={type(jobs.default_pool()).__name__} "
            f"model={run.id if run else None} step={run.step if run else 0}")
