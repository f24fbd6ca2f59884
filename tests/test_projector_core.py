"""Issue 15 in the engine (pure, no Streamlit): the loss axis, the compression chart's labels, a group's progress in
words, follow-along links and the store of shared models."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from aecore import jobs, plots
from aecore.lecture import share
from aecore.apps import Compression
from aecore.runs.store import WorkspaceStore, new_token, shared_store
from aecore.train import Step
from helpers import trained_run


def steps(losses: list[dict]) -> list[Step]:
    return [Step(i + 1, (i + 1) / len(losses), parts, 1000.0, 0.0) for i, parts in enumerate(losses)]


# --- the loss chart ---------------------------------------------------------------------------------------------

def test_a_vae_loss_falling_from_550_to_155_is_on_a_linear_axis():
    """Its KL part starts near 0, so the parts together span orders of magnitude; the loss itself does not."""
    total = np.linspace(550, 155, 60)
    history = steps([{"loss": t, "recon": t - 0.2 - k / 4, "kl": 0.2 + k / 4} for k, t in enumerate(total)])
    fig = plots.loss_curve(history, [{"epoch": 1, "loss": 160.0, "recon": 150.0, "kl": 10.0}], variational=True)
    assert fig.layout.yaxis.type == "linear"


def test_a_diverging_loss_is_on_a_log_axis():
    fig = plots.loss_curve(steps([{"loss": v} for v in (540.0, 300.0, 2e5, 1e9)]), [], variational=False)
    assert fig.layout.yaxis.type == "log"


def test_the_empty_chart_runs_from_epoch_0_to_the_planned_epochs_with_no_loss_values():
    fig = plots.loss_curve([], [], variational=False, epochs=5)
    assert list(fig.layout.xaxis.range) == [0, 5] and fig.layout.yaxis.showticklabels is False


def test_a_single_step_is_drawn_as_a_dot():
    fig = plots.loss_curve(steps([{"loss": 543.9}]), [], variational=False)
    assert fig.data[0].mode == "markers"


# --- the compression chart --------------------------------------------------------------------------------------

def rate_rows() -> list[dict]:
    rows = []
    for method, worse in (("PCA", 2.0), ("autoencoder", 0.0)):
        rows += [{"method": method, "format": f, "bytes": b, "psnr": p - worse}
                 for f, b, p in (("float32", 32, 20.0), ("float16", 16, 19.9), ("8-bit", 8, 19.0))]
    return rows + [{"method": "JPEG", "format": f"quality {q}", "bytes": 150 + q, "psnr": 10 + q / 10}
                   for q in (10, 25, 50, 75, 90)]


def test_bytes_chart_labels_do_not_stack_and_its_log_axis_has_round_ticks():
    fig = plots.rate_distortion(rate_rows())
    pca, ae, jpeg = fig.data
    assert (ae.textposition, pca.textposition) == ("top center", "bottom center"), "labels point away from each other"
    assert list(jpeg.text) == ["q10", "q25", "q50", "q75", "q90"]
    assert len(set(jpeg.textposition)) == 2, "JPEG's close labels alternate above and below"
    assert list(fig.layout.xaxis.tickvals) == [10, 20, 50, 100, 200]


# --- a group's progress in words --------------------------------------------------------------------------------

@dataclass
class FakeJob:
    status: str

    def poll(self, since=None):
        return jobs.Progress(self.status, 0, 0, 0.5, 1, None, None, [], 0, [], None, None)

    @property
    def active(self) -> bool:
        return self.status in jobs.ACTIVE


@pytest.mark.parametrize("describe, expected", [
    (Compression.describe, "Training the models for bottlenecks 2 and 8 (1 more waiting for a free trainer)"),
    (None, "Training the 2 and the 8 (1 more waiting for a free trainer)"),
])
def test_a_group_says_what_trains(describe, expected):
    group = {"2": FakeJob("running"), "8": FakeJob("running"), "32": FakeJob("queued")}
    assert jobs.progress(group, describe).summary == expected


def test_a_training_group_says_how_far_and_how_long_is_left():
    """Issue 19: a long application run never sits behind a bar whose text does not move: epochs done of all,
    and the slowest model's time left (they train side by side)."""
    slow, fast = FakeJob("running"), FakeJob("running")
    slow.poll = lambda since=None: jobs.Progress("running", 0, 0, 1.5, 6, 95.0, 10.0, [], 0, [], None, None)
    fast.poll = lambda since=None: jobs.Progress("running", 0, 0, 3.0, 6, 20.0, 30.0, [], 0, [], None, None)
    summary = jobs.progress({"denoising AE": slow, "plain AE": fast}).summary
    assert summary == "Training the denoising AE and the plain AE · 4.5 of 12 epochs · about 1 min 35 s left"


def test_a_waiting_group_says_what_waits():
    summary = jobs.progress({"denoising AE": FakeJob("queued"), "plain AE": FakeJob("queued")}).summary
    assert summary.startswith("Waiting for a free trainer to train the denoising AE and the plain AE")


# --- follow-along links and the store of shared models ----------------------------------------------------------

def test_a_follow_link_names_a_share_id_and_nothing_else():
    sid = new_token()
    assert share.follow_from_query({"follow": sid}) == sid
    assert share.follow_from_query({"follow": ["../x", sid]}) == sid
    for bad in ("../../etc", sid.upper(), sid + "0", "", None):
        assert share.follow_from_query({"follow": bad}) is None
    assert share.to_query({"dataset": "digits"}, follow=sid)["follow"] == sid


def test_run_settings_describe_the_model_for_the_sidebar():
    run, _ = trained_run("vae", latent_dim=3, epochs=1)
    run.variant = "vae"
    got = share.run_settings(run)
    assert got["variant"] == "vae" and got["latent_dim"] == 3 and got["epochs"] == 1 and "beta" in got
    assert "dataset" not in got, "tiny synthetic data is no sidebar dataset"


def test_shared_models_live_apart_from_the_workspaces(tmp_path):
    run, _ = trained_run("vanilla", epochs=1)
    sid = new_token()
    shared = shared_store(tmp_path)
    shared.save(sid, run, {"variant": "vanilla"})
    WorkspaceStore(tmp_path).save(sid, None, {"a browser": "whose cookie names that id"})
    assert shared.load(sid).run.step == run.step, "a cookie token cannot overwrite a shared model"
    assert (tmp_path / "shared" / sid).is_dir()
