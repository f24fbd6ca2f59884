"""The README's Layout finds any behaviour in one hop (issue 21, item 3): every module of the engine is named there,
in its room, and the engine's root holds only the loose modules the Layout lists at its top level."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENGINE = ROOT / "aecore"


def layout() -> str:
    readme = (ROOT / "README.md").read_text()
    return readme[readme.index("## Layout"):readme.index("\n## ", readme.index("## Layout") + 1)]


def test_every_engine_module_is_named_in_the_readme_layout():
    text = layout()
    missing = [str(p.relative_to(ROOT)) for p in sorted(ENGINE.rglob("*.py"))
               if p.stem not in ("__init__", "__main__") and not re.search(rf"\b{re.escape(p.name)}", text)]
    assert not missing, f"not in the README's Layout: {missing}"


def test_every_room_of_the_engine_is_in_the_layout():
    rooms = sorted(p.name for p in ENGINE.iterdir() if (p / "__init__.py").exists())
    assert {"lecture", "views", "runs", "jobs", "apps", "cli", "data", "plots"} <= set(rooms)
    assert all(f"  {room}/" in layout() for room in rooms), rooms
