"""Find a built-in dataset's files (local folders, the cache, then a verified download) and check their checksums."""
from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .. import settings
from .dataset import DataError
from .limits import MB
from .unpack import gunzip

log = logging.getLogger("aecore.data")

DOWNLOAD_TIMEOUT_S = 15        # per socket operation: a stalled mirror fails over instead of hanging the page
MAX_FILE_BYTES = 256 * MB      # the largest built-in file (Fashion-MNIST train images) is 26 MB gzipped, 47 MB raw
SYSTEM_ROOTS = ("/usr/share/datasets",)  # where distribution packages install datasets (Debian: dataset-fashion-mnist)
SYSTEM_ENV = "AECORE_SYSTEM_DATA_DIRS"   # replaces SYSTEM_ROOTS when set (os.pathsep-separated; empty: search none)
FETCH_COMMAND = "python -m aecore datasets --fetch {name}"


class SourceUnavailable(DataError):
    """No copy was found and none could be downloaded; loaders with a fallback catch this (and only this).

    The message is one line naming the fetch command; `details` lists the folders searched and how to add files by
    hand; `cause` says briefly why ("downloading is off", "download failed: <url>: <error>").
    """

    def __init__(self, message: str, details: str = "", cause: str = ""):
        super().__init__(message, details)
        self.cause = cause


@dataclass(frozen=True)
class Checksum:
    """A published digest of a file's content: of the decompressed bytes for a .gz, so any re-compression verifies."""

    algo: str                  # a hashlib name: "md5", "sha256"
    hexdigest: str


@dataclass(frozen=True)
class FileSet:
    """The files a built-in needs and where they may be found."""

    title: str                                 # for messages: "MNIST"
    folder: str                                # the registry name, and its subfolder of the data, system and cache dirs
    files: tuple[tuple[str, Checksum], ...]
    mirrors: tuple[str, ...] = ()              # base URLs, tried in order
    url_env: str = ""                          # env var whose base URL replaces the mirrors (tests: a loopback server)


def default_cache_dir() -> Path:
    """$AECORE_CACHE_DIR, else ~/.cache/latent-lab."""
    return settings.path("AECORE_CACHE_DIR", Path.home() / ".cache" / "latent-lab")


def local_dirs(fs: FileSet, data_dir: str | None) -> list[Path]:
    """data_dir, then $AECORE_DATA_DIR (each itself or its `<folder>/` subfolder), then system folders."""
    roots = [Path(r).expanduser() for r in (data_dir, settings.text("AECORE_DATA_DIR")) if r]
    dirs = [d for r in roots for d in (r, r / fs.folder)] + system_dirs(fs)
    return list(dict.fromkeys(dirs))


def system_dirs(fs: FileSet) -> list[Path]:
    """`<root>/<folder>` for each system root: $AECORE_SYSTEM_DATA_DIRS if set (read now, so tests can empty it),
    else SYSTEM_ROOTS."""
    raw = settings.raw(SYSTEM_ENV)
    roots = SYSTEM_ROOTS if raw is None else [r for r in raw.split(os.pathsep) if r.strip()]
    return [Path(r).expanduser() / fs.folder for r in roots]


def cache_folder(fs: FileSet, cache_dir: str | None) -> Path:
    return Path(cache_dir).expanduser() / fs.folder if cache_dir else default_cache_dir() / fs.folder


def base_urls(fs: FileSet) -> tuple[str, ...]:
    override = settings.text(fs.url_env) if fs.url_env else ""
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
    system = system_dirs(fs)
    for tag, folder in [("local", d) for d in local_dirs(fs, data_dir)] + [("cache", cache)]:
        if _complete(fs, folder):
            return {name: read_verified(folder / name, c, folder in system) for name, c in fs.files}, f"{tag}:{folder}"
    searched = [*local_dirs(fs, data_dir), cache]
    if not allow_download:
        raise missing(fs, "downloading is off", searched)
    if not base_urls(fs):
        raise missing(fs, "no download address is known" + (f" (set {fs.url_env})" if fs.url_env else ""), searched)
    try:
        return download(fs, cache)
    except OSError as e:  # the cache folder cannot be created or written: still a reason to fall back, not a crash
        raise missing(fs, f"download failed: cannot write to {cache} ({e})", searched) from None
    except SourceUnavailable as e:
        raise missing(fs, e.cause, searched) from None


def missing(fs: FileSet, cause: str, searched: list[Path]) -> SourceUnavailable:
    """The one-line error a page shows for a built-in that is not here, with the folders searched as details."""
    names = ", ".join(name for name, _ in fs.files)
    why = ("downloading is off" if cause == "downloading is off" else
           "no download address is set for it" if cause.startswith("no download address") else
           "what was downloaded is not the published file" if "checksum mismatch" in cause else
           "it could not be downloaded")
    details = (f"{fs.title} files ({names}) were not found in {', '.join(str(d) for d in searched)}.\n"
               f"Why no download: {cause}.\n"
               f"To add them by hand: put them in one of those folders (or set AECORE_DATA_DIR to the folder holding "
               f"them)" + (f", or set {fs.url_env} to a URL serving them." if fs.url_env else "."))
    command = FETCH_COMMAND.format(name=fs.folder)
    return SourceUnavailable(f"{fs.title} is not on this computer and {why}: fetch it with `{command}`",
                             details, cause)


def read_verified(path: Path, checksum: Checksum, installed: bool = False) -> bytes:
    """The file's content (decompressed if .gz) after checking its checksum; `installed`: a system package's file."""
    try:
        return verify(path.read_bytes(), path.name, checksum)
    except DataError as e:
        fix = (f"it belongs to a system package: reinstall that package (`dpkg -S {path}` names it)" if installed
               else "delete it, then download or copy it again")
        raise DataError(f"{path}: {e}; {fix}") from None


def verify(raw: bytes, name: str, checksum: Checksum) -> bytes:
    """The content of a file's bytes (decompressed if .gz), when its digest is the published one."""
    content = gunzip(raw, MAX_FILE_BYTES, name) if name.endswith(".gz") else raw  # says "damaged" if it is
    digest = hashlib.new(checksum.algo, content).hexdigest()
    if digest != checksum.hexdigest:
        raise DataError(f"{checksum.algo} checksum mismatch for the content of {name} (got {digest}, expected "
                        f"{checksum.hexdigest}): it is damaged or not the published file")
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
                raise SourceUnavailable(f"{fs.title} download failed", cause="download failed: " + "; ".join(errors))
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
