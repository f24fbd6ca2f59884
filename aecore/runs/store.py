"""A server-side store of students' workspaces: the current model, the sidebar's settings, the training job's state
and the student's uploaded file, kept under a token the browser holds, so a reload, a closed tab or a server that
restarted loses nothing (or says what it lost).

Each workspace is a folder `<root>/<token>/` with the run's three files (aecore.runs.checkpoint), `settings.json` and
`state.json` (what the job was doing at the save: a restore tells an interrupted run from a stopped one); an
upload is one file `<root>/uploads/<token>-<content digest>-<name>`. Any replica that sees the same `root` (a shared
directory) finds the same entries. Nothing is unpickled.

Fair between students (a student is a token): one student's workspace and upload together may take at most
`quota_bytes`; past `max_bytes` in all, the students using the most space give way first: their upload (it can be
uploaded again, and the page says so), then their model. A new token can therefore push out at most its own quota.
Saves are atomic, also when two tabs of one student save at once, and temporary folders left by a crash are swept.
"""
from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import re
import shutil
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from .. import settings
from ..data.limits import human_size
from ..train import Run
from .checkpoint import CheckpointError, run_files, runs_from_files

TOKEN = re.compile(r"[0-9a-f]{32}")   # tokens are uuid4 hex: nothing else names a folder
TTL_S = 6 * 3600                      # a student's model outlives a lecture (the issue asks for 30 minutes at least)
MB = 2**20
# A default MNIST VAE's entry is 2.6 MB (weights 2.4 MB, history and settings the rest), a conv AE's about 1 MB: 2 GiB
# holds ~800 default VAEs, so a class of 200 fits with room for uploads; past it the heaviest students give way.
MAX_BYTES = 2 * 2**30
QUOTA_BYTES = 64 * MB                 # one student's model and upload: MNIST as .npz (~55 MB) still fits
STALE_S = 600                         # a temporary folder this old belongs to a save that crashed: swept
EVICT_EVERY_S = 10.0                  # a save looks at every entry (26 ms for 200 on a busy machine): not every save
SETTINGS, STATE = "settings.json", "state.json"
SHARED = "shared"                     # models lecturers shared with their class: a subfolder of their own
UPLOADS = "uploads"
RENAME_TRIES = 20


def default_root() -> Path:
    """AECORE_STORE_DIR, else a folder in the user's cache (beside the datasets' cache)."""
    return settings.path("AECORE_STORE_DIR", Path.home() / ".cache" / "latent-lab" / "sessions")


def env_megabytes(name: str, default: int) -> int:
    """A size from the environment variable `name`, in MB (returned in bytes), else `default` bytes."""
    return int(settings.number(name, default / MB, "MB") * MB)


def new_token() -> str:
    """A fresh random token (uuid4 hex): a browser's workspace, or a shared model's id."""
    return uuid.uuid4().hex


def shared_store(root: str | Path | None = None) -> "WorkspaceStore":
    """The store of models shared with a class (a follow-along link opens one by its id), in `<root>/shared`:
    apart from the browsers' workspaces, so no cookie token, which a browser chooses, can overwrite one."""
    return WorkspaceStore(Path(root if root is not None else default_root()) / SHARED)


@dataclass(frozen=True)
class Saved:
    run: Run | None
    settings: dict
    state: dict = field(default_factory=dict)            # what the job was doing at the save (see face.persist)
    upload: tuple[str, bytes] | None = None              # (file name, contents) of the student's kept upload


@dataclass(frozen=True)
class Item:
    """One thing a student keeps in the store: their workspace folder or an upload."""

    token: str
    path: Path
    mtime: float
    size: int


class WorkspaceStore:
    """Saves and restores (run, settings, state, upload) by token; bounded in age, per student and in all."""

    def __init__(self, root: str | Path | None = None, max_bytes: int | None = None, ttl_s: float = TTL_S,
                 quota_bytes: int | None = None, evict_every_s: float = EVICT_EVERY_S):
        self.root = Path(root) if root is not None else default_root()
        self.max_bytes = max_bytes if max_bytes is not None else env_megabytes("AECORE_STORE_MB", MAX_BYTES)
        self.quota_bytes = quota_bytes if quota_bytes is not None else env_megabytes("AECORE_STORE_QUOTA_MB",
                                                                                       QUOTA_BYTES)
        self.ttl_s, self.evict_every_s = ttl_s, evict_every_s
        self._evicted_at = -float("inf")

    def save(self, token: str, run: Run | None, settings: dict, state: dict | None = None) -> str | None:
        """Replace the token's workspace atomically (a reader never sees half an entry), then evict (at most every
        evict_every_s). Returns why
        the model was not kept (over the student's quota), or None. The student's upload gives way first."""
        folder = self._folder(token)
        files = run_files(run) if run is not None else {}
        note = None
        if run is not None and _size(files) > self.quota_bytes:
            note = (f"your model ({human_size(_size(files))}) is larger than a student's space on this server "
                    f"({human_size(self.quota_bytes)}, AECORE_STORE_QUOTA_MB), so only your settings are kept")
            files = {}
        elif run is not None and _size(files) + sum(i.size for i in self._upload_items(token)) > self.quota_bytes:
            self._drop_uploads(token)
        files[SETTINGS] = json.dumps(settings, sort_keys=True).encode()
        files[STATE] = json.dumps(state or {}, sort_keys=True).encode()
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{token}-", dir=self.root))
        for name, blob in files.items():
            (tmp / name).write_bytes(blob)
        self._swap_in(tmp, folder)
        self._evict_now_and_then()
        return note

    def keep_upload(self, token: str, name: str, blob: bytes) -> str | None:
        """Keep the student's uploaded file (one per student, named by its content), so a restart of the server
        does not lose it. Returns why it was not kept (over the quota), or None."""
        self._folder(token)
        taken = self._workspace_bytes(token)
        if len(blob) + taken > self.quota_bytes:
            return (f"your file ({human_size(len(blob))}) does not fit in a student's space on this server "
                    f"({human_size(self.quota_bytes)}, AECORE_STORE_QUOTA_MB), so it is not kept")
        digest = hashlib.blake2b(blob, digest_size=8).hexdigest()
        target = self.root / UPLOADS / f"{token}-{digest}-{_safe_name(name)}"
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{token}-", dir=target.parent)
            with os.fdopen(fd, "wb") as out:
                out.write(blob)
            os.replace(tmp, target)   # files, unlike folders, replace each other atomically
        self._drop_uploads(token, keep=target)
        self._evict_now_and_then()
        return None

    def load(self, token: str) -> Saved | None:
        """The token's entry, or None when there is none (expired, evicted, never saved, or unreadable)."""
        folder = self._folder(token)
        try:
            if time.time() - folder.stat().st_mtime > self.ttl_s:
                return None
            files = {p.name: p.read_bytes() for p in folder.iterdir()}
            settings = json.loads(files.pop(SETTINGS, b"{}"))
            state = json.loads(files.pop(STATE, b"{}"))
            run = runs_from_files(files) if files else None
        except (OSError, ValueError, CheckpointError):
            return None
        return Saved(run, settings if isinstance(settings, dict) else {}, state if isinstance(state, dict) else {},
                     self._load_upload(token))

    def forget(self, token: str) -> None:
        """Delete the token's entry and upload now (a student leaving a shared computer), if there are any."""
        shutil.rmtree(self._folder(token), ignore_errors=True)
        self._drop_uploads(token)

    def evict(self) -> None:
        """Sweep stale temporary folders; drop expired items; then, while over max_bytes, an item of the student
        using the most space: their upload first, then their workspace (ties: whose oldest item is oldest)."""
        self._evicted_at = time.monotonic()
        self._sweep_temporaries()
        now, items = time.time(), self._items()
        for item in [i for i in items if now - i.mtime > self.ttl_s]:
            _remove(item.path)
            items.remove(item)
        usage: dict[str, int] = {}
        for item in items:
            usage[item.token] = usage.get(item.token, 0) + item.size
        total = sum(usage.values())
        while total > self.max_bytes and items:
            heaviest = max(usage, key=lambda t: (usage[t], -min(i.mtime for i in items if i.token == t)))
            mine = sorted((i for i in items if i.token == heaviest),
                          key=lambda i: (i.path.parent == self.root, i.mtime))
            gone = mine[:1]   # an upload first (it can be uploaded again; a trained model cannot be had back so)
            for item in gone:
                _remove(item.path)
                items.remove(item)
                usage[heaviest] -= item.size
                total -= item.size
            if not usage[heaviest] or not any(i.token == heaviest for i in items):
                usage.pop(heaviest)

    def _evict_now_and_then(self) -> None:
        """After a save: evict, unless this store did within evict_every_s (the quota already bounds each save)."""
        if time.monotonic() - self._evicted_at >= self.evict_every_s:
            self.evict()

    # --- the folder ----------------------------------------------------------------------------------------
    def _swap_in(self, tmp: Path, folder: Path) -> None:
        """Put the new folder in place of the old. Two writers of one token race here: a rename onto a folder that
        another writer just put back fails (ENOTEMPTY, EEXIST), so move that one aside too and retry."""
        asides = []
        try:
            for _ in range(RENAME_TRIES):
                aside = folder.with_name(f".{folder.name}-old-{uuid.uuid4().hex[:12]}")
                with contextlib.suppress(FileNotFoundError):   # none yet, or another writer moved it aside
                    folder.rename(aside)
                    asides.append(aside)
                try:
                    tmp.rename(folder)
                    return
                except OSError as err:
                    if err.errno not in (errno.ENOTEMPTY, errno.EEXIST):
                        raise
            raise OSError(f"could not replace the saved workspace after {RENAME_TRIES} tries")
        finally:
            for aside in asides:
                shutil.rmtree(aside, ignore_errors=True)
            shutil.rmtree(tmp, ignore_errors=True)   # only left when every try failed

    def _sweep_temporaries(self) -> None:
        """Remove what a crashed save left (names starting with a dot), once it is clearly not in progress."""
        now = time.time()
        for parent in (self.root, self.root / UPLOADS):
            for path in parent.glob(".*") if parent.is_dir() else ():
                try:
                    stale = now - path.stat().st_mtime > STALE_S
                except OSError:
                    continue
                if stale:
                    _remove(path)

    def _items(self) -> list[Item]:
        out = []
        for folder in self.root.iterdir() if self.root.is_dir() else ():
            if TOKEN.fullmatch(folder.name):
                try:
                    out.append(Item(folder.name, folder, folder.stat().st_mtime,
                                    sum(p.stat().st_size for p in folder.iterdir())))
                except OSError:   # removed by another replica meanwhile
                    continue
        return out + self._upload_items()

    def _upload_items(self, token: str = "") -> list[Item]:
        """Every student's uploads, or (with `token`) one student's."""
        out = []
        folder = self.root / UPLOADS
        for path in folder.glob(f"{token}*") if folder.is_dir() else ():
            if TOKEN.fullmatch(path.name[:32]) and path.name[32:33] == "-":
                try:
                    stat = path.stat()
                except OSError:
                    continue
                out.append(Item(path.name[:32], path, stat.st_mtime, stat.st_size))
        return out

    def _workspace_bytes(self, token: str) -> int:
        try:
            return sum(p.stat().st_size for p in self._folder(token).iterdir())
        except OSError:   # none yet, or replaced by a save meanwhile
            return 0

    def _load_upload(self, token: str) -> tuple[str, bytes] | None:
        mine = sorted(self._upload_items(token), key=lambda i: i.mtime)
        for item in reversed(mine):
            try:
                return item.path.name[33 + 16 + 1:], item.path.read_bytes()   # "<token>-<digest>-<name>"
            except OSError:
                continue
        return None

    def _drop_uploads(self, token: str, keep: Path | None = None) -> None:
        for item in self._upload_items(token):
            if item.path != keep:
                _remove(item.path)

    def _folder(self, token: str) -> Path:
        if not TOKEN.fullmatch(token or ""):
            raise ValueError("not a workspace token")
        return self.root / token


def _size(files: dict[str, bytes]) -> int:
    return sum(len(b) for b in files.values())


def _safe_name(name: str) -> str:
    """The upload's own file name, reduced to characters any file system takes (its suffix tells its format)."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", Path(name).name)[-80:].lstrip(".") or "upload"


def _remove(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
