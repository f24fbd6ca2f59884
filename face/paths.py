"""No server paths in what a visitor reads: an error from a file, a folder, a store or a job is shown with the
folders the server is configured with named, not spelt out (`runs/vae-mnist`, `$AECORE_DATA_DIR/mnist`), and any
other absolute path cut to its last part. On a class server the page is read by strangers; where the app lives and
whose home folder it runs in is not theirs to know. The server's log keeps the full text."""
from __future__ import annotations

import re
from pathlib import Path

from aecore import settings
from aecore.data.fetch import default_cache_dir
from aecore.runs.store import default_root

APP_ROOT = Path(__file__).resolve().parents[1]
# An absolute path: a slash not preceded by a letter, digit, dot, colon or slash (so not a URL's or a fraction's),
# then at least two parts. Replaced by its last two parts.
ABSOLUTE = re.compile(r"(?<![\w.:/~$-])/(?:[^\s/'\"`:,;()]+/)+[^\s/'\"`:,;()]*")


def known_roots() -> list[tuple[str, str]]:
    """(folder, what to call it), the longest folder first so the most precise name wins."""
    runs = settings.text("AECORE_RUNS_DIR") or str(APP_ROOT / "runs")
    pairs = [(runs, "runs"), (str(default_root()), "the store"), (str(default_cache_dir()), "$AECORE_CACHE_DIR"),
             (settings.text("AECORE_DATA_DIR"), "$AECORE_DATA_DIR"), (str(APP_ROOT), "."),
             (str(Path.home()), "~")]
    pairs = [(str(Path(folder).expanduser().resolve()), name) for folder, name in pairs if folder] + \
            [(str(Path(folder).expanduser()), name) for folder, name in pairs if folder]
    return sorted(set(pairs), key=lambda pair: -len(pair[0]))


def scrub(text: str, keep: tuple[str, ...] = ()) -> str:
    """`text` with the server's folders named and other absolute paths cut to their last two parts. The strings in
    `keep` (what the visitor typed, which is theirs to see) are left as they are."""
    kept = {f"\0{i}\0": s for i, s in enumerate(k for k in keep if k)}
    for mark, s in kept.items():
        text = text.replace(s, mark)
    for folder, name in known_roots():
        if len(folder) > 1:
            text = text.replace(folder, name)
    text = ABSOLUTE.sub(lambda m: "…/" + "/".join(m.group(0).rstrip("/").split("/")[-2:]), text)
    for mark, s in kept.items():
        text = text.replace(mark, s)
    return text
