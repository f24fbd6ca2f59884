"""Regenerate the bad-upload corpus and EXPECTED.json (the message substring each bad file must produce).

Run `python tests/corpus/make_corpus.py`; the output is deterministic, so rerunning leaves git clean.
The files are committed too, so page and CLI tests can use them without running this.
"""
from __future__ import annotations

import gzip
import io
import json
import pickle
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image

HERE = Path(__file__).parent
DATE = (2024, 1, 1, 0, 0, 0)  # fixed zip timestamps keep the files byte-identical across runs
DATE_S = 1704067200           # the same moment in seconds, for gzip headers

# Each bad file -> a substring its DataError message must contain.
EXPECTED = {
    "empty.csv": "empty",
    "random.bin": "not a recognised data format",
    "text_cell.csv": "row 7, column 3 holds 'abc', which is not a number",
    "ragged.csv": "expected 4 columns",
    "nan.csv": "NaN",
    "inf.npy": "inf",
    "huge.csv": "scale the data",
    "one_row.csv": "need at least 10",
    "wide.csv": "AECORE_MAX_FEATURES",
    "mixed_sizes.zip": "different sizes",
    "not_images.zip": "'notes.txt' is not a PNG or JPEG image",
    "traversal.zip": "unsafe path",
    "bomb.zip": "zip bomb",
    "pickled.npy": "pickled data is not accepted",
    "model.pt": "convert the data to .npy",
    "truncated.csv.gz": "is damaged: its gzip data is cut short",
    "bitflip.csv.gz": "is damaged: its gzip data is invalid",
}
GOOD = ("good.csv", "good.npz", "recompressed.csv.gz")  # files that must load


def csv_rows(n_rows: int, n_cols: int = 4, header: bool = True) -> list[list[str]]:
    rng = np.random.default_rng(0)
    rows = [[f"f{j}" for j in range(n_cols)]] if header else []
    return rows + [[f"{v:.3f}" for v in rng.normal(size=n_cols)] for _ in range(n_rows)]


def write_csv(name: str, rows: list[list[str]]) -> None:
    (HERE / name).write_text("".join(",".join(r) + "\n" for r in rows))


def png(size: tuple[int, int], value: int = 128) -> bytes:
    buf = io.BytesIO()
    Image.new("L", size, value).save(buf, format="PNG")
    return buf.getvalue()


def write_zip(name: str, members: dict[str, bytes]) -> None:
    with zipfile.ZipFile(HERE / name, "w", zipfile.ZIP_DEFLATED) as zf:
        for member, data in members.items():
            zf.writestr(zipfile.ZipInfo(member, DATE), data)


def write_gzips(content: bytes) -> None:
    """The same content re-compressed (another level, name and timestamp: other .gz bytes), cut short, and with
    one byte of its compressed stream flipped."""
    (HERE / "recompressed.csv.gz").write_bytes(_gzip(content, level=1, mtime=DATE_S, filename=b"export.csv"))
    packed = gzip.compress(content, 9, mtime=0)
    (HERE / "truncated.csv.gz").write_bytes(packed[: len(packed) // 2])
    flipped = bytearray(packed)
    flipped[len(packed) // 2] ^= 0xFF
    (HERE / "bitflip.csv.gz").write_bytes(bytes(flipped))


def _gzip(content: bytes, level: int, mtime: int, filename: bytes) -> bytes:
    buf = io.BytesIO()
    with gzip.GzipFile(filename.decode(), "wb", level, buf, mtime) as f:  # the FNAME field gzip.compress leaves out
        f.write(content)
    return buf.getvalue()


def write_bomb(name: str, gib: int = 1) -> None:
    """One entry of `gib` GiB of zeros; bzip2 squeezes that to about a kilobyte (deflate could only reach ~1 MB)."""
    info = zipfile.ZipInfo("zeros.png", DATE)
    info.compress_type = zipfile.ZIP_BZIP2
    chunk = bytes(2**24)
    with zipfile.ZipFile(HERE / name, "w") as zf, zf.open(info, "w", force_zip64=True) as f:
        for _ in range(64 * gib):
            f.write(chunk)


# --- hostile files that are legal by size, generated at test time into a folder (issue 18: budgets before work) ---
def write_big_npy(path: Path, shape: tuple[int, ...], dtype=np.uint8) -> Path:
    """A .npy of `shape`, written through a memory map so that making it costs no memory."""
    out = np.lib.format.open_memmap(path, mode="w+", dtype=dtype, shape=shape)
    out[:] = 7
    out.flush()
    del out
    return path


def write_tall_csv(path: Path, rows: int, row: bytes = b"0\n") -> Path:
    """A one-column CSV of `rows` short rows: few bytes, very many samples."""
    chunk = row * 2**20
    with open(path, "wb") as f:
        for _ in range(rows // 2**20):
            f.write(chunk)
        f.write(row * (rows % 2**20))
    return path


def write_wide_csv(path: Path, rows: int, cols: int, seed: int = 0) -> Path:
    """A legal numeric CSV of rows x cols values with a header, for the memory budget."""
    rng = np.random.default_rng(seed)
    with open(path, "w") as f:
        f.write(",".join(f"f{j}" for j in range(cols)) + "\n")
        for start in range(0, rows, 4096):
            block = rng.normal(size=(min(4096, rows - start), cols))
            f.write("".join(",".join(f"{v:.4f}" for v in r) + "\n" for r in block))
    return path


def write_png_zip(path: Path, n: int, size: tuple[int, int] = (8, 8)) -> Path:
    """A zip of `n` tiny PNGs (one image stored n times: cheap to make, each still decoded on load)."""
    image = png(size)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        for i in range(n):
            zf.writestr(zipfile.ZipInfo(f"img{i:06d}.png", DATE), image)
    return path


def main() -> None:
    rng = np.random.default_rng(0)
    (HERE / "empty.csv").write_bytes(b"")
    (HERE / "random.bin").write_bytes(b"\x42" + rng.integers(0, 256, 4095, dtype=np.uint8).tobytes())  # no magic number

    rows = csv_rows(12)
    rows[6][2] = "abc"  # file row 7 (the header is row 1), column 3
    write_csv("text_cell.csv", rows)
    rows = csv_rows(12)
    rows[5] = rows[5][:3]
    write_csv("ragged.csv", rows)
    rows = csv_rows(12)
    rows[3][1] = "nan"
    write_csv("nan.csv", rows)
    rows = csv_rows(12)
    rows[8][0] = "2.5e9"
    write_csv("huge.csv", rows)
    write_csv("one_row.csv", csv_rows(1))
    write_csv("wide.csv", [["1"] * 25_000])  # one row: the column count alone trips the limit

    x = rng.normal(size=(20, 4))
    x[4, 2] = np.inf
    np.save(HERE / "inf.npy", x)
    np.save(HERE / "pickled.npy", np.array([{"a": 1}, "text", None], dtype=object), allow_pickle=True)
    (HERE / "model.pt").write_bytes(pickle.dumps({"state_dict": {"weight": [[0.1, 0.2]], "bias": [0.0]}}, protocol=4))

    images = {f"img{i:02d}.png": png((8, 8), 10 * i) for i in range(11)}
    write_zip("mixed_sizes.zip", {**images, "img11.png": png((10, 12))})
    write_zip("not_images.zip", {**images, "notes.txt": b"these are my digits\n"})
    write_zip("traversal.zip", {**images, "../../evil.png": png((8, 8))})
    write_bomb("bomb.zip")

    good = csv_rows(50, 6)
    good[0].append("label")
    for i, row in enumerate(good[1:]):
        row.append("cat" if i % 2 else "dog")
    write_csv("good.csv", good)
    write_gzips((HERE / "good.csv").read_bytes())
    np.savez(HERE / "good.npz",
             x=rng.integers(0, 256, (60, 8, 8), dtype=np.uint8), y=np.arange(60) % 3,
             x_test=rng.integers(0, 256, (15, 8, 8), dtype=np.uint8), y_test=np.arange(15) % 3)

    (HERE / "EXPECTED.json").write_text(json.dumps(EXPECTED, indent=2) + "\n")


if __name__ == "__main__":
    main()
