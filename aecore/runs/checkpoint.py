"""Run folders: `model.safetensors` (weights) + `config.json` (how to rebuild) + `history.json`, and
`timelapse.npz` (aecore.views.timelapse_file) when the run recorded how its space formed.

Loading never unpickles: weights are raw tensors checked name by name and shape by shape against the
model that config.json describes, so a wrong, truncated or mismatched file fails with a clear message.
"""
from __future__ import annotations

import io
import json
import zipfile
import zlib
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_safetensors
from safetensors.torch import save as save_safetensors

from ..budget import ModelTooLarge
from ..config import ModelConfig, TrainConfig, from_dict, to_dict
from ..data.dataset import Provenance
from ..models import Autoencoder
from ..train import DataInfo, Run, Step, make_optimizer, resolve_device
from ..views.timelapse_file import NAME as TIMELAPSE
from ..views.timelapse_file import TimelapseFileError, read_timelapse, timelapse_bytes
from . import history as histories

FORMAT = "latent-lab-run"
FORMAT_VERSION = 1
FILES = ("model.safetensors", "config.json", "history.json")
READ = (*FILES, TIMELAPSE)   # every file a run folder may hold (the time-lapse only when one was recorded)
MAX_CHECKPOINT_BYTES = 512 * 2**20   # far above any model this app trains; stops zip bombs and accidents
# what each file may unpack to; the archive as a whole gets MAX_CHECKPOINT_BYTES (its files counted together)
MAX_FILE_BYTES = {"model.safetensors": MAX_CHECKPOINT_BYTES, "config.json": 2**20, "history.json": histories.MAX_BYTES,
                  TIMELAPSE: 64 * 2**20}   # 50 frames of 2,000 points are 0.8 MB; resumed runs add more
MAX_RATIO, RATIO_MIN_BYTES = 200, 2**20   # as for data zips: weights barely compress, JSON ~10x; a bomb far more


class CheckpointError(ValueError):
    """A run folder or archive cannot be loaded; the message says what is wrong with it."""


def run_files(run: Run, max_steps: int | None = histories.MAX_STEPS) -> dict[str, bytes]:
    """The three files of a run folder, as bytes; the history thinned to `max_steps` (None: all of it, for a
    worker that continues the run and must count steps as the server does)."""
    weights = {k: v.detach().cpu().contiguous() for k, v in run.model.state_dict().items()}
    config = {
        "format": FORMAT, "format_version": FORMAT_VERSION, "id": run.id, "variant": run.variant,
        "model": to_dict(run.model_config), "train": to_dict(run.train_config),
        "data": to_dict(run.data_info), "input_shape": list(run.model.input_shape),
        "value_range": list(run.model.value_range),
        "step": run.step, "epoch": run.epoch, "batch": run.batch,
    }
    history = {"steps": [vars(s) for s in histories.thin(run.history, max_steps)],   # vars: 4x faster than asdict
               "test": run.test_history}
    files = {"model.safetensors": save_safetensors(weights),
             "config.json": json.dumps(config, indent=2).encode(),
             "history.json": json.dumps(history).encode()}
    if run.timelapse is not None and run.timelapse.frames:
        files[TIMELAPSE] = timelapse_bytes(run.timelapse)
    return files


def save_run(run: Run, folder: str | Path) -> Path:
    """Write the run folder (created if needed) and return its path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, blob in run_files(run).items():
        (folder / name).write_bytes(blob)
    return folder


def run_zip(run: Run) -> bytes:
    """The run folder as a zip archive, for a browser download."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, blob in run_files(run).items():
            zf.writestr(name, blob)
    return buf.getvalue()


def load_run(folder: str | Path, device: str = "cpu") -> Run:
    """Rebuild a Run from a folder written by `save_run` (or `python -m aecore train`)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise CheckpointError(f"{folder} is not a folder; a run folder holds {', '.join(FILES)}")
    files, total = {}, 0
    for name in READ:
        path = folder / name
        try:
            if path.exists():
                total = _check_size(name, path.stat().st_size, total)
                files[name] = path.read_bytes()
        except OSError as err:   # a folder named like the file, no permission, ...
            raise CheckpointError(f"{name} in {folder} cannot be read ({err.strerror or err})") from None
    return _guarded(str(folder), lambda: runs_from_files(files, device))


def load_run_bytes(blob: bytes, filename: str = "upload.zip", device: str = "cpu") -> Run:
    """Rebuild a Run from an uploaded zip of a run folder. The archive is read in memory, never extracted."""
    if filename.lower().endswith((".pt", ".pth", ".pkl", ".pickle", ".ckpt", ".bin")):
        raise CheckpointError(f"{filename}: pickled checkpoints are not accepted (unpickling can run code). "
                              "Upload a zip of a run folder: model.safetensors + config.json")
    if not zipfile.is_zipfile(io.BytesIO(blob)):
        raise CheckpointError(f"{filename} is not a zip archive; upload a zip of a run folder "
                              f"({', '.join(FILES)})")
    try:
        with zipfile.ZipFile(io.BytesIO(blob)) as zf:
            files = _read_members(zf)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError, NotImplementedError,
            RuntimeError, ValueError) as err:   # a damaged, encrypted or exotic archive (CheckpointError passes)
        if isinstance(err, CheckpointError):
            raise
        raise CheckpointError(f"{filename}: the archive cannot be read ({type(err).__name__}: {err})") from None
    return _guarded(filename, lambda: runs_from_files(files, device))


def _read_members(zf: zipfile.ZipFile) -> dict[str, bytes]:
    """The run's files in an archive, every one checked before it is unpacked: one of each name, each within its
    own limit and all together within MAX_CHECKPOINT_BYTES (declared sizes first, then the bytes really read)."""
    members = [(info.filename.rsplit("/", 1)[-1], info) for info in zf.infolist()   # a zipped folder nests its
               if not info.is_dir() and info.filename.rsplit("/", 1)[-1] in READ]  # files one level down
    names = [base for base, _ in members]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise CheckpointError(f"the archive holds {', '.join(twice)} more than once; a run folder holds each file once")
    total = 0
    for base, info in members:
        _check_ratio(info, base)
        total = _check_size(base, info.file_size, total, "would unpack to")
    files, total = {}, 0
    for base, info in members:
        with zf.open(info) as f:
            files[base] = f.read(MAX_FILE_BYTES[base] + 1)
        total = _check_size(base, len(files[base]), total, "unpacks to more than")   # declared sizes can lie
    return files


def _check_size(name: str, size: int, total: int, verb: str = "is") -> int:
    """Refuse a file over its own limit, or one that takes the run's files over MAX_CHECKPOINT_BYTES; the new total."""
    if size > MAX_FILE_BYTES[name]:
        raise CheckpointError(f"{name} {verb} {size / 2**20:,.1f} MiB, over the {MAX_FILE_BYTES[name] / 2**20:g} MiB "
                              f"limit for a run's {name}; it was not read")
    if total + size > MAX_CHECKPOINT_BYTES:
        raise CheckpointError(f"the run's files {verb} {(total + size) / 2**20:,.0f} MiB together, over the "
                              f"{MAX_CHECKPOINT_BYTES >> 20} MiB limit for a run")
    return total + size


def _check_ratio(info: zipfile.ZipInfo, base: str) -> None:
    """Refuse a member compressed like a zip bomb, before unpacking it."""
    if info.file_size > RATIO_MIN_BYTES and info.file_size > MAX_RATIO * max(info.compress_size, 1):
        raise CheckpointError(f"{base} declares {info.file_size / 2**20:.0f} MiB from {info.compress_size:,} "
                              f"compressed bytes, over the {MAX_RATIO}:1 limit for a zip member; it was not unpacked")


def _guarded(what: str, load):
    """The boundary with untrusted checkpoints: whatever goes wrong is a CheckpointError, never a traceback."""
    try:
        return load()
    except CheckpointError:
        raise
    except MemoryError:
        raise CheckpointError(f"{what} is too large to load into memory") from None
    except Exception as err:   # a hostile file can fail in ways no check foresaw; it must still be refused
        raise CheckpointError(f"{what} could not be loaded ({type(err).__name__}: {err})") from None


def runs_from_files(files: dict[str, bytes], device: str = "cpu", max_steps: int | None = histories.MAX_STEPS) -> Run:
    """Validate and assemble a Run from the bytes of its files (its history thinned to `max_steps`, as run_files)."""
    for name in ("config.json", "model.safetensors"):
        if name not in files:
            raise CheckpointError(f"{name} is missing; a run folder holds {', '.join(FILES)}")
    config = _parse_config(files["config.json"])
    try:
        model_cfg = from_dict(ModelConfig, config["model"])
        train_cfg = from_dict(TrainConfig, {**config["train"], "device": device})
        info = _data_info(config["data"])
        input_shape, value_range = tuple(config["input_shape"]), tuple(config["value_range"])
        counters = {k: _count(config, k) for k in ("step", "epoch", "batch")}
        with torch.device("meta"):   # shapes only: a config can describe a model too big to allocate
            shell = Autoencoder(model_cfg, input_shape, value_range)
    except (KeyError, TypeError, ValueError, RuntimeError) as err:
        raise CheckpointError(f"config.json does not describe a model this version can build: {err}") from None
    weights = _read_weights(files["model.safetensors"], shell.state_dict())
    try:   # the weights fit the config; now its declared sizes must fit the limits (aecore/budget.py)
        model = Autoencoder(model_cfg, input_shape, value_range)
    except ModelTooLarge as err:
        raise CheckpointError(f"config.json declares a model too large to use here: {err}") from None
    model.load_state_dict(weights)
    dev = resolve_device(device)
    model.to(dev).eval()
    run = Run(model, train_cfg, info, dev, make_optimizer(model, train_cfg),
              variant=str(config.get("variant", "custom")), id=str(config.get("id", "loaded")), **counters)
    if "history.json" in files:
        run.history, run.test_history = _parse_history(files["history.json"], max_steps)
    if TIMELAPSE in files:
        try:
            run.timelapse = read_timelapse(files[TIMELAPSE])
        except TimelapseFileError as err:
            raise CheckpointError(f"{err}; remove {TIMELAPSE} to load the model without its time-lapse") from None
    return run


def _data_info(data: dict) -> DataInfo:
    """config.json's "data"; runs saved before provenance was recorded have none (None), and still load."""
    if not isinstance(data, dict):
        raise TypeError(f"'data' must be an object, got {type(data).__name__}")
    record = data.get("provenance")
    return DataInfo(**{**data, "shape": tuple(data["shape"]), "label_names": tuple(data["label_names"]),
                       "value_range": tuple(data["value_range"]),
                       "provenance": None if record is None else Provenance.from_dict(record).to_dict()})


def _parse_config(blob: bytes) -> dict:
    try:
        config = json.loads(blob)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise CheckpointError(f"config.json is not valid JSON ({err})") from None
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        raise CheckpointError("config.json is not a Latent Lab run config (no \"format\": \"latent-lab-run\")")
    if config.get("format_version") != FORMAT_VERSION:
        raise CheckpointError(f"config.json has format version {config.get('format_version')}; "
                              f"this version of Latent Lab reads version {FORMAT_VERSION}")
    return config


def _count(config: dict, key: str) -> int:
    """A non-negative whole-number counter from config.json (0 when absent)."""
    value = config.get(key, 0)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{key!r} must be a whole number >= 0, got {value!r}")
    return value


def _read_weights(blob: bytes, expected: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The tensors of a safetensors file, checked name by name and shape by shape against `expected`."""
    try:
        weights = load_safetensors(blob)
    except (SafetensorError, ValueError, OSError) as err:
        raise CheckpointError(f"model.safetensors is damaged or truncated ({err})") from None
    missing = sorted(set(expected) - set(weights))
    unexpected = sorted(set(weights) - set(expected))
    if missing or unexpected:
        raise CheckpointError("model.safetensors does not match config.json: "
                              + "; ".join(filter(None, [missing and f"missing {', '.join(missing[:3])}",
                                                        unexpected and f"unexpected {', '.join(unexpected[:3])}"])))
    for name, tensor in weights.items():
        if tensor.shape != expected[name].shape:
            raise CheckpointError(f"model.safetensors does not match config.json: {name} has shape "
                                  f"{tuple(tensor.shape)}, the config builds {tuple(expected[name].shape)}")
        if not tensor.is_floating_point():
            raise CheckpointError(f"model.safetensors holds {tensor.dtype} values in {name}; weights are floats")
        if not torch.isfinite(tensor).all():
            raise CheckpointError(f"model.safetensors holds NaN or infinite values in {name}")
    return weights


def _parse_history(blob: bytes, max_steps: int | None) -> tuple[list[Step], list[dict]]:
    try:
        history = json.loads(blob)
        steps = histories.thin([Step(**s) for s in history.get("steps", [])], max_steps)
        tests = list(history.get("test", []))
        for s in steps:   # the pages plot these: every loss a number, "loss" always there
            _check_losses(s.losses, f"step {s.n}")
            if not all(isinstance(v, (int, float)) for v in (s.n, s.epoch, s.samples_per_s, s.eta_s)):
                raise ValueError(f"step {s.n!r} has counters that are not numbers")
            if s.test is not None:
                _check_losses(s.test, f"the test losses of step {s.n}")
        for t in tests:
            _check_losses(t, "a test entry")
        return steps, tests
    except (UnicodeDecodeError, json.JSONDecodeError, TypeError, AttributeError, ValueError) as err:
        raise CheckpointError(f"history.json is damaged ({err})") from None


def _check_losses(losses, what: str) -> None:
    if not isinstance(losses, dict) or "loss" not in losses:
        raise ValueError(f"{what} has no losses")
    bad = [k for k, v in losses.items() if isinstance(v, bool) or not isinstance(v, (int, float))]
    if bad:
        raise ValueError(f"{what} has losses that are not numbers: {', '.join(map(str, bad[:3]))}")
