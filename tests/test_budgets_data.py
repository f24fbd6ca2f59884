"""Budgets before work (issue 18): data files are counted while they are parsed (samples, values, memory, image
files) and refused early, each refusal naming its limit and the AECORE_* variable that raises it; a legal upload's
peak memory stays within a stated multiple of its size. Hostile files come from tests/corpus/make_corpus.py."""
from __future__ import annotations

import importlib.util
import io
import json
import os
import subprocess
import sys
import time
import tracemalloc

import numpy as np
import pytest
from helpers import ROOT, shared_dataset

from aecore.data import DataError, DataLimits, load_file, load_path


def _generators():
    spec = importlib.util.spec_from_file_location("make_corpus", ROOT / "tests" / "corpus" / "make_corpus.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make = _generators()


def refused(load, *needles: str, seconds: float = 2.0, peak_mb: float | None = None) -> str:
    """Run `load`, which must raise a DataError naming `needles` within `seconds`; with `peak_mb`, once more under
    tracemalloc (which sees numpy's buffers too), whose peak must stay under it."""
    t0 = time.perf_counter()
    with pytest.raises(DataError) as err:
        load()
    elapsed = time.perf_counter() - t0
    assert elapsed < seconds, f"refused after {elapsed:.1f} s"
    for needle in needles:
        assert needle in str(err.value)
    if peak_mb is not None:
        tracemalloc.start()
        try:
            with pytest.raises(DataError):
                load()
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert peak < peak_mb * 2**20, f"peak {peak / 2**20:.1f} MB while refusing"
    return str(err.value)


def npy_header(shape: tuple[int, ...], dtype: str = "|u1", body: bytes = b"\0" * 1024) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": dtype, "fortran_order": False, "shape": shape})
    return buf.getvalue() + body


def test_an_npy_is_refused_on_its_header_before_its_data_is_read():
    """The issue's 191 MB .npy: 98,000 images of 44x44 bytes, 724 MB once float32. Its body is cut to 1 KB here,
    so only a check of the header's shape x dtype can give this message (a read would say 'truncated')."""
    message = refused(lambda: load_file(npy_header((98_000, 44, 44)), "big.npy"), "723.8 MB, over the 256 MB limit",
                      "AECORE_MAX_DATA_MB")
    assert "98,000 samples of 1,936 values" in message


def test_full_mnist_fits_the_memory_limit():
    DataLimits().check_memory(70_000, 784, "MNIST as an .npz")


def test_a_csv_of_millions_of_rows_stops_one_row_past_the_limit(tmp_path):
    path = make.write_tall_csv(tmp_path / "tall.csv", 2_000_000)
    blob = path.read_bytes()
    refused(lambda: load_file(blob, "tall.csv"), "more than 100,000 samples", "AECORE_MAX_SAMPLES", peak_mb=6)


def test_a_wide_csv_stops_at_the_memory_limit(tmp_path):
    path = make.write_wide_csv(tmp_path / "wide.csv", 2_000, 200)
    limits = DataLimits(max_memory=2**20)   # 1 MB: 1,310 rows of 200 float32 values
    refused(lambda: load_file(path.read_bytes(), "wide.csv", limits), "more than the 1 MB limit", "more than 1,310 samples",
            "AECORE_MAX_DATA_MB")
    assert load_file(path.read_bytes(), "wide.csv").shape == (200,)   # the default limits take it


@pytest.mark.parametrize("n", [25, 100])   # 100: past twice the limit, counted from the zip's end record alone
def test_a_zip_of_many_images_is_counted_before_any_is_decoded(tmp_path, n):
    path = make.write_png_zip(tmp_path / "many.zip", n)
    refused(lambda: load_file(path.read_bytes(), "many.zip", DataLimits(max_files=20)),
            f"holds {n} image files", "limit of 20", "AECORE_MAX_FILES")


@pytest.mark.slow   # writing the 99,000 entries takes seconds; refusing them, milliseconds (11 s before)
def test_the_issue_s_99000_pngs_are_refused_before_their_directory_is_parsed(tmp_path):
    path = make.write_png_zip(tmp_path / "pngs.zip", 99_000)
    refused(lambda: load_file(path.read_bytes(), "pngs.zip"), "99,000 image files", "AECORE_MAX_FILES", seconds=1)


def test_a_folder_of_many_images_is_counted_before_any_is_read(tmp_path):
    image = make.png((8, 8))
    for i in range(25):
        (tmp_path / f"{i}.png").write_bytes(image)
    refused(lambda: load_path(tmp_path, DataLimits(max_files=20)), "25 image files", "AECORE_MAX_FILES")


def test_images_are_held_to_the_memory_limit_before_they_are_decoded(tmp_path):
    path = make.write_png_zip(tmp_path / "big.zip", 40, (64, 64))
    refused(lambda: load_file(path.read_bytes(), "big.zip", DataLimits(max_memory=512 * 1024)),
            "40 samples of 4,096 values", "AECORE_MAX_DATA_MB")


def test_the_new_limits_are_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("AECORE_MAX_DATA_MB", "512")
    monkeypatch.setenv("AECORE_MAX_FILES", "70000")
    limits = DataLimits.from_env()
    assert (limits.max_memory, limits.max_files) == (512 * 2**20, 70_000)


# --- legitimate data still loads ----------------------------------------------------------------------------------
def test_ecg5000_and_odds_load_as_uploads():
    ecg = load_path(shared_dataset("ecg5000") / "ECG5000_TRAIN.tsv")
    assert len(ecg.x_train) + len(ecg.x_test) == 500
    cardio = load_path(shared_dataset("odds_anomaly") / "cardio.csv")
    assert len(cardio.x_train) + len(cardio.x_test) > 1000


@pytest.mark.slow
def test_full_mnist_loads_as_an_upload_folder():
    data = load_path(shared_dataset("mnist"))
    assert (len(data.x_train), len(data.x_test), data.shape) == (60_000, 10_000, (1, 28, 28))


# --- the memory an upload costs, measured -------------------------------------------------------------------------
CHILD = r"""
import json, os, resource, sys
import psutil
from aecore.data import load_file
load_file(open(sys.argv[2], "rb").read(), "good.csv")   # every lazy import done before measuring
blob = open(sys.argv[1], "rb").read()                   # the upload: Streamlit holds these bytes already
rss0 = psutil.Process().memory_info().rss
open("/proc/self/clear_refs", "w").write("5")   # Linux: the peak (VmHWM) starts again from here
data = load_file(blob, os.path.basename(sys.argv[1]))
peak = next(int(line.split()[1]) * 1024 for line in open("/proc/self/status") if line.startswith("VmHWM")) - rss0
print(json.dumps({"peak": peak, "size": len(blob), "n": len(data.x_train) + len(data.x_test)}))
"""


def peak_multiple(path) -> float:
    """Peak RSS of loading `path` in a fresh process, above its level before, as a multiple of the file's size."""
    done = subprocess.run([sys.executable, "-c", CHILD, str(path), str(ROOT / "tests" / "corpus" / "good.csv")],
                          capture_output=True, text=True, cwd=ROOT, timeout=300,
                          env={**os.environ, "OMP_NUM_THREADS": "1"}, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return result["peak"] / result["size"]


# The stated budgets: peak memory above the upload's own bytes, as a multiple of the file. Measured (issue 18):
# float32 .npy 5.0x before -> 2.8x; uint8 images 9.0x -> 4.2x (4x is float32 itself); CSV 7.3x -> 2.9x.
@pytest.mark.slow
@pytest.mark.parametrize("kind, budget", [("float32.npy", 4.0), ("uint8-images.npy", 5.0), ("table.csv", 4.0)])
def test_a_legal_upload_peaks_within_its_memory_budget(tmp_path, kind, budget):
    path = tmp_path / kind
    if kind == "float32.npy":
        np.save(path, np.random.default_rng(0).normal(size=(20_000, 500)).astype(np.float32))   # 38 MB
    elif kind == "uint8-images.npy":
        make.write_big_npy(path, (40_000, 28, 28))                                              # 30 MB
    else:
        make.write_wide_csv(path, 20_000, 100)                                                  # 14 MB
    assert peak_multiple(path) <= budget
