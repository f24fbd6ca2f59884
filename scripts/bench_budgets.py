"""Issue 18's upload attacks, each measured in a fresh process: time, peak and kept memory, and the outcome.

    python scripts/bench_budgets.py                  # this tree
    python scripts/bench_budgets.py --repo /tmp/old  # another checkout of the repo (the code before a change)
    python scripts/bench_budgets.py --only npy,csv   # some attacks

The attack files are generated into a temporary folder (about 600 MB) by the corpus generators
(tests/corpus/make_corpus.py, tests/corpus/checkpoints/make_checkpoints.py) and deleted afterwards. Each child
runs under a 10 GB address-space limit and a 300 s timeout, so a loader that would take the machine down fails
instead. Memory is RSS above the child's level after its imports, with the upload's bytes already in memory
(Streamlit holds them too): "peak" from ru_maxrss, "kept" what the loaded result still holds.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "corpus"
ADDRESS_LIMIT = 10 * 2**30
WARM = {"model": CORPUS / "runs" / "data_missing.zip", "data": CORPUS / "good.csv"}   # files that load

CHILD = r"""
import json, os, resource, sys, time
import psutil
from aecore.runs.checkpoint import load_run_bytes
from aecore.data import load_file
kind, path, warm = sys.argv[1], sys.argv[2], sys.argv[3]
load = load_run_bytes if kind == "model" else load_file
load(open(warm, "rb").read(), os.path.basename(warm))   # every lazy import done before measuring
blob = open(path, "rb").read()
rss0 = psutil.Process().memory_info().rss
open("/proc/self/clear_refs", "w").write("5")   # Linux: the peak (VmHWM) starts again from here
t0 = time.perf_counter()
try:
    result = load(blob, os.path.basename(path))
    outcome = "loaded"
except Exception as err:
    outcome = f"{type(err).__name__}: {err}"
seconds = time.perf_counter() - t0
kept = psutil.Process().memory_info().rss - rss0
peak = next(int(line.split()[1]) * 1024 for line in open("/proc/self/status") if line.startswith("VmHWM")) - rss0
print(json.dumps({"s": seconds, "peak": peak, "kept": kept, "outcome": outcome}))
"""


def _module(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def make_attacks(folder: Path) -> dict[str, tuple[str, Path]]:
    """name -> (loader kind, file): the attacks as the issue describes them."""
    data = _module(CORPUS / "make_corpus.py")
    ckpt = _module(CORPUS / "checkpoints" / "make_checkpoints.py")
    files = ckpt.tiny_files()
    out = {}

    def model(name: str, members) -> None:
        blob = members if isinstance(members, bytes) else ckpt.zipped(members)
        (folder / name).write_bytes(blob)
        out[name] = ("model", folder / name)

    model("conv-65536.zip", ckpt.huge_conv(files))
    model("lstm-50M.zip", ckpt.long_lstm(files))
    model("history-108MB.zip", ckpt.long_history(files, 108))
    model("duplicates.zip", ckpt.duplicated(files, "history.json", 20, 100 * 2**20))
    out["uint8-191MB.npy"] = ("data", data.write_big_npy(folder / "uint8-191MB.npy", (98_000, 44, 44)))
    out["rows-100M.csv"] = ("data", data.write_tall_csv(folder / "rows-100M.csv", 100_000_000))
    out["pngs-99k.zip"] = ("data", data.write_png_zip(folder / "pngs-99k.zip", 99_000))
    return out


def measure(repo: Path, kind: str, path: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(repo), "OMP_NUM_THREADS": "1"}
    limit = lambda: resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_LIMIT, ADDRESS_LIMIT))
    t0 = time.perf_counter()
    try:
        done = subprocess.run([sys.executable, "-c", CHILD, kind, str(path), str(WARM[kind])], capture_output=True,
                              text=True,
                              env=env, cwd=repo, timeout=300, preexec_fn=limit, check=False)
    except subprocess.TimeoutExpired:
        return {"s": time.perf_counter() - t0, "peak": None, "kept": None, "outcome": "still running after 300 s"}
    if done.returncode:
        return {"s": time.perf_counter() - t0, "peak": None, "kept": None,
                "outcome": f"child died ({done.returncode}): {done.stderr.strip().splitlines()[-1:]}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def cli_sample(repo: Path, path: Path) -> dict:
    """`python -m aecore sample FILE`: the exit code and the last line it printed."""
    env = {**os.environ, "PYTHONPATH": str(repo), "OMP_NUM_THREADS": "1"}
    limit = lambda: resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_LIMIT, ADDRESS_LIMIT))
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        try:
            done = subprocess.run([sys.executable, "-m", "aecore", "sample", str(path), "--n", "4",
                                   "--out", f"{tmp}/x.npy"], capture_output=True, text=True, env=env, cwd=repo,
                                  timeout=120, preexec_fn=limit, check=False)
        except subprocess.TimeoutExpired:
            return {"s": 120.0, "rc": None, "last": "still running after 120 s", "traceback": False}
    err = done.stderr.strip().splitlines()
    return {"s": time.perf_counter() - t0, "rc": done.returncode, "last": err[-1] if err else done.stdout.strip(),
            "traceback": "Traceback" in done.stderr}


def _mb(n) -> str:
    return "-" if n is None else f"{n / 2**20:+,.0f} MB"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--repo", type=Path, default=ROOT)
    p.add_argument("--only", default="")
    args = p.parse_args()
    print(f"code under test: {args.repo}; load average {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory(prefix="budgets-") as tmp:
        attacks = make_attacks(Path(tmp))
        wanted = [a for a in attacks if not args.only or any(w in a for w in args.only.split(","))]
        print("| attack | file | time | peak | kept | outcome |\n|---|---|---|---|---|---|")
        for name in wanted:
            kind, path = attacks[name]
            r = measure(args.repo, kind, path)
            print(f"| {name} | {path.stat().st_size / 2**20:,.2f} MB | {r['s']:.2f} s | {_mb(r['peak'])} | "
                  f"{_mb(r['kept'])} | {r['outcome'][:150]} |", flush=True)
        for name in ("conv-65536.zip", "lstm-50M.zip"):
            if name in wanted:
                r = cli_sample(args.repo, attacks[name][1])
                print(f"| sample {name} | CLI | {r['s']:.2f} s | | | exit {r['rc']}, traceback {r['traceback']}: "
                      f"{r['last'][:150]} |", flush=True)
    print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
