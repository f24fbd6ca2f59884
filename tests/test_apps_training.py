"""aecore.jobs.group: a page's models trained together, in the foreground or as background jobs."""
from __future__ import annotations

import pytest
import torch

from aecore.config import TrainConfig
from aecore.jobs import Group, ModelSpec, progress, train_all
from aecore.models import variant_config
from backends import make_pool, ray_cluster  # noqa: F401  (fixtures: both job backends)
from helpers import make_images


def specs(epochs: int = 1) -> list[ModelSpec]:
    data = make_images()
    train = TrainConfig(epochs=epochs, batch_size=32, eval_every_epoch=False)
    return [ModelSpec(f"k{k}", data, variant_config("vanilla", latent_dim=k, hidden=(16,)), train) for k in (2, 4)]


@pytest.mark.slow
def test_train_all_trains_every_spec_to_the_end_and_reports_progress():
    seen = []
    runs = train_all(specs(2), lambda name, f: seen.append((name, f)))
    assert set(runs) == {"k2", "k4"} and all(r.done and r.epoch == 2 for r in runs.values())
    assert runs["k4"].model.config.latent_dim == 4 and not runs["k2"].model.training
    for name in ("k2", "k4"):   # trained side by side: each model's own progress goes up to 1
        mine = [f for n, f in seen if n == name]
        assert mine == sorted(mine) and mine[-1] == 1.0


def test_same_specs_give_the_same_weights():
    a, b = train_all(specs()), train_all(specs())
    assert torch.equal(a["k2"].model.head.weight, b["k2"].model.head.weight)


def test_side_by_side_gives_the_weights_of_one_after_another():
    together = train_all(specs(2))
    alone = {s.name: train_all([s])[s.name] for s in specs(2)}   # a single spec trains in this thread
    assert all(torch.equal(together[n].model.head.weight, alone[n].model.head.weight) for n in alone)


def test_group_trains_in_the_background_and_sums_progress(make_pool):
    pool = make_pool(1)                           # one at a time: the second waits in the queue
    group = Group.start(specs(2), {"note": 1}, heartbeat_s=None, pool=pool)
    assert group.params == {"note": 1}
    first = group.progress()
    assert 0.0 <= first.fraction <= 1.0
    for job in group.jobs.values():
        assert job.wait(60)
    done = group.progress()
    assert group.finished and group.complete
    assert (done.fraction, done.finished, done.summary, done.errors) == (1.0, True, "Finished", ())
    assert set(group.models()) == {"k2", "k4"}


def test_a_stopped_group_is_finished_but_not_complete(make_pool):
    pool = make_pool(1)
    group = Group.start(specs(50), heartbeat_s=None, pool=pool)
    group.stop()
    for job in group.jobs.values():
        assert job.wait(60)
    assert group.finished and not group.complete
    assert progress(group.jobs).finished
