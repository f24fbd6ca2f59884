"""Issue 20, item 4: the loss chart tells the lesson's story: the first steps are drawn one by one (no bucket or
moving average hides step 1 or the leap at step 2), and a VAE's KL is on its own axis, readable at a few nats."""
from __future__ import annotations

import numpy as np

from aecore import plots
from aecore.plots.training import EARLY_STEPS
from aecore.train import Step


def steps(values: list[dict], per_epoch: int = 100) -> list[Step]:
    return [Step(i + 1, (i + 1) / per_epoch, v, 0.0, 0.0) for i, v in enumerate(values)]


def test_the_first_steps_are_drawn_as_they_are_even_in_a_long_run():
    losses = [545.0, 1.6e8, 6.7e6] + [400.0 + (i % 7) for i in range(5000)]   # the lesson's leap, then noise
    fig = plots.loss_curve(steps([{"loss": v} for v in losses]), [], variational=False)
    y = np.asarray(fig.data[0].y)
    assert y[0] == 545.0 and y[1] == 1.6e8 and y[2] == 6.7e6   # before: a 10-step bucket averaged them to ~1.7e7
    assert np.array_equal(y[:EARLY_STEPS], losses[:EARLY_STEPS])
    assert len(y) <= plots.MAX_POINTS and fig.layout.yaxis.type == "log"
    assert 395 < y[-1] < 410     # the tail is still averaged and smoothed: the noise stays out


def test_a_vae_kl_has_its_own_axis():
    values = [{"loss": 200.0 - i, "recon": 199.5 - i, "kl": 0.5} for i in range(20)]
    fig = plots.loss_curve(steps(values), [{"epoch": 1, "loss": 181.0, "recon": 180.4, "kl": 0.6}], variational=True)
    kl = [t for t in fig.data if "KL" in t.name]
    assert len(kl) == 2 and all(t.yaxis == "y2" for t in kl)
    assert all(t.yaxis in (None, "y") for t in fig.data if "KL" not in t.name)
    assert fig.layout.yaxis2.overlaying == "y" and fig.layout.yaxis2.title.text == "KL (nats)"
    assert "yaxis2" not in plots.loss_curve(steps([{"loss": 1.0}]), [], variational=False).layout.to_plotly_json()
