"""A run's time-lapse as a file: `timelapse.npz` next to history.json in a run folder, in the workspace store, and in
a run's zip. Plain arrays in an uncompressed .npz, read with allow_pickle=False: nothing is ever unpickled, and
every array's declared shape is checked against the others (and the file's size) before it is used.

    index (P,) int64   labels (P,) int64 (absent: unlabelled)   method () str   n_test () int64
    steps (F,) int64   epochs (F,) float64                      coords (F, P, 2) float32
"""
from __future__ import annotations

import io
import zipfile

import numpy as np

from .timelapse import Frame, Timelapse

NAME = "timelapse.npz"
METHODS = ("direct", "pca")
MAX_FRAMES = 10_000    # far above a run's FRAMES (a resumed run adds more); a file claiming more is refused


class TimelapseFileError(ValueError):
    """A timelapse file that cannot be read; the message says why."""


def timelapse_bytes(tl: Timelapse) -> bytes:
    """The time-lapse as the bytes of a timelapse.npz."""
    arrays = {"index": tl.index.astype(np.int64), "method": np.array(tl.method), "n_test": np.array(tl.n_test, np.int64),
              "steps": np.array([f.step for f in tl.frames], np.int64),
              "epochs": np.array([f.epoch for f in tl.frames], np.float64),
              "coords": np.stack([f.coords for f in tl.frames]).astype(np.float32) if tl.frames
              else np.zeros((0, len(tl.index), 2), np.float32)}
    if tl.labels is not None:
        arrays["labels"] = tl.labels.astype(np.int64)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def read_timelapse(blob: bytes) -> Timelapse:
    """A Timelapse from timelapse.npz bytes (TimelapseFileError when damaged or inconsistent)."""
    try:
        with zipfile.ZipFile(io.BytesIO(blob)) as zf:   # declared sizes first: an uncompressed member fits the file
            if any(info.file_size > len(blob) for info in zf.infolist()):
                raise TimelapseFileError(f"{NAME} declares arrays larger than the file itself")
        with np.load(io.BytesIO(blob), allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except TimelapseFileError:
        raise
    except Exception as err:   # not a zip, a pickled array, a bad header, ...
        raise TimelapseFileError(f"{NAME} cannot be read ({type(err).__name__}: {err})") from None
    return _timelapse(arrays)


def _timelapse(a: dict[str, np.ndarray]) -> Timelapse:
    missing = sorted({"index", "method", "n_test", "steps", "epochs", "coords"} - set(a))
    if missing:
        raise TimelapseFileError(f"{NAME} lacks {', '.join(missing)}")
    index, steps, epochs, coords = a["index"], a["steps"], a["epochs"], a["coords"]
    method, n_test = str(a["method"]), a["n_test"]
    p, f = len(index), len(steps)
    if method not in METHODS or n_test.shape != () or index.ndim != 1 or f > MAX_FRAMES:
        raise TimelapseFileError(f"{NAME} is not a time-lapse this version can show")
    if coords.shape != (f, p, 2) or epochs.shape != (f,) or steps.ndim != 1:
        raise TimelapseFileError(f"{NAME}: the frames' shapes do not match ({coords.shape} for {f} frames of {p} points)")
    labels = a.get("labels")
    if labels is not None and labels.shape != (p,):
        raise TimelapseFileError(f"{NAME}: {labels.shape[0] if labels.ndim else 0} labels for {p} points")
    if p and (index.min() < 0 or index.max() >= int(n_test)) or not np.isfinite(coords).all():
        raise TimelapseFileError(f"{NAME}: probe positions or coordinates out of range")
    frames = [Frame(int(s), float(e), coords[i].astype(np.float32)) for i, (s, e) in enumerate(zip(steps, epochs))]
    return Timelapse(index.astype(np.int64), None if labels is None else labels.astype(np.int64), method,
                     int(n_test), frames)
