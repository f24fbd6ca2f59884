"""The flags subcommands share, and the parsers of their values, built in one place so they read alike.

Defaults come from the config classes (`TrainConfig().epochs`, ...), never a literal of the CLI's own, so the
shell, the dashboard and the presets start from the same numbers.
"""
from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from ..config import TrainConfig

DATASET_HELP = "default: the dataset the run was trained on"


def data_options(p: argparse.ArgumentParser, dataset: str | None = DATASET_HELP, required: bool = False) -> None:
    """--dataset (with this help; none when None), --data-dir, --cache-dir and --offline."""
    if dataset is not None:
        p.add_argument("--dataset", required=required, help=dataset)
    p.add_argument("--data-dir", help="folder holding dataset folders (e.g. mnist/ with the IDX files)")
    p.add_argument("--cache-dir", help="where downloads are kept")
    p.add_argument("--offline", action="store_true", help="never download; use local files or the embedded subset")
    p.add_argument("--verbose", action="store_true", help="with a data error, also print its details "
                                                          "(the folders searched, download errors)")


def run_options(p: argparse.ArgumentParser) -> None:
    """A run folder to use, the data to use it on, and the device."""
    p.add_argument("run", type=Path, help="run folder (or a .zip of one)")
    data_options(p)
    p.add_argument("--device", default=TrainConfig().device)


def train_options(p: argparse.ArgumentParser, latent_dim: int | None, epochs: int | str | None) -> None:
    """An application's data and training flags; unset ones leave the choice to its recipe.

    `latent_dim` and `epochs` only word the help: None reads "by data kind".
    """
    data_options(p, "built-in name (mnist, ecg5000, …) or a path to a file", required=True)
    p.add_argument("--latent-dim", type=int, help=f"bottleneck size (default: {latent_dim or 'by data kind'})")
    p.add_argument("--epochs", type=int, help=f"training epochs per model (default: {epochs or 'by data kind'})")
    p.add_argument("--batch-size", type=int, help=f"default: the recipe's, else {TrainConfig().batch_size}")
    p.add_argument("--lr", type=float, help=f"Adam's learning rate (default: the recipe's, else {TrainConfig().lr:g})")
    p.add_argument("--seed", type=int, default=TrainConfig().seed)
    p.add_argument("--max-train", type=int, help="use at most this many training samples (faster, rougher)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of tables")


def load_data(name: str, args):
    """The dataset `name`, found and fetched as the data flags say."""
    from ..data import load_dataset

    return load_dataset(name, data_dir=args.data_dir, cache_dir=args.cache_dir, allow_download=not args.offline)


# --- values ----------------------------------------------------------------------------------------------
def _numbers(cast: Callable, kind: str, example: str) -> Callable[[str], tuple]:
    """An argparse `type` for comma-separated values; a bad one is a usage error that shows an example."""
    def parse(text: str) -> tuple:
        try:
            return tuple(cast(t) for t in text.split(",") if t.strip())
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected comma-separated {kind} like {example}, got {text!r}") from None
    return parse


floats = _numbers(float, "numbers", "0.1,0.3")
ints = _numbers(int, "whole numbers", "2,8,32")
widths = _numbers(int, "whole numbers", "400,200")   # layer widths (conv: channels)


def budgets(text: str) -> tuple[int | None, ...]:
    """Label budgets: whole numbers, or `all` (None) for every label."""
    return tuple(None if t.strip() == "all" else ints(t)[0] for t in text.split(",") if t.strip())


def names(text: str) -> tuple[str, ...]:
    """Comma-separated names, as given."""
    return tuple(text.split(","))


def positive(flag: str, value: int) -> None:
    """ValueError (a usage error, exit 2) unless value >= 1."""
    if value < 1:
        raise ValueError(f"{flag} must be at least 1, got {value}")
