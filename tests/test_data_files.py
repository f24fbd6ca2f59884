"""User files: every format, the shape rules, the limits, and the bad-file corpus in tests/corpus/."""
from __future__ import annotations

import gzip
import io
import json
import pickle
import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from aecore.data import DataError, DataLimits, files, load_dataset, load_file

CORPUS = Path(__file__).parent / "corpus"
EXPECTED = json.loads((CORPUS / "EXPECTED.json").read_text())
SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"
LIMITS = DataLimits()  # the defaults, whatever the environment says


def npy(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array)
    return buf.getvalue()


def npz(**arrays: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def png(size=(8, 8), mode="L", value=100) -> bytes:
    buf = io.BytesIO()
    Image.new(mode, size, value if mode == "L" else (value, 0, 0)).save(buf, format="PNG")
    return buf.getvalue()


def zipped(members: dict[str, bytes], compression: int = zipfile.ZIP_STORED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def idx(array: np.ndarray) -> bytes:
    return (bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
            + array.astype(np.uint8).tobytes())


def csv_text(rows: list[list], header: list[str] | None = None) -> bytes:
    lines = ([",".join(header)] if header else []) + [",".join(str(v) for v in r) for r in rows]
    return ("\n".join(lines) + "\n").encode()


# --- the corpus ------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_file_gives_its_expected_error(name):
    with pytest.raises(DataError) as upload:
        load_file((CORPUS / name).read_bytes(), name, LIMITS)
    assert EXPECTED[name] in str(upload.value)
    with pytest.raises(DataError) as local:
        load_dataset(str(CORPUS / name), limits=LIMITS)
    assert EXPECTED[name] in str(local.value)


def test_corpus_files_are_small_and_all_listed():
    bad = {p.name for p in CORPUS.iterdir()} - {"EXPECTED.json", "make_corpus.py", "good.csv", "good.npz",
                                                 "__pycache__", "recompressed.csv.gz",
                                                 "checkpoints",   # the bad-checkpoint corpus: its own EXPECTED.json
                                                 "runs"}          # runs whose data is gone: likewise
    assert bad == set(EXPECTED)
    assert all(p.stat().st_size < 64_000 for p in CORPUS.iterdir())


def test_good_csv():
    ds = load_file((CORPUS / "good.csv").read_bytes(), "good.csv", LIMITS)
    assert ds.kind == "vector" and (ds.x_train.shape, ds.x_test.shape) == ((40, 6), (10, 6))
    assert ds.label_names == ("cat", "dog") and torch.bincount(ds.y_test).tolist() == [5, 5]
    assert torch.allclose(ds.x_train.mean(0), torch.zeros(6), atol=1e-5)  # standardised on the train split
    assert torch.allclose(ds.x_train.std(0, unbiased=False), torch.ones(6), atol=1e-4)
    every = torch.cat([ds.x_train, ds.x_test])
    assert ds.value_range == (float(every.min()), float(every.max()))
    assert ds.name == ds.title == "good.csv" and ds.source == "file:good.csv"


def test_a_recompressed_gz_loads_as_its_content():
    """Other .gz bytes (level, name and timestamp in the header) around the same CSV: the same data."""
    good = load_file((CORPUS / "good.csv").read_bytes(), "good.csv", LIMITS)
    again = load_dataset(str(CORPUS / "recompressed.csv.gz"), limits=LIMITS)
    assert gzip.compress((CORPUS / "good.csv").read_bytes()) != (CORPUS / "recompressed.csv.gz").read_bytes()
    assert torch.equal(again.x_test, good.x_test) and torch.equal(again.y_test, good.y_test)
    assert again.provenance.test_digest == good.provenance.test_digest


def test_good_npz_keeps_its_own_test_split():
    ds = load_file(CORPUS / "good.npz", "good.npz", LIMITS)
    assert ds.kind == "image" and (ds.x_train.shape, ds.x_test.shape) == ((60, 1, 8, 8), (15, 1, 8, 8))
    raw = np.load(CORPUS / "good.npz")
    assert torch.equal(ds.x_test[:, 0], torch.from_numpy(raw["x_test"] / np.float32(255)))
    assert ds.label_names == ("0", "1", "2") and ds.y_test.tolist() == (np.arange(15) % 3).tolist()


def test_odds_cardio_csv():
    path = SHARED / "odds_anomaly" / "cardio.csv"
    if not path.exists():
        pytest.skip(f"{path} not present")
    ds = load_dataset(str(path))
    assert ds.kind == "vector" and ds.shape == (21,) and len(ds.x_train) + len(ds.x_test) == 1831
    assert ds.label_names == ("0", "1") and int(ds.y_train.sum() + ds.y_test.sum()) == 176
    assert int(ds.y_test.sum()) == 35  # stratified: 20% of the outliers
    assert ds.source == f"file:{path}"


# --- shapes and kinds ------------------------------------------------------------------------------

def test_2d_array_is_vectors():
    ds = load_file(npy(np.random.default_rng(0).normal(size=(50, 5))), "v.npy", LIMITS)
    assert ds.kind == "vector" and (ds.x_train.shape, ds.x_test.shape) == ((40, 5), (10, 5)) and ds.y_train is None


def test_3d_uint8_is_grayscale_images_scaled():
    x = np.random.default_rng(0).integers(0, 256, (20, 28, 28), dtype=np.uint8)
    ds = load_file(npy(x), "img.npy", LIMITS)
    assert ds.kind == "image" and ds.shape == (1, 28, 28) and float(ds.x_train.max()) <= 1.0
    assert ds.value_range == (0.0, 1.0)


def test_3d_narrow_or_signed_is_sequences():
    x = np.random.default_rng(0).normal(size=(20, 140, 1)).astype(np.float32)
    assert load_file(npy(x), "ecg.npy", LIMITS).kind == "sequence"
    assert load_file(npy(x.reshape(20, 14, 10)), "signed.npy", LIMITS).kind == "sequence"  # negative: not pixels


def test_seq_suffix_forces_sequences():
    x = np.random.default_rng(0).random((20, 16, 16))
    ds = load_file(npy(x), "walks.seq.npy", LIMITS)
    assert ds.kind == "sequence" and ds.shape == (16, 16)
    assert load_file(npy(x[:, :, 0]), "walks.seq.npy", LIMITS).shape == (16, 1)


def test_4d_channels_last_becomes_channels_first():
    x = np.random.default_rng(0).random((12, 10, 9, 3)).astype(np.float32)
    ds = load_file(npy(x), "rgb.npy", LIMITS)
    assert ds.shape == (3, 10, 9)
    whole = torch.cat([ds.x_train, ds.x_test])
    assert np.isclose(float(whole.sum()), float(x.sum()), rtol=1e-5)  # kept in [0, 1], not rescaled


def test_4d_with_non_pixel_values_is_refused():
    with pytest.raises(DataError, match=r"\[0, 1\] or \[0, 255\]"):
        load_file(npy(np.full((12, 1, 8, 8), -1.0)), "neg.npy", LIMITS)


def test_1d_array_is_refused():
    with pytest.raises(DataError, match="samples, features"):
        load_file(npy(np.arange(50.0)), "flat.npy", LIMITS)


def test_npz_string_labels_become_sorted_names():
    x = np.random.default_rng(0).normal(size=(30, 4))
    y = np.array(["zebra", "ant", "moth"] * 10)
    ds = load_file(npz(x=x, y=y), "bugs.npz", LIMITS)
    assert ds.label_names == ("ant", "moth", "zebra")
    assert torch.bincount(torch.cat([ds.y_train, ds.y_test])).tolist() == [10, 10, 10]


def test_npz_without_x_names_what_it_found():
    with pytest.raises(DataError, match="needs an array named 'x' .*arr_0, arr_1"):
        load_file(npz(arr_0=np.zeros((20, 2)), arr_1=np.zeros(20)), "anon.npz", LIMITS)


def test_npz_with_pickled_member():
    data = zipped({"x.npy": (CORPUS / "pickled.npy").read_bytes()})
    with pytest.raises(DataError, match="pickled data is not accepted"):
        load_file(data, "sneaky.npz", LIMITS)


def test_fractional_labels_are_refused():
    with pytest.raises(DataError, match="not a whole number"):
        load_file(npz(x=np.zeros((20, 2)), y=np.linspace(0, 1, 20)), "soft.npz", LIMITS)


# --- CSV -------------------------------------------------------------------------------------------

def test_csv_without_header_and_text_labels_last():
    rows = [[i, i * 2, "odd" if i % 2 else "even"] for i in range(20)]
    ds = load_file(csv_text(rows), "plain.csv", LIMITS)
    assert ds.shape == (2,) and ds.label_names == ("even", "odd") and len(ds.x_train) + len(ds.x_test) == 20


def test_csv_named_label_column_anywhere_numeric_labels_sort_numerically():
    rows = [[i % 11, i, -i] for i in range(22)]
    ds = load_file(csv_text(rows, ["target", "a", "b"]), "t.csv", LIMITS)
    assert ds.shape == (2,) and ds.label_names == tuple(str(i) for i in range(11))


def test_csv_numeric_header_names_still_a_header():
    rows = [[i, i + 1, i % 2] for i in range(20)]
    ds = load_file(csv_text(rows, ["0", "1", "label"]), "pandas.csv", LIMITS)
    assert ds.shape == (2,) and ds.label_names == ("0", "1")


@pytest.mark.parametrize("name, sep", [("tabs.tsv", "\t"), ("semi.csv", ";"), ("savetxt.txt", "  ")])
def test_csv_delimiters(name, sep):
    data = "\n".join(sep.join(str(i + j) for j in range(3)) for i in range(15)).encode()
    assert load_file(data, name, LIMITS).shape == (3,)


def test_np_savetxt_output_loads():
    buf = io.BytesIO()
    np.savetxt(buf, np.random.default_rng(0).normal(size=(15, 3)))
    assert load_file(buf.getvalue(), "saved.txt", LIMITS).shape == (3,)


def test_csv_empty_cell_names_row_and_column():
    rows = [[1, 2, 3]] * 12
    text = csv_text(rows, ["a", "b", "c"]).replace(b"1,2,3\n", b"1,,3\n", 1)
    with pytest.raises(DataError, match="row 2, column 2 is an empty cell"):
        load_file(text, "holes.csv", LIMITS)


def test_csv_header_only():
    with pytest.raises(DataError, match="no data rows"):
        load_file(b"a,b,c\n", "header.csv", LIMITS)


def test_binary_data_named_csv():
    with pytest.raises(DataError, match="binary data"):
        load_file(b"\x00\x01\x02" * 10, "fake.csv", LIMITS)


def test_gzipped_csv():
    rows = [[i, i * 3.5] for i in range(20)]
    assert load_file(gzip.compress(csv_text(rows)), "data.csv.gz", LIMITS).shape == (2,)


# --- limits ----------------------------------------------------------------------------------------

def test_too_many_samples_is_caught_from_the_npy_header():
    with pytest.raises(DataError, match="AECORE_MAX_SAMPLES"):
        load_file(npy(np.zeros((200, 3))), "long.npy", DataLimits(max_samples=100))


def test_too_many_features_in_npy():
    with pytest.raises(DataError, match="AECORE_MAX_FEATURES"):
        load_file(npy(np.zeros((20, 3, 40, 40), np.uint8)), "big.npy", DataLimits(max_features=4000))


def test_too_many_bytes_for_upload_and_path(tmp_path):
    data = csv_text([[i, i] for i in range(100)])
    with pytest.raises(DataError, match="AECORE_MAX_UPLOAD_MB"):
        load_file(data, "a.csv", DataLimits(max_bytes=100))
    (tmp_path / "a.csv").write_bytes(data)
    with pytest.raises(DataError, match="AECORE_MAX_UPLOAD_MB"):
        load_dataset(str(tmp_path / "a.csv"), limits=DataLimits(max_bytes=100))


def test_limits_default_to_the_environment(monkeypatch):
    monkeypatch.setenv("AECORE_MAX_SAMPLES", "15")
    with pytest.raises(DataError, match="more than the limit of 15"):
        load_file(npy(np.zeros((20, 3))), "env.npy")


def test_gzip_bomb_is_capped():
    with pytest.raises(DataError, match="expands to more than"):
        load_file(gzip.compress(bytes(3 * 2**20)), "zeros.csv.gz", DataLimits(max_bytes=2**20))


def test_zip_whose_total_is_over_the_limit():
    data = zipped({f"{i}.png": bytes(10_000) for i in range(12)}, zipfile.ZIP_DEFLATED)  # 120 KB in ~2 KB
    with pytest.raises(DataError, match=r"imgs.zip \(uncompressed\) is 117.2 KB, "
                                        r"over the 48.8 KB limit.*AECORE_MAX_UPLOAD_MB"):
        load_file(data, "imgs.zip", DataLimits(max_bytes=50_000))


# --- images, IDX, folders --------------------------------------------------------------------------

def test_zip_of_images_labelled_by_subfolder_in_majority_mode():
    members = {f"set/{c}/{i}.png": png(mode="RGB" if i == 0 else "L") for c in ("cat", "dog") for i in range(6)}
    members["__MACOSX/._junk"] = b"resource fork"
    ds = load_file(zipped(members), "pets.zip", LIMITS)
    assert ds.kind == "image" and ds.shape == (1, 8, 8) and ds.label_names == ("cat", "dog")
    assert torch.bincount(ds.y_test).tolist() == [1, 1]


def test_rgb_majority_gives_three_channels():
    members = {f"{i}.png": png(mode="RGB") for i in range(10)} | {"gray.png": png()}
    ds = load_file(zipped(members), "rgb.zip", LIMITS)
    assert ds.shape == (3, 8, 8) and ds.y_train is None


@pytest.mark.parametrize("entry", ["/etc/evil.png", "C:/evil.png", "a/../../evil.png"])
def test_zip_unsafe_paths(entry):
    members = {f"{i}.png": png() for i in range(10)} | {entry: png()}
    with pytest.raises(DataError, match="unsafe path"):
        load_file(zipped(members), "bad.zip", LIMITS)


def test_zip_symlink_entry_is_refused():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        link = zipfile.ZipInfo("link.png")
        link.external_attr = (0o120777 << 16)
        zf.writestr(link, "/etc/passwd")
    with pytest.raises(DataError, match="symbolic link"):
        load_file(buf.getvalue(), "links.zip", LIMITS)


def test_not_a_zip():
    with pytest.raises(DataError, match="not a valid zip"):
        load_file(b"PK but not really", "broken.zip", LIMITS)


def test_folder_of_images(tmp_path):
    for c in ("a", "b"):
        (tmp_path / c).mkdir()
        for i in range(6):
            (tmp_path / c / f"{i}.jpg").write_bytes(_jpeg(40 * i))
    ds = load_dataset(str(tmp_path))
    assert ds.shape == (1, 9, 9) and ds.label_names == ("a", "b") and ds.source == f"file:{tmp_path}"


def _jpeg(value: int) -> bytes:
    buf = io.BytesIO()
    Image.new("L", (9, 9), value).save(buf, format="JPEG")
    return buf.getvalue()


def test_folder_of_idx_files(tmp_path):
    rng = np.random.default_rng(0)
    (tmp_path / "train-images-idx3-ubyte.gz").write_bytes(gzip.compress(idx(rng.integers(0, 256, (30, 8, 8)))))
    (tmp_path / "train-labels-idx1-ubyte.gz").write_bytes(gzip.compress(idx(np.arange(30) % 3)))
    (tmp_path / "t10k-images-idx3-ubyte").write_bytes(idx(rng.integers(0, 256, (9, 8, 8))))
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(idx(np.arange(9) % 3))
    ds = load_dataset(str(tmp_path))
    assert (ds.x_train.shape, ds.x_test.shape) == ((30, 1, 8, 8), (9, 1, 8, 8)) and ds.y_test.tolist() == [0, 1, 2] * 3


def test_single_idx_upload():
    ds = load_file(idx(np.full((12, 8, 8), 255)), "my-images-idx3-ubyte", LIMITS)
    assert ds.kind == "image" and float(ds.x_train.min()) == 1.0 and len(ds.x_train) + len(ds.x_test) == 12


def test_idx_sniffed_without_extension():
    assert load_file(idx(np.zeros((12, 8, 8))), "upload", LIMITS).kind == "image"


# --- hostile names and pickles ---------------------------------------------------------------------

def test_file_name_is_never_a_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    data = csv_text([[i, i] for i in range(12)])
    ds = load_file(data, "../../etc/passwd.csv", LIMITS)
    assert ds.name == "passwd.csv" and ds.source == "file:passwd.csv"
    assert load_file(data, "C:\\Users\\me\\x.csv", LIMITS).name == "x.csv"
    assert list(tmp_path.iterdir()) == []  # nothing written


@pytest.mark.parametrize("name", ["weights.pth", "frame.pkl", "data.dat"])
def test_pickles_are_refused_whatever_the_name(name):
    with pytest.raises(DataError, match="pickled PyTorch/pickle files are not accepted"):
        load_file(pickle.dumps({"x": [1, 2, 3]}), name, LIMITS)


def test_torch_save_zip_is_refused():
    buf = io.BytesIO()
    torch.save({"x": torch.zeros(3)}, buf)
    with pytest.raises(DataError, match="not accepted"):
        load_file(buf.getvalue(), "tensor.bin", LIMITS)


def test_unexpected_failures_still_become_data_errors(monkeypatch):
    def boom(*_):
        raise RuntimeError("parser exploded")
    monkeypatch.setattr(files, "parse_csv", boom)
    with pytest.raises(DataError, match="could not be read .*parser exploded"):
        load_file(b"1,2\n", "x.csv", LIMITS)


def test_truncated_npy():
    with pytest.raises(DataError, match="truncated"):
        load_file(npy(np.zeros((20, 4)))[:-16], "cut.npy", LIMITS)
