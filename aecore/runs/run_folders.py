"""The run folders a visitor may load from the browser: only those strictly inside the server's runs folder."""
from __future__ import annotations

from pathlib import Path

from .checkpoint import CheckpointError


def run_folder_under(root: str | Path, text: str) -> Path:
    """The run folder `text` names inside `root` (the only place a visitor may load from), or CheckpointError.

    Anything that does not end up strictly inside `root` once `..` and symbolic links are resolved (an absolute
    path elsewhere, `../..`, a link leading out) gets the same message whether or not it exists, so the answer
    tells nothing about the server's files.
    """
    base = Path(root).resolve()
    refused = CheckpointError(f"{text!r} is not a run folder under the runs folder: name one of its folders, "
                              "such as vae-mnist")
    if not text or "\0" in text or len(text) > 4096:
        raise refused
    folder = (base / text).resolve()
    if base not in folder.parents or not folder.is_dir():
        raise refused
    return folder


def list_run_folders(root: str | Path) -> list[str]:
    """The run folders directly inside `root` (those holding a config.json), by name, for a picker."""
    base = Path(root)
    if not base.is_dir():
        return []
    return sorted(p.name for p in base.iterdir() if p.is_dir() and (p / "config.json").is_file()
                  and base.resolve() in p.resolve().parents)
