"""Find a built-in dataset's files (local folders, the cache, then a verified download) and check their checksums."""
from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .dataset import DataError
from .limits import MB
from .unpack import gunzip

log = logging.getLogger("aecore.data")

DOWNLOAD_TIMEOUT_S = 15        # per socket operation: a stalled mirror fails over instead of hanging the page
MAX_FILE_BYTES = 256 * MB      # the largest built-in file (Fashion-MNIST train images) is 26 MB gzipped, 47 MB raw


class SourceUnavailable(DataError):
    """No copy was found and none could be downloaded; loaders with a fallback catch this (and only this)."""


@dataclass(frozen=True)
class Checksum:
    algo: str                  # a hashlib name: "md5", "sha256"
    hexdigest: str
    of_content: bool = False   # True: digest of the decompressed bytes, which is how MNIST's md5s are published


@dataclass(frozen=True)
class FileSet:
    """The files a built-in needs and where they may be found."""

    title: str                                 # for messages: "MNIST"
    folder: str                                # subfolder of the data and cache dirs: "mnist"
    files: tuple[tuple[str, Checksum], ...]
    mirrors: tuple[str, ...] = ()              # base URLs, tried in order
    url_env: str = ""                          # env var whose base URL replaces the mirrors (tests: a loopback server)
    system_dirs: tuple[str, ...] = ()          # folders distribution packages install to


def default_cache_dir() -> Path:
    """$AECORE_CACHE_DIR, else ~/.cache/latent-lab."""
    return Path(os.environ.get("AECORE_CACHE_DIR") or Path.home() / ".cache" / "latent-lab").expanduser()


def local_dirs(fs: FileSet, data_dir: str | None) -> list[Path]:
    """data_dir, then $AECORE_DATA_DIR (each itself or its `<folder>/` subfolder), then system folders."""
    roots = [Path(r).expanduser() for r in (data_dir, os.environ.get("AECORE_DATA_DIR")) if r]
    dirs = [d for r in roots for d in (r, r / fs.folder)] + [Path(d) for d in fs.system_dirs]
    return list(dict.fromkeys(dirs))


def cache_folder(fs: FileSet, cache_dir: str | None) -> Path:
    return Path(cache_dir).expanduser() / fs.folder if cache_dir else default_cache_dir() / fs.folder


def base_urls(fs: FileSet) -> tuple[str, ...]:
    override = os.environ.get(fs.url_env, "").strip() if fs.url_env else ""
    return (override,) if override else fs.mirrors


def sources(fs: FileSet, data_dir: str | None, cache_dir: str | None) -> list[str]:
    """Where the files could come from now, best first; checks existence only and downloads nothing."""
    found = [f"local:{d}" for d in local_dirs(fs, data_dir) if _complete(fs, d)]
    cache = cache_folder(fs, cache_dir)
    found += [f"cache:{cache}"] if _complete(fs, cache) else []
    return found + (["download"] if base_urls(fs) else [])


def load_files(fs: FileSet, data_dir: str | None, cache_dir: str | None,
               allow_download: bool) -> tuple[dict[str, bytes], str]:
    """Verified, decompressed contents of every file, and their source ("local:…", "cache:…" or "download:…").

    A local or cached copy that fails its checksum raises DataError (it is never used, and never silently skipped);
    no copy and no successful download raises SourceUnavailable.
    """
    cache = cache_folder(fs, cache_dir)
    for tag, folder in [("local", d) for d in local_dirs(fs, data_dir)] + [("cache", cache)]:
        if _complete(fs, folder):
            return {name: read_verified(folder / name, c) for name, c in fs.files}, f"{tag}:{folder}"
    names = ", ".join(name for name, _ in fs.files)
    where = ", ".join(str(d) for d in [*local_dirs(fs, data_dir), cache])
    missing = f"{fs.title} files ({names}) were not found in {where}"
    advice = "put them in one of those folders (or set AECORE_DATA_DIR to the folder holding them)"
    if not allow_download:
        raise SourceUnavailable(f"{missing}, and downloading is off; {advice}")
    if not base_urls(fs):
        raise SourceUnavailable(f"{missing}; {advice}" + (f", or set {fs.url_env} to a URL serving them" if fs.url_env else ""))
    try:
        return download(fs, cache)
    except OSError as e:  # the cache folder cannot be created or written: still a reason to fall back, not a crash
        raise SourceUnavailable(f"{fs.title} download failed: cannot write to {cache} ({e}); {advice}") from None
    except SourceUnavailable as e:
        raise SourceUnavailable(f"{e}; {missing}: {advice}") from None


def read_verified(path: Path, checksum: Checksum) -> bytes:
    """The file's content (decompressed if .gz) after checking its checksum."""
    try:
        return verify(path.read_bytes(), path.name, checksum)
    except DataError as e:
        raise DataError(f"{path}: {e}; the file is corrupt or not the original: delete it, then download or copy it again") from None


def verify(raw: bytes, name: str, checksum: Checksum) -> bytes:
    content = gunzip(raw, MAX_FILE_BYTES, name) if name.endswith(".gz") else raw
    digest = hashlib.new(checksum.algo, content if checksum.of_content else raw).hexdigest()
    if digest != checksum.hexdigest:
        what = "decompressed content" if checksum.of_content else "file"
        raise DataError(f"{checksum.algo} checksum mismatch for the {what} of {name} (got {digest}, expected {checksum.hexdigest})")
    return content


def download(fs: FileSet, folder: Path) -> tuple[dict[str, bytes], str]:
    """Fetch every file into `folder` atomically: each goes to a temp file, is verified, and only then renamed."""
    folder.mkdir(parents=True, exist_ok=True)
    contents, staged, used, errors, unreachable = {}, {}, [], [], set()
    try:
        for name, checksum in fs.files:
            for base in [b for b in base_urls(fs) if b not in unreachable]:
                url = base.rstrip("/") + "/" + name
                tmp = Path(tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".part")[1])
                try:
                    _fetch(url, tmp)
                    contents[name] = verify(tmp.read_bytes(), name, checksum)
                except Exception as e:  # network, HTTP and checksum failures alike: note why, try the next mirror
                    tmp.unlink(missing_ok=True)
                    errors.append(f"{url}: {e}")
                    if _unreachable(e):  # don't wait out the same timeout again for the next file
                        unreachable.add(base)
                    continue
                staged[name] = tmp
                used.append(base)
                break
            else:
                raise SourceUnavailable(f"{fs.title} download failed: " + "; ".join(errors))
        for name, tmp in staged.items():
            os.replace(tmp, folder / name)  # atomic: readers see the whole verified file or nothing
    finally:
        for tmp in staged.values():
            tmp.unlink(missing_ok=True)
    log.info("%s downloaded into %s", fs.title, folder)
    return contents, "download:" + ",".join(dict.fromkeys(used))


def _fetch(url: str, dest: Path) -> None:
    import urllib.request  # imported here: it pulls in http and ssl, which most runs never need

    if not url.startswith(("http://", "https://")):
        raise DataError(f"only http(s) URLs are supported, got {url!r}")
    request = urllib.request.Request(url, headers={"User-Agent": "latent-lab"})
    size = 0
    with urllib.request.urlopen(request, timeout=DOWNLOAD_TIMEOUT_S) as response, open(dest, "wb") as f:
        while chunk := response.read(1 << 20):
            size += len(chunk)
            if size > MAX_FILE_BYTES:
                raise DataError(f"more than {MAX_FILE_BYTES // MB} MB; not a dataset file")
            f.write(chunk)


def _unreachable(error: Exception) -> bool:
    """A connection-level failure (refused, timed out, no route), as opposed to an HTTP error or a bad file."""
    import urllib.error

    return isinstance(error, OSError) and not isinstance(error, urllib.error.HTTPError)


def _complete(fs: FileSet, folder: Path) -> bool:
    return all((folder / name).is_file() for name, _ in fs.files)
