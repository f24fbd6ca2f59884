"""Where built-ins are found: content checksums (re-compressed files verify), system folders the tests control,
one-line errors for a missing dataset, and fetching into the cache for offline use."""
from __future__ import annotations

import gzip
import hashlib
import shutil
from pathlib import Path

import pytest
import torch
from helpers import MNIST_NAMES, fake_mnist, serve
from helpers import shared_dataset as shared

from aecore.data import DATASETS, DataError, fetch_all, fetch_dataset, load_dataset
from aecore.data.fetch import Checksum, verify

DEBIAN_FASHION = Path("/usr/share/datasets/fashion-mnist")  # Debian's dataset-fashion-mnist (.ci/run installs it)
FETCH_HINT = "python -m aecore datasets --fetch"
pytestmark = pytest.mark.usefixtures("isolated")   # conftest: no user data, no network


def recompress(src: Path, dest: Path, level: int = 1) -> Path:
    """The same files with different .gz bytes: another level, another timestamp."""
    dest.mkdir(parents=True, exist_ok=True)
    for p in src.glob("*.gz"):
        (dest / p.name).write_bytes(gzip.compress(gzip.decompress(p.read_bytes()), level, mtime=1))
    return dest


def damaged(folder: Path, names=MNIST_NAMES) -> Path:
    """Files whose gzip stream is cut in half."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).write_bytes(gzip.compress(b"\0" * 4096)[:20])
    return folder


# --- content checksums --------------------------------------------------------------------------------

def test_a_checksum_is_of_the_content_so_any_recompression_verifies():
    content = b"published bytes " * 100
    md5 = Checksum("md5", hashlib.md5(content).hexdigest())
    for level in (1, 6, 9):
        assert verify(gzip.compress(content, level, mtime=level), "x.gz", md5) == content


def test_a_truncated_gz_is_called_damaged(tmp_path):
    with pytest.raises(DataError, match="is damaged: its gzip data is cut short.*delete it"):
        load_dataset("mnist", data_dir=str(damaged(tmp_path / "mnist")))


@pytest.mark.slow  # reads and md5s 55 MB
def test_fashion_mnist_from_debians_package(monkeypatch):
    if not DEBIAN_FASHION.is_dir():
        pytest.skip(f"Debian's dataset-fashion-mnist is not installed ({DEBIAN_FASHION} is absent)")
    monkeypatch.delenv("AECORE_SYSTEM_DATA_DIRS")  # the default system folders, as a user has them
    ds = load_dataset("fashion-mnist", allow_download=False)
    assert ds.title == "Fashion-MNIST" and ds.source == f"local:{DEBIAN_FASHION}"
    assert (ds.x_train.shape, ds.x_test.shape) == ((60000, 1, 28, 28), (10000, 1, 28, 28))
    assert torch.bincount(ds.y_train).tolist() == [6000] * 10 and torch.bincount(ds.y_test).tolist() == [1000] * 10
    assert ds.label_names[9] == "Ankle boot" and float(ds.x_train.max()) == 1.0


@pytest.mark.slow
def test_recompressed_mnist_loads(tmp_path):
    folder = recompress(shared("mnist"), tmp_path / "mnist")
    assert load_dataset("mnist", data_dir=str(folder)).source == f"local:{folder}"


# --- system folders -----------------------------------------------------------------------------------

def test_system_folders_are_read_from_the_environment_at_call_time(tmp_path, monkeypatch):
    fake_mnist(tmp_path / "system" / "fashion-mnist")  # MNIST's file names are Fashion-MNIST's too
    monkeypatch.setenv("AECORE_SYSTEM_DATA_DIRS", str(tmp_path / "system"))
    with pytest.raises(DataError, match=str(tmp_path / "system")):
        load_dataset("fashion-mnist", allow_download=False)
    monkeypatch.setenv("AECORE_SYSTEM_DATA_DIRS", "")
    with pytest.raises(DataError, match="not on this computer"):
        load_dataset("fashion-mnist", allow_download=False)


def test_a_damaged_system_file_says_reinstall_not_delete(tmp_path, monkeypatch):
    damaged(tmp_path / "system" / "fashion-mnist")
    monkeypatch.setenv("AECORE_SYSTEM_DATA_DIRS", str(tmp_path / "system"))
    with pytest.raises(DataError, match="damaged.*reinstall that package") as err:
        load_dataset("fashion-mnist", allow_download=False)
    assert "delete" not in str(err.value)


# --- one-line errors ----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["fashion-mnist", "ecg5000"])
@pytest.mark.parametrize("allow_download", [True, False])
def test_a_missing_dataset_is_one_line_naming_the_fetch_command(tmp_path, name, allow_download):
    with pytest.raises(DataError) as err:
        load_dataset(name, data_dir=str(tmp_path), allow_download=allow_download)
    line = str(err.value)
    assert "\n" not in line and f"`{FETCH_HINT} {name}`" in line
    assert str(tmp_path) not in line and "AECORE_" not in line and "/" not in line.split("`")[0]
    assert str(tmp_path) in err.value.details and "AECORE_DATA_DIR" in err.value.details


# --- fetching into the cache --------------------------------------------------------------------------

def test_fetch_downloads_into_the_cache_then_finds_it_there(tmp_path, monkeypatch):
    served = tmp_path / "mirror"
    shutil.copytree(shared("ecg5000"), served)
    with serve(served) as url:
        monkeypatch.setenv("AECORE_ECG5000_URL", url)
        first = fetch_dataset("ecg5000")
    cache = tmp_path / "cache" / "ecg5000"
    assert (first.status, first.where) == ("downloaded", str(cache)) and str(cache) in first.message
    again = fetch_dataset("ecg5000")  # the mirror is gone: found in the cache, verified, nothing downloaded
    assert (again.status, again.where) == ("present", str(cache))
    assert load_dataset("ecg5000", allow_download=False).source == f"cache:{cache}"


def test_fetch_reports_local_copies_and_builtins_without_downloading(tmp_path):
    local = fetch_dataset("ecg5000", data_dir=str(shared("ecg5000").parent))
    assert (local.status, local.where) == ("present", str(shared("ecg5000")))
    sines = fetch_dataset("sines")
    assert sines.status == "built in" and "nothing to fetch" in sines.message
    assert not (tmp_path / "cache").exists()


def test_fetch_failure_is_one_line_with_details():
    with pytest.raises(DataError, match="could not fetch Fashion-MNIST") as err:
        fetch_dataset("fashion-mnist")  # the URL is a closed port
    assert "\n" not in str(err.value) and "127.0.0.1:9" in err.value.details
    with pytest.raises(DataError, match="no-such-set.*mnist"):
        fetch_dataset("no-such-set")


def test_fetch_all_reports_every_dataset_and_carries_on_after_a_failure():
    reports = fetch_all()  # every download URL is a closed port or unset
    assert [r.name for r in reports] == list(DATASETS)
    status = {r.name: r.status for r in reports}
    assert status == {"mnist": "failed", "fashion-mnist": "failed", "ecg5000": "failed",
                      "digits": "built in", "sines": "built in"}
    assert all("\n" not in r.message and (r.details or r.status != "failed") for r in reports)
