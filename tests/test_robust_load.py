"""Many users on one server: sessions speaking Streamlit's websocket protocol train at once against one
`streamlit run app.py` (scripts/load_test.py; the 30-session figures in the closing note come from it).

Five sessions, each with its own bottleneck size, seed and batch size, press Train within a second of each other
on a server that trains one model at a time, so the others wait in the queue, and move a sidebar slider every
second or so meanwhile. Every session must end with its own model, every slider move must be answered, and
the server must log no traceback. Latencies are printed, not asserted: this machine is shared and noisy.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import load_test  # noqa: E402

SESSIONS = 5
# Models that differ by more than the banner's two decimals show it: the bottleneck alone (1-5) did not. After one
# epoch on the 5k digits, sizes 4 and 5 scored 221.66 / 221.94, and 221.65 / 222.09 in the next run: two sessions
# once showed the same loss. These batch sizes scored 206 / 201-210 / 221 / 246-249 / 300-308 in two runs.
BATCH_SIZES = [32, 64, 128, 256, 512]


@pytest.fixture(scope="module")
def summary(tmp_path_factory):
    result = load_test.run_load_test(sessions=SESSIONS, deadline_s=150, interact_every=1.0, epochs=1,
                                     ramp_s=1.0, max_jobs=1, batch_sizes=BATCH_SIZES,
                                     log_path=tmp_path_factory.mktemp("load") / "server.log")
    print(json.dumps({k: v for k, v in result.items() if k != "results"}))
    return result


def test_every_session_trains_its_own_model(summary):
    failed = {r["index"]: r["errors"] or r["trace"][-5:] for r in summary["results"] if not r["own_model"]}
    assert not failed, f"sessions without their own model: {failed}"
    assert summary["distinct_test_losses"] == SESSIONS   # five models, not one shared


def test_every_interaction_is_answered_without_errors(summary):
    assert summary["interactions"] >= SESSIONS   # each session moved the slider while models trained
    assert summary["timeouts"] == 0
    assert summary["session_errors"] == 0 and summary["server_tracebacks"] == 0


def test_one_trainer_at_a_time_queues_the_rest(summary):
    assert summary["max_jobs"] == 1
    assert summary["max_queue_position_seen"] >= 1, "no session ever saw the queue"
