"""A server-side store of students' workspaces: the current model and the sidebar's settings, kept under a token
the browser holds, so a reload or a closed tab loses nothing.

Each entry is a folder `<root>/<token>/` with the run's three files (aecore.checkpoint) and `settings.json`. The
store is bounded: entries unused for `ttl_s` expire, and past `max_bytes` the least recently saved go first. Any
replica that sees the same `root` (a shared directory) finds the same entries. Nothing is unpickled.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from .checkpoint import CheckpointError, run_files, runs_from_files
from .train import Run

TOKEN = re.compile(r"[0-9a-f]{32}")   # tokens are uuid4 hex: nothing else names a folder
TTL_S = 6 * 3600                      # a student's model outlives a lecture (the issue asks for 30 minutes at least)
MAX_BYTES = 2 * 2**30                 # ~4,000 MNIST MLPs of 0.5 MB; a class of 200 uses a few hundred MB
SETTINGS = "settings.json"
SHARED = "shared"                     # models lecturers shared with their class: a subfolder of their own


def default_root() -> Path:
    """AECORE_STORE_DIR, else a folder in the user's cache (beside the datasets' cache)."""
    env = os.environ.get("AECORE_STORE_DIR")
    return Path(env) if env else Path.home() / ".cache" / "latent-lab" / "sessions"


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


class WorkspaceStore:
    """Saves and restores (run, settings) by token; bounded in age and size, oldest evicted first."""

    def __init__(self, root: str | Path | None = None, max_bytes: int = MAX_BYTES, ttl_s: float = TTL_S):
        self.root = Path(root) if root is not None else default_root()
        self.max_bytes, self.ttl_s = max_bytes, ttl_s

    def save(self, token: str, run: Run | None, settings: dict) -> None:
        """Replace the token's entry atomically (a reader never sees half an entry), then evict."""
        folder = self._folder(token)
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{token}-", dir=self.root))
        files = run_files(run) if run is not None else {}
        files[SETTINGS] = json.dumps(settings, sort_keys=True).encode()
        for name, blob in files.items():
            (tmp / name).write_bytes(blob)
        old = folder.with_name(f".{token}-old-{time.monotonic_ns()}")
        if folder.exists():
            folder.rename(old)
        tmp.rename(folder)
        shutil.rmtree(old, ignore_errors=True)
        self.evict()

    def load(self, token: str) -> Saved | None:
        """The token's entry, or None when there is none (expired, evicted, never saved, or unreadable)."""
        folder = self._folder(token)
        try:
            if time.time() - folder.stat().st_mtime > self.ttl_s:
                return None
            files = {p.name: p.read_bytes() for p in folder.iterdir()}
            settings = json.loads(files.pop(SETTINGS, b"{}"))
            run = runs_from_files(files) if files else None
        except (OSError, ValueError, CheckpointError):
            return None
        return Saved(run, settings if isinstance(settings, dict) else {})

    def forget(self, token: str) -> None:
        """Delete the token's entry now (a student leaving a shared computer), if there is one."""
        shutil.rmtree(self._folder(token), ignore_errors=True)

    def evict(self) -> None:
        """Drop expired entries, then the oldest until the store is within max_bytes."""
        entries = sorted(self._entries(), key=lambda e: e[1])   # oldest first
        total = sum(size for _, _, size in entries)
        now = time.time()
        for folder, mtime, size in entries:
            if now - mtime > self.ttl_s or total > self.max_bytes:
                shutil.rmtree(folder, ignore_errors=True)
                total -= size

    def _entries(self) -> list[tuple[Path, float, int]]:
        out = []
        for folder in self.root.iterdir() if self.root.is_dir() else ():
            if TOKEN.fullmatch(folder.name):
                try:
                    out.append((folder, folder.stat().st_mtime, sum(p.stat().st_size for p in folder.iterdir())))
                except OSError:   # removed by another replica meanwhile
                    continue
        return out

    def _folder(self, token: str) -> Path:
        if not TOKEN.fullmatch(token or ""):
            raise ValueError("not a workspace token")
        return self.root / token
