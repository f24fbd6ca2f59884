"""Reading run folders and writing results for the subcommands: checked on the way in, exact paths on the way out."""
from __future__ import annotations

from pathlib import Path

from .options import load_data


def load_run(path: Path, device: str):
    """A run folder, or an archive of one read in memory (never unpickled)."""
    from ..checkpoint import load_run as load_folder, load_run_bytes

    if path.is_file():   # an archive (or something pretending to be one)
        return load_run_bytes(path.read_bytes(), path.name, device)
    return load_folder(path, device)


def run_and_data(args):
    """The run, and the dataset to use it on (its own unless --dataset), checked to fit the model."""
    from ..data import DataError

    run = load_run(args.run, args.device)
    name = args.dataset or run.data_info.name
    try:
        data = load_data(name, args)
    except DataError as err:
        if args.dataset:
            raise
        raise DataError(f"{err} (the run was trained on {name!r}; pass --dataset with its path)") from None
    if tuple(data.shape) != tuple(run.model.input_shape):
        raise DataError(f"{data.name} has samples of shape {tuple(data.shape)}, but this model was trained "
                        f"on {tuple(run.model.input_shape)}")
    n_classes = run.model_config.n_classes
    if run.model_config.conditional and (data.y_test is None or data.n_classes != n_classes):
        raise DataError(f"this conditional VAE needs labels of {n_classes} classes; {data.name} has "
                        f"{'no labels' if data.y_test is None else f'{data.n_classes} classes'}")
    return run, data


def label_index(label: str, names: tuple[str, ...]) -> int:
    """A class given by name or index, as its index (ValueError naming the choices otherwise)."""
    if label in names:
        return names.index(label)
    try:
        index = int(label)
    except ValueError:
        index = -1
    if not 0 <= index < len(names):
        raise ValueError(f"--label must be a class index 0..{len(names) - 1} or one of {', '.join(names)}; got {label!r}")
    return index


def save_npy(path: Path, tensor) -> None:
    """The tensor as .npy at exactly this path."""
    import numpy as np

    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:   # np.save(str) would append .npy to other names
        np.save(f, tensor.detach().cpu().numpy())


def save_png(path: Path, x, run, ncols: int | None = None) -> str | None:
    """A PNG grid beside the .npy for image data; None (and no file) for other kinds."""
    from ..imaging import png_bytes, to_grid

    if run.data_info.kind != "image" or x.dim() != 4:
        return None
    png = path.with_suffix(".png")
    png.write_bytes(png_bytes(to_grid(x, ncols=ncols, value_range=run.model.value_range), scale=2))
    return str(png)
