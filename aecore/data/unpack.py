"""Read gzip and zip input in memory without trusting the sizes it declares (no extraction, no bombs)."""
from __future__ import annotations

import io
import stat
import zipfile
import zlib
from pathlib import PurePosixPath

from .dataset import DataError
from .limits import MB, DataLimits, human_size

MAX_RATIO = 200          # PNG/JPEG barely compress and real arrays stay far below; deflate tops out near 1000:1
RATIO_MIN_BYTES = 1 * MB  # small entries (a blank PNG, a text file) may compress well and are harmless
GZIP_MAGIC = b"\x1f\x8b"
SKIPPED = ("__MACOSX", ".", "Thumbs.db")  # files that zip tools add, not data


def gunzip(data: bytes, limit: int, what: str) -> bytes:
    """Decompress gzip `data`, refusing to produce more than `limit` bytes."""
    chunks, size = [], 0
    while data:  # a .gz may hold several concatenated members
        inflater = zlib.decompressobj(wbits=31)  # 31: expect a gzip header and trailer
        try:
            chunks.append(inflater.decompress(data, limit + 1 - size))
        except zlib.error as e:
            raise DataError(f"{what} is damaged: its gzip data is invalid ({e})") from None
        size += len(chunks[-1])
        if size > limit:
            raise DataError(
                f"{what} expands to more than {human_size(limit)}; "
                f"raise the limit with the environment variable AECORE_MAX_UPLOAD_MB")
        if not inflater.eof:
            raise DataError(f"{what} is damaged: its gzip data is cut short (a truncated file)")
        rest = inflater.unused_data
        data = rest if rest.startswith(GZIP_MAGIC) else b""  # ignore trailing padding some tools add
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)  # skip a 47 MB copy in the usual case


def zip_members(data: bytes, what: str, limits: DataLimits) -> list[tuple[str, bytes]]:
    """Return (name, bytes) for every file in a zip; names are checked, never used as paths."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError) as e:
        raise DataError(f"{what} is not a valid zip file ({e})") from None
    for info in archive.infolist():  # every entry, before skipping any: '../x' must be refused, not skipped as hidden
        _check_entry(info, what)
    infos = [i for i in archive.infolist() if not i.is_dir() and not _skipped(i.filename)]
    limits.check_samples(len(infos), what)
    limits.check_bytes(sum(i.file_size for i in infos), f"{what} (uncompressed)")
    budget = limits.max_bytes  # declared sizes can lie, so also count what is actually read
    members = []
    for info in infos:
        try:
            with archive.open(info) as f:
                content = f.read(budget + 1)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as e:
            raise DataError(f"{what}: entry {info.filename!r} cannot be read ({e})") from None
        budget -= len(content)
        limits.check_bytes(limits.max_bytes - budget, f"{what} (uncompressed)")
        members.append((info.filename, content))
    return members


def _skipped(name: str) -> bool:
    return any(part.startswith(SKIPPED) for part in PurePosixPath(name).parts)


def _check_entry(info: zipfile.ZipInfo, what: str) -> None:
    name = info.filename
    parts = name.replace("\\", "/").split("/")
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":") or ".." in parts:
        raise DataError(f"{what}: entry {name!r} has an unsafe path (absolute or with '..'); zip files must hold relative paths only")
    if stat.S_ISLNK(info.external_attr >> 16):
        raise DataError(f"{what}: entry {name!r} is a symbolic link; zip files must hold plain files only")
    if info.flag_bits & 0x1:
        raise DataError(f"{what}: entry {name!r} is encrypted; upload an unencrypted zip")
    if info.file_size > RATIO_MIN_BYTES and info.file_size > MAX_RATIO * max(info.compress_size, 1):
        raise DataError(
            f"{what} looks like a zip bomb: entry {name!r} declares {human_size(info.file_size)} "
            f"from {info.compress_size:,} compressed bytes; it was not unpacked")
