"""Read gzip and zip input in memory without trusting the sizes it declares (no extraction, no bombs)."""
from __future__ import annotations

import io
import stat
import zipfile
import zlib

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


def zip_members(data: bytes, what: str, limits: DataLimits, images: bool = False) -> list[tuple[str, bytes]]:
    """Return (name, bytes) for every file in a zip; names are checked, never used as paths. `images`: each member
    will be decoded as an image, so their number is held to limits.max_files before any is read."""
    declared = _declared_entries(data)
    if images and declared and declared > 2 * limits.max_files:   # 2x: room for a Mac zip's __MACOSX copies
        limits.check_files(declared, what)   # refused before Python parses 99,000 directory entries (seconds)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError) as e:
        raise DataError(f"{what} is not a valid zip file ({e})") from None
    for info in archive.infolist():  # every entry, before skipping any: '../x' must be refused, not skipped as hidden
        _check_entry(info, what)
    infos = [i for i in archive.infolist() if not i.is_dir() and not _skipped(i.filename)]
    limits.check_samples(len(infos), what)
    if images:
        limits.check_files(len(infos), what)
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
    """Parts as PurePosixPath(name).parts gives them, without its cost (seconds for 100,000 names)."""
    return any(part.startswith(SKIPPED) for part in name.split("/") if part not in ("", "."))


def _declared_entries(data: bytes) -> int | None:
    """The number of entries a zip's end-of-central-directory record declares (in its zip64 record past 65,534);
    None when there is no such record: zipfile then says what is wrong."""
    end = data.rfind(b"PK\x05\x06", max(0, len(data) - 22 - 65535))   # the record, then a comment of <= 64 KB
    if end < 0 or end + 22 > len(data):
        return None
    count = int.from_bytes(data[end + 10:end + 12], "little")
    locator = end - 20   # zip64: a locator just before points at the zip64 record, whose count is 8 bytes at +32
    if count == 0xFFFF and locator >= 0 and data[locator:locator + 4] == b"PK\x06\x07":
        record = int.from_bytes(data[locator + 8:locator + 16], "little")
        if data[record:record + 4] == b"PK\x06\x06":
            return int.from_bytes(data[record + 32:record + 40], "little")
    return None if count == 0xFFFF else count


def _check_entry(info: zipfile.ZipInfo, what: str) -> None:
    name = info.filename
    parts = name.replace("\\", "/").split("/")
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":") or ".." in parts:
        raise DataError(f"{what}: entry {name!r} has an unsafe path (absolute or with '..'); "
                        "zip files must hold relative paths only")
    if stat.S_ISLNK(info.external_attr >> 16):
        raise DataError(f"{what}: entry {name!r} is a symbolic link; zip files must hold plain files only")
    if info.flag_bits & 0x1:
        raise DataError(f"{what}: entry {name!r} is encrypted; upload an unencrypted zip")
    if info.file_size > RATIO_MIN_BYTES and info.file_size > MAX_RATIO * max(info.compress_size, 1):
        raise DataError(
            f"{what} looks like a zip bomb: entry {name!r} declares {human_size(info.file_size)} "
            f"from {info.compress_size:,} compressed bytes; it was not unpacked")
