"""`streamlit run app.py` with every script run profiled: the profiling half of issue 19 (bench_pages.py finds the
time, this says where it goes).

    python scripts/profile_server.py [--out artifacts/profile] -- [streamlit run options, e.g. --server.port 8600]

Each script run (a page view, a rerun, a fragment's run) is recorded by pyinstrument in the thread that runs it,
and written as text to OUT/run-<n>-<page>.txt with its wall time in the name's first line. Nothing in the app
changes: the recorder wraps Streamlit's ScriptRunner._run_script from outside.
"""
from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from pathlib import Path

from pyinstrument import Profiler
from streamlit.runtime.scriptrunner import script_runner
from streamlit.web import cli

REPO = Path(__file__).resolve().parents[1]
_count = iter(range(1, 1_000_000))
_lock = threading.Lock()


def install(out: Path) -> None:
    """Wrap every script run in a pyinstrument Profiler and write its report under `out`."""
    out.mkdir(parents=True, exist_ok=True)
    original = script_runner.ScriptRunner._run_script

    def profiled(self, rerun_data):
        profiler = Profiler(interval=0.002)
        start = time.perf_counter()
        profiler.start()
        try:
            return original(self, rerun_data)
        finally:
            profiler.stop()
            with _lock:
                n = next(_count)
            page = (rerun_data.page_script_hash or "main")[:8]
            fragment = "-fragment" if rerun_data.fragment_id_queue else ""
            text = profiler.output_text(unicode=True, show_all=bool(os.environ.get("PROFILE_ALL")))
            (out / f"run-{n:03d}-{page}{fragment}.txt").write_text(
                f"wall {time.perf_counter() - start:.3f} s, query {rerun_data.query_string!r}\n{text}")
    script_runner.ScriptRunner._run_script = profiled


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(REPO / "artifacts" / "profile"))
    ap.add_argument("--script", default="app.py")
    args, streamlit_args = ap.parse_known_args()
    install(Path(args.out))
    sys.argv = ["streamlit", "run", args.script, *[a for a in streamlit_args if a != "--"]]
    cli.main()


if __name__ == "__main__":
    main()
