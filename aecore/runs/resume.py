"""The resume policy: whether a stopped run can continue under new settings, and adopting them before it does.

A run continues exactly (same batches, same noise) only with the same data, model and batch order; the
learning rate and the number of epochs may change (lower the rate after a divergence, or train for longer).
"""
from __future__ import annotations

from dataclasses import replace

from ..config import ModelConfig, TrainConfig
from ..data.dataset import Dataset
from ..models import resolve_config
from ..train import Run, set_lr


def resumable(run: Run, data: Dataset, model_config: ModelConfig, train_config: TrainConfig) -> bool:
    """Whether `run` can continue under these settings: same data, same model, same batches (batch size
    and seed), and epochs left to train. The learning rate may differ (lower it after a divergence)."""
    if run.data_info.name != data.name or tuple(run.data_info.shape) != tuple(data.shape):
        return False
    try:
        wanted = resolve_config(model_config, data.value_range, data.n_classes)
    except ValueError:
        return False
    same_batches = (run.train_config.batch_size, run.train_config.seed) == (train_config.batch_size, train_config.seed)
    epochs_left = run.epoch < run.total_epochs - run.train_config.epochs + train_config.epochs
    return wanted == run.model_config and same_batches and epochs_left


def prepare_resume(run: Run, train_config: TrainConfig) -> None:
    """Adopt the new learning rate and epoch count before resuming (see `resumable`)."""
    run.train_config = replace(run.train_config, lr=train_config.lr, epochs=train_config.epochs)
    set_lr(run, train_config.lr)
