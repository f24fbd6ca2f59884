"""The atlas component's JavaScript: its unit tests under node, and the committed bundle rebuilt from source."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FRONTEND = REPO / "face" / "atlas" / "frontend"


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node")
def test_javascript_units():
    subprocess.run(["node", "--test", "test/"], cwd=FRONTEND, check=True, timeout=120)


@pytest.mark.skipif(not (FRONTEND / "node_modules" / ".bin" / "esbuild").exists(),
                    reason="needs the pinned esbuild: run face/atlas/frontend/build.sh once")
def test_committed_bundle_is_built_from_source():
    subprocess.run([str(REPO / "scripts" / "check_bundle.sh")], check=True, timeout=300)
