"""The resume policy: which settings a stopped run can continue under, and adopting them."""
from __future__ import annotations

from helpers import make_images, make_sequences

from aecore.config import TrainConfig
from aecore.models import variant_config
from aecore.runs.resume import prepare_resume, resumable
from aecore.train import new_run


def three_epoch_run():
    data = make_images()
    return new_run(data, variant_config("vanilla", latent_dim=2), TrainConfig(epochs=3, batch_size=32, lr=3e-3)), data


def test_resumable_needs_same_model_data_and_batches():
    run, data = three_epoch_run()
    model, train = variant_config("vanilla", latent_dim=2), TrainConfig(epochs=3, batch_size=32, lr=3e-3)
    assert resumable(run, data, model, train)
    assert resumable(run, data, model, TrainConfig(epochs=3, batch_size=32, lr=1e-4))   # new lr is fine
    assert not resumable(run, data, variant_config("vanilla", latent_dim=3), train)
    assert not resumable(run, data, model, TrainConfig(epochs=3, batch_size=64, lr=3e-3))
    assert not resumable(run, make_sequences(), model, train)
    run.epoch = 3
    assert not resumable(run, data, model, train)   # finished
    assert resumable(run, data, model, TrainConfig(epochs=5, batch_size=32, lr=3e-3))   # more epochs


def test_prepare_resume_sets_lr_and_epochs():
    run, _ = three_epoch_run()
    prepare_resume(run, TrainConfig(epochs=7, batch_size=32, lr=1e-4))
    assert run.train_config.epochs == 7 and run.train_config.lr == 1e-4
    assert all(g["lr"] == 1e-4 for g in run.optimizer.param_groups)
