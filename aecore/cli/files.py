"""Reading run folders and writing results for the subcommands: checked on the way in, exact paths on the way out."""
from __future__ import annotations

import sys
from pathlib import Path

from ..data import DataError, Provenance, reload_dataset
from .options import load_data


def load_run(path: Path, device: str):
    """A run folder, or an archive of one read in memory (never unpickled)."""
    from ..runs.checkpoint import load_run as load_folder, load_run_bytes

    if path.is_file():   # an archive (or something pretending to be one)
        return load_run_bytes(path.read_bytes(), path.name, device)
    return load_folder(path, device)


def run_and_data(args):
    """The run, the dataset to use it on, and whether that is the run's training data (None: the run does not say).

    Without --dataset that is the run's own data, found again from its provenance record (its recorded path first)
    or refused with a DataError; never other data that happens to share its name.
    """
    run = load_run(args.run, args.device)
    data, same = _data_for(run, args)
    if tuple(data.shape) != tuple(run.model.input_shape):
        raise DataError(f"{data.name} has samples of shape {tuple(data.shape)}, but this model was trained "
                        f"on {tuple(run.model.input_shape)}")
    n_classes = run.model_config.n_classes
    if run.model_config.conditional and (data.y_test is None or data.n_classes != n_classes):
        raise DataError(f"this conditional VAE needs labels of {n_classes} classes; {data.name} has "
                        f"{'no labels' if data.y_test is None else f'{data.n_classes} classes'}")
    return run, data, same


def _data_for(run, args):
    """(dataset, same as the training data?): --dataset when given, else the run's own data or a DataError."""
    record = run.data_info.provenance
    trained_on = Provenance.from_dict(record) if record else None
    if args.dataset:
        data = load_data(args.dataset, args)
        same = trained_on.same_data(data.provenance) if trained_on else None
        if same is False:
            _note(f"using {data.provenance.describe()}, not the data this run was trained on "
                  f"({trained_on.describe()})")
        return data, same
    if trained_on is None:   # saved before runs recorded their data: its name is all there is to go on
        return _by_name(run.data_info.name, args), None
    try:
        return reload_dataset(trained_on, data_dir=args.data_dir, cache_dir=args.cache_dir,
                              allow_download=not args.offline), True
    except DataError as err:
        was = f" (the run's data was read from {trained_on.path})" if trained_on.path else ""
        raise DataError(f"{err}, or pass --dataset NAME|PATH to use other data{was}", err.details) from None


def _by_name(name: str, args):
    """An old run's data, by the name it recorded (possibly other data of that name: the note says what was used)."""
    try:
        data = load_data(name, args)
    except DataError as err:
        raise DataError(f"{err} (the run was trained on {name!r}; pass --dataset with its path)", err.details) from None
    _note(f"this run does not record which data it was trained on (it was saved by an older version); "
          f"using {data.provenance.describe()}")
    return data


def _note(text: str) -> None:
    print(f"note: {text}", file=sys.stderr)


def data_json(data, n: int, **extra) -> dict:
    """Which data a result was computed on, for its JSON: name, title, origin, path and n, the samples used."""
    p = data.provenance
    return {"name": p.name, "title": p.title, "origin": p.origin, "path": p.path, "n": n, **extra}


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


def save_npy(path: Path, array) -> None:
    """The tensor (or numpy array) as .npy at exactly this path."""
    import numpy as np

    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:   # np.save(str) would append .npy to other names
        np.save(f, array.detach().cpu().numpy() if hasattr(array, "detach") else np.asarray(array))


def save_png(path: Path, x, run, ncols: int | None = None) -> str | None:
    """A PNG grid beside the .npy for image data; None (and no file) for other kinds."""
    from ..imaging import png_bytes, to_grid

    if run.data_info.kind != "image" or x.dim() != 4:
        return None
    png = path.with_suffix(".png")
    png.write_bytes(png_bytes(to_grid(x, ncols=ncols, value_range=run.model.value_range), scale=2))
    return str(png)
