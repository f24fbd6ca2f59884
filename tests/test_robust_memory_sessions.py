"""A server gives its memory back after its sessions leave (issue 18, gap 3): before face/memory.py, 20 sessions
left a server 312-345 MB over its idle level minutes after they closed (every closed tab's model, optimizer and job
kept by Streamlit's session cache, which drops expired sessions only when written to); now 61 MB
(scripts/memory_after_sessions.py --sessions 20). Here 8 sessions, each training its own model, on a real server
through Streamlit's websocket protocol (scripts/load_test.py's client), with a short session TTL and reaper period."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import memory_after_sessions  # noqa: E402

# Of what the sessions added at their peak. Measured after: 3%, 23% and 31% (one session's ~25 MB of tensors sometimes
# lingers a little longer, and the allocator's slack); without the fix (face/memory.py's thread off): 100%.
MARGIN = 0.5


def given_back(idle_mb: int, peak_mb: int, now_mb: int) -> bool:
    return now_mb - idle_mb <= MARGIN * (peak_mb - idle_mb)


def test_rss_returns_near_idle_after_sessions_close():
    out = memory_after_sessions.measure(sessions=8, ttl_s=5, wait_s=20, deadline_s=300,
                                        env={"LATENT_LAB_REAP_EVERY_S": "3"}, enough=given_back)
    print(json.dumps(out))
    assert out["trained"] == 8 and out["errors"] == 0
    added = out["rss_peak_mb"] - out["rss_idle_mb"]
    assert added > 40, "the sessions should have cost memory to give back"
    assert out["above_idle_mb"] <= MARGIN * added, out["rss_after_mb"]
