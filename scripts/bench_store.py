"""What one save of a student's workspace costs (face.persist saves every SAVE_EVERY_S while a model trains).

The default sidebar model (a VAE on MNIST, the 5k subset when the full files are not here) and a conv AE, each with
the history of a 10-epoch run on full MNIST (4,690 steps) so the history.json is as large as a class meets; saved
into a store that already holds 200 other students' entries (eviction looks at every one of them). Prints the
median of the parts: serialising the run (aecore.runs.checkpoint.run_files), the whole save, and the entry's size; and
history.json's encoding as it was (dataclasses.asdict per step) and as it is (vars), side by side.

    python scripts/bench_store.py          # 4,690 steps of history; `python scripts/bench_store.py 400`: the
                                           # sidebar's default, 10 epochs of the 5k subset
"""
from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aecore.config import TrainConfig  # noqa: E402
from aecore.data import load_dataset  # noqa: E402
from aecore.lecture.share import defaults  # noqa: E402
from aecore.models import variant_config  # noqa: E402
from aecore.runs.checkpoint import run_files  # noqa: E402
from aecore.runs.store import WorkspaceStore, new_token  # noqa: E402
from aecore.train import fit, new_run  # noqa: E402

STEPS = 4690   # 10 epochs of full MNIST at batch 128


def model_with_history(variant: str, data, steps: int = STEPS):
    d = defaults()
    run = new_run(data, variant_config(variant, latent_dim=d["latent_dim"]), TrainConfig(epochs=1, batch_size=128))
    training = fit(run, data)
    next(training)
    training.close()
    run.history = [replace(run.history[0], n=i + 1) for i in range(steps)]
    return run


def timed(fn, repeat: int = 15) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> int:
    steps = int(sys.argv[1]) if len(sys.argv) > 1 else STEPS
    data = load_dataset("mnist")
    out = {"data": data.title, "history_steps": steps, "load": os.getloadavg()[0]}
    with tempfile.TemporaryDirectory() as root:
        store = WorkspaceStore(root)
        filler = model_with_history("vanilla", data)
        for _ in range(200):
            store.save(new_token(), filler, {"variant": "vanilla"})
        for variant in ("vae", "conv"):
            run = model_with_history(variant, data, steps)
            token = new_token()
            size = sum(len(b) for b in run_files(run).values())
            serialise = timed(lambda: run_files(run))
            before = timed(lambda: json.dumps([asdict(s) for s in run.history]), 5)   # history.json as it was
            now = timed(lambda: json.dumps([vars(s) for s in run.history]), 5)
            save = timed(lambda: store.save(token, run, defaults(), {"training": True}))
            out[variant] = {"entry_mb": round(size / 2**20, 2), "run_files_ms": round(serialise * 1e3, 1),
                            "save_ms": round(save * 1e3, 1), "history_asdict_ms": round(before * 1e3, 1),
                            "history_vars_ms": round(now * 1e3, 1)}
            print(f"{variant:8s} entry {size / 2**20:5.2f} MB   serialise {serialise * 1e3:6.1f} ms   "
                  f"save (200 other entries) {save * 1e3:6.1f} ms   history.json: asdict {before * 1e3:.1f} ms, "
                  f"vars {now * 1e3:.1f} ms ({before / now:.1f}x)")
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
