"""Load a user's file or folder (upload bytes or a local path) into a Dataset; every failure is a DataError.

An upload's file name only picks the format and the title. It is never used as a path: uploads are parsed
in memory, and archives are read member by member without extracting anything.
"""
from __future__ import annotations

import io
import os
from collections.abc import Callable
from pathlib import Path, PurePosixPath

import numpy as np

from .arrays import Parsed, build_dataset
from .dataset import DataError, Dataset
from .idx import idx_shape, looks_like_idx, parse_idx
from .images import IMAGE_EXTENSIONS, parse_images
from .limits import DataLimits
from .tabular import parse_csv
from .unpack import GZIP_MAGIC, gunzip, zip_members

SUPPORTED = (".npy, .npz, .csv/.tsv/.txt, IDX (.idx or *-ubyte, optionally .gz), "
             "a .zip of PNG/JPEG images, or a folder of IDX files or images")
PICKLE_EXTENSIONS = (".pt", ".pth", ".pkl", ".pickle", ".ckpt", ".joblib")
NPY_MAGIC = b"\x93NUMPY"
ZIP_MAGIC = b"PK\x03\x04"
X_KEYS, Y_KEYS = ("x", "X", "x_train", "X_train"), ("y", "Y", "y_train", "Y_train")


def load_file(data: bytes | str | Path, filename: str, limits: DataLimits | None = None) -> Dataset:
    """Load an upload (bytes plus the user's file name) or a local file; `filename` only names the format."""
    name = PurePosixPath(str(filename).replace("\\", "/")).name or "upload"

    def load(lim: DataLimits) -> Dataset:
        content = _read(Path(data), name, lim) if isinstance(data, (str, Path)) else bytes(data)
        return build_dataset(parse_bytes(content, name, lim), name, f"file:{name}", lim)

    return _guarded(name, load, limits)


def load_path(path: str | Path, limits: DataLimits | None = None) -> Dataset:
    """Load a local file, or a folder of IDX files or images."""
    p = Path(path).expanduser()
    name = p.name or str(p)

    def load(lim: DataLimits) -> Dataset:
        if p.is_dir():
            parsed = parse_folder(p, name, lim)
        elif p.is_file():
            parsed = parse_bytes(_read(p, name, lim), name, lim)
        else:
            raise DataError(f"{path}: no such file or folder")
        return build_dataset(parsed, name, f"file:{p.absolute()}", lim)  # absolute: a run finds it from anywhere

    return _guarded(name, load, limits)


def _guarded(name: str, load: Callable[[DataLimits], Dataset], limits: DataLimits | None) -> Dataset:
    """The boundary with untrusted input: whatever goes wrong reaches the page as a DataError, never a traceback."""
    try:
        return load(limits or DataLimits.from_env())
    except DataError:
        raise
    except MemoryError:
        raise DataError(f"{name} is too large to load into memory; "
                        "lower AECORE_MAX_SAMPLES or upload less data") from None
    except Exception as e:  # parsers of hostile files fail in many ways; each should become a clear message
        raise DataError(f"{name} could not be read ({type(e).__name__}: {e})") from e


def _read(path: Path, name: str, limits: DataLimits) -> bytes:
    limits.check_bytes(path.stat().st_size, name)  # before reading, so a huge file is never pulled into memory
    return path.read_bytes()


def parse_bytes(data: bytes, name: str, limits: DataLimits) -> Parsed:
    """Pick a reader from the file name (or, for unknown extensions, from the first bytes) and run it."""
    limits.check_bytes(len(data), name)
    if not data:
        raise DataError(f"{name} is empty (0 bytes)")
    lower = name.lower()
    if lower.endswith(PICKLE_EXTENSIONS) or _is_pickle(data):
        raise _pickled(name)
    if lower.endswith(".gz"):
        return parse_bytes(gunzip(data, limits.max_bytes, name), name[:-3], limits)
    if lower.endswith(".npy"):
        return Parsed(x=read_npy(data, name, limits), kind=_forced_kind(lower))
    if lower.endswith(".npz"):
        return _parse_npz(data, name, limits)
    if lower.endswith((".csv", ".txt")):
        return parse_csv(data, name, limits)
    if lower.endswith(".tsv"):
        return parse_csv(data, name, limits, delimiter="\t")
    if lower.endswith(".zip"):
        return _parse_zip(data, name, limits)
    if _is_idx_name(lower):
        return Parsed(x=_read_idx(data, name, limits))
    if lower.endswith(IMAGE_EXTENSIONS):
        return parse_images([(name, data)], name, limits)
    return _sniff(data, name, limits)


def _sniff(data: bytes, name: str, limits: DataLimits) -> Parsed:
    """An unknown extension: trust the content's magic number, else refuse."""
    if data.startswith(NPY_MAGIC):
        return parse_bytes(data, name + ".npy", limits)
    if data.startswith(ZIP_MAGIC):
        return parse_bytes(data, name + ".zip", limits)
    if data.startswith(GZIP_MAGIC):
        return parse_bytes(gunzip(data, limits.max_bytes, name), name, limits)
    if looks_like_idx(data):
        return Parsed(x=_read_idx(data, name, limits))
    raise DataError(f"{name} is not a recognised data format; upload {SUPPORTED}")


def _is_pickle(data: bytes) -> bool:
    return len(data) > 1 and data[0] == 0x80 and 2 <= data[1] <= 5  # PROTO opcode, protocols 2 to 5


def _pickled(name: str) -> DataError:
    return DataError(
        f"{name}: pickled PyTorch/pickle files are not accepted, because loading one can run arbitrary code; "
        f"convert the data to .npy, .npz or .csv (e.g. np.save('data.npy', tensor.numpy()))")


def _forced_kind(lower: str) -> str | None:
    return "sequence" if lower.endswith((".seq.npy", ".seq.npz")) else None


def _is_idx_name(lower: str) -> bool:
    return lower.endswith(("-ubyte", ".idx")) or lower.endswith((".idx1", ".idx2", ".idx3", ".idx4"))


def read_npy(data: bytes, what: str, limits: DataLimits) -> np.ndarray:
    """Read a .npy without pickle, checking shape and dtype from the header before loading the data."""
    f = io.BytesIO(data)
    try:
        version = np.lib.format.read_magic(f)
        header = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}
        if version not in header:
            raise ValueError(f"unsupported .npy version {version}")
        shape, fortran_order, dtype = header[version](f)
    except ValueError as e:
        raise DataError(f"{what} is not a valid .npy file ({e})") from None
    if dtype.hasobject:
        raise DataError(f"{what} holds Python objects: pickled data is not accepted; save a numeric array instead")
    if dtype.kind not in "biufUS" or dtype.fields:
        raise DataError(f"{what} holds {dtype} values; only numeric (or, for labels, text) arrays can be used")
    _check_array_shape(shape, what, limits)
    count = int(np.prod(shape, dtype=np.int64))
    expected = f.tell() + count * dtype.itemsize
    if len(data) < expected:
        raise DataError(f"{what} is truncated: its header promises {expected:,} bytes but the file has {len(data):,}")
    # a read-only view of the upload's bytes, as np.load would read them but without its copy (+1x the file)
    return np.frombuffer(data, dtype, count=count, offset=f.tell()).reshape(shape, order="F" if fortran_order else "C")


def _check_array_shape(shape: tuple[int, ...], what: str, limits: DataLimits) -> None:
    """From a header, before any data is read: samples, values per sample, and the memory they will take."""
    features = int(np.prod(shape[1:], dtype=np.int64)) if len(shape) > 1 else 1
    if shape:
        limits.check_samples(int(shape[0]), what)
    if len(shape) > 1:
        limits.check_features(features, what)
    if shape:
        limits.check_memory(int(shape[0]), features, what)


def _parse_npz(data: bytes, name: str, limits: DataLimits) -> Parsed:
    arrays = {}
    for member, content in zip_members(data, name, limits):
        if not member.endswith(".npy"):
            raise DataError(f"{name}: entry {member!r} is not a .npy array; is this really an .npz file?")
        arrays[member[:-4]] = read_npy(content, f"{name}[{member[:-4]}]", limits)
    x_key = next((k for k in X_KEYS if k in arrays), next(iter(arrays)) if len(arrays) == 1 else None)
    if x_key is None:
        raise DataError(f"{name} needs an array named 'x' (found {', '.join(sorted(arrays)) or 'none'}); "
                        f"save it with np.savez(path, x=..., y=..., x_test=..., y_test=...)")
    pick = lambda keys: next((arrays[k] for k in keys if k in arrays), None)  # noqa: E731
    return Parsed(x=arrays[x_key], y=pick(Y_KEYS), x_test=pick(("x_test", "X_test")),
                  y_test=pick(("y_test", "Y_test")), kind=_forced_kind(name.lower()))


def _parse_zip(data: bytes, name: str, limits: DataLimits) -> Parsed:
    members = zip_members(data, name, limits, images=True)
    if any(m.endswith("data.pkl") for m, _ in members):  # torch.save's zip format
        raise _pickled(name)
    return parse_images(members, name, limits)


def _read_idx(data: bytes, what: str, limits: DataLimits) -> np.ndarray:
    _check_array_shape(idx_shape(data, what), what, limits)
    return parse_idx(data, what)


def parse_folder(folder: Path, what: str, limits: DataLimits) -> Parsed:
    """A folder of IDX files (*images* / *labels*, train and t10k/test), or of images (labels from subfolders)."""
    files = sorted(Path(root, f) for root, _, names in os.walk(folder) for f in names if not f.startswith("."))
    limits.check_samples(len(files), what)
    limits.check_bytes(sum(p.stat().st_size for p in files), what)
    idx_files = [p for p in files if _is_idx_name(p.name.lower().removesuffix(".gz"))]
    if idx_files:
        return _parse_idx_folder(idx_files, what, limits)
    limits.check_files(len(files), what)   # before any is read
    return parse_images([(p.relative_to(folder).as_posix(), p.read_bytes()) for p in files], what, limits)


def _parse_idx_folder(files: list[Path], what: str, limits: DataLimits) -> Parsed:
    found: dict[tuple[str, str], Path] = {}
    for p in files:
        lower = p.name.lower()
        key = ("test" if "t10k" in lower or "test" in lower else "train", "labels" if "label" in lower else "images")
        if key in found:
            raise DataError(f"{what}: both {found[key].name} and {p.name} look like the {key[0]} {key[1]}; keep one")
        found[key] = p

    def array(split: str, role: str) -> np.ndarray | None:
        p = found.get((split, role))
        if p is None:
            return None
        data = _read(p, p.name, limits)
        if p.name.lower().endswith(".gz"):
            data = gunzip(data, limits.max_bytes, p.name)
        return _read_idx(data, p.name, limits)

    x = array("train", "images")
    if x is None:
        raise DataError(f"{what} has IDX files but no training images (a file named like 'train-images-idx3-ubyte')")
    return Parsed(x=x, y=array("train", "labels"), x_test=array("test", "images"), y_test=array("test", "labels"))
