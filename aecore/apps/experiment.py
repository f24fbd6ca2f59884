"""What every application object shares, so a page and its CLI subcommand run the same experiment.

An application is one frozen dataclass (`Denoising`, `Compression`, ...): its fields are everything a form or a
set of flags decides, `specs(data)` says which models to train, and `evaluate(models, data)` scores them. A page
trains the specs as a background `jobs.Group`; the CLI and the tests train them here with `train`.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Callable, ClassVar, Protocol

from .. import jobs
from ..config import TrainConfig
from ..data.dataset import Dataset
from ..models import Autoencoder


@dataclass(frozen=True)
class Schedule:
    """The training settings a page's form or the CLI's flags may give; None keeps the application's recipe."""

    epochs: int | None = None       # None: the recipe's (measured per application, see each module)
    batch_size: int | None = None   # None: the recipe's
    lr: float | None = None         # None: the recipe's
    seed: int = 0                   # the sidebar's seed or --seed: same seed, same models, same noise

    def __post_init__(self):
        for name in ("epochs", "batch_size"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ValueError(f"{name} must be at least 1, got {value}")
        if self.lr is not None and not self.lr > 0:
            raise ValueError(f"lr must be > 0, got {self.lr}")

    def apply(self, base: TrainConfig) -> TrainConfig:
        """The recipe's TrainConfig with the settings given here on top."""
        given = {k: getattr(self, k) for k in ("epochs", "batch_size", "lr") if getattr(self, k) is not None}
        return replace(base, seed=self.seed, **given)


# An application page's default epochs on a small dataset (<= SMALL_DATA training samples, such as the embedded 5k
# digits): its recipe's epochs are measured on full datasets, and a tenth of the samples needs more passes.
# Measured on the 5k digits: with 3 epochs the denoising AE lost to the median filter (12.1 dB vs 14.1) and the
# compression AE to PCA at every size; with 20 both win, in about 10 s each.
SMALL_DATA, SMALL_DATA_EPOCHS = 10_000, 20


def default_epochs(data: Dataset, large: int) -> int:
    """The epochs an application page opens with: `large` (the recipe's) on a full dataset, SMALL_DATA_EPOCHS
    on a small one."""
    return SMALL_DATA_EPOCHS if len(data.x_train) <= SMALL_DATA else large


def sized(base: TrainConfig, data: Dataset) -> TrainConfig:
    """A recipe measured on full MNIST, with the epochs `default_epochs` gives for this data: what the page opens
    with is what the CLI trains when --epochs is not given."""
    return replace(base, epochs=default_epochs(data, base.epochs))


class FromRecipe:
    """An application trained from one recipe measured on full datasets (its module's TRAIN; `sized` gives small data
    more epochs). What it trains on some data is answered here once, for its page's form and its CLI alike: an
    object made with `Schedule()` trains `train_config(data).epochs`, the number the page's form opens with."""

    recipe: ClassVar[TrainConfig]   # each application's own; its `schedule` field holds what a form or flags changed

    def train_config(self, data: Dataset) -> TrainConfig:
        """The recipe sized for `data`, with what the form or the flags changed."""
        return self.schedule.apply(sized(self.recipe, data))


class Experiment(Protocol):
    """An application: what to train on some data, and how to score the trained models."""

    schedule: Schedule

    def specs(self, data: Dataset) -> list[jobs.ModelSpec]: ...

    def evaluate(self, models: dict[str, Autoencoder], data: Dataset) -> Any: ...


def train(exp: Experiment, data: Dataset,
          on_step: Callable[[str, float], None] | None = None) -> dict[str, Autoencoder]:
    """Train an experiment's models to the end in this thread (CLI, tests): name -> model, in evaluation mode."""
    return {name: run.model.eval() for name, run in jobs.train_all(exp.specs(data), on_step).items()}


def run(exp: Experiment, data: Dataset, on_step: Callable[[str, float], None] | None = None) -> Any:
    """Train and evaluate, as `python -m aecore <application>` does."""
    return exp.evaluate(train(exp, data, on_step), data)
