"""Latent atlas benchmark: UMAP of all 70,000 MNIST codes, umap-learn's default call against aecore.umapx.

    python scripts/bench_latent.py --data-dir /work/shared/datasets/mnist

Trains a quick 16-d autoencoder on real MNIST, encodes train+test, then in ONE process (so the machine's load is
shared alike): both paths warmed up first (compile time reported apart), then timed unseeded and seeded, with
trustworthiness on a fixed 5,000-point subsample. Compile time is measured in fresh processes, cold cache then
warm. Also the thumbnail atlas' bytes and encode time. Prints readable lines, then one JSON line last.
Browser timings belong in their own functions here, called from `main`.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aecore import umapx  # noqa: E402
from aecore.atlas import FORMATS, image_atlas  # noqa: E402
from aecore.codes import encode_dataset, split_inputs  # noqa: E402
from aecore.config import ModelConfig, TrainConfig  # noqa: E402
from aecore.data import load_dataset  # noqa: E402
from aecore.train import fit, new_run  # noqa: E402

COMPILE_PROBE = ("import time, sys; sys.path.insert(0, sys.argv[1]); from aecore import umapx; t = time.time(); "
                 "umapx.import_umap(); i = time.time() - t; umapx.warm_up_umap(background=False); "
                 "print(round(i, 2), round(time.time() - t - i, 2))")


def timed(fn, *args, **kwargs):
    """(result, wall seconds, CPU seconds of this process) of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - wall, time.process_time() - cpu


def mnist_codes(data_dir: str, epochs: int, latent_dim: int = 16):
    """Codes (70,000, latent_dim) of train+test from a quickly trained MLP autoencoder, and the dataset."""
    data = load_dataset("mnist", data_dir=data_dir, allow_download=False)
    torch.manual_seed(0)
    run = new_run(data, ModelConfig(latent_dim=latent_dim),
                  TrainConfig(epochs=epochs, batch_size=128, lr=2e-3, device="cpu", eval_every_epoch=False))
    last = None
    for last in fit(run, data):
        pass
    encoded, seconds, _ = timed(encode_dataset, run.model, data, "all")
    return data, encoded, {"train_loss": round(last.losses["loss"], 2), "encode_s": round(seconds, 2)}


def compile_times() -> dict:
    """Seconds to import umap and run the warm-up in a fresh process: with an empty numba cache, then warm."""
    out = {}
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, umapx.NUMBA_CACHE_ENV: cache}
        for name in ("cold", "warm"):
            run = subprocess.run([sys.executable, "-c", COMPILE_PROBE, str(Path(__file__).resolve().parents[1])],
                                 env=env, capture_output=True, text=True, check=True)
            imported, warm_up = map(float, run.stdout.split()[-2:])
            out[f"{name}_cache_import_s"], out[f"{name}_cache_warm_up_s"] = imported, warm_up
    return out


def default_umap(codes: np.ndarray, seed: int | None = None, n_epochs: int | None = None) -> np.ndarray:
    """umap-learn's default call, the reference."""
    umap = umapx.import_umap()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return umap.UMAP(random_state=seed, n_epochs=n_epochs).fit_transform(codes)


def trust(codes: np.ndarray, coords: np.ndarray, n: int = 5000) -> float:
    from sklearn.manifold import trustworthiness
    pick = np.random.default_rng(0).choice(len(codes), size=min(n, len(codes)), replace=False)
    return round(float(trustworthiness(codes[pick], coords[pick], n_neighbors=5)), 4)


def warm_ups(codes: np.ndarray) -> dict:
    """Compile both paths in this process before timing anything (NN-descent too: 5,000 > 4,096 points)."""
    _, ours, _ = timed(umapx.warm_up_umap, background=False)
    _, default, _ = timed(default_umap, codes[:5000], n_epochs=5)
    _, seeded, _ = timed(default_umap, codes[:5000], seed=0, n_epochs=5)
    return {"warm_up_ours_s": round(ours, 1), "warm_up_default_s": round(default + seeded, 1)}


def compare(codes: np.ndarray, seed: int | None) -> dict:
    """Default call and ours on the same codes, back to back; times, CPU times, ratio and trustworthiness."""
    tag = "seeded" if seed is not None else "unseeded"
    reference, ref_s, ref_cpu = timed(default_umap, codes, seed=seed)
    marks = []
    ours, ours_s, ours_cpu = timed(umapx.umap_embed, codes, seed=seed, progress=marks.append)
    return {f"default_{tag}_s": round(ref_s, 1), f"ours_{tag}_s": round(ours_s, 1),
            f"ratio_{tag}": round(ref_s / ours_s, 2), f"cpu_ratio_{tag}": round(ref_cpu / ours_cpu, 2),
            f"trust_default_{tag}": trust(codes, reference), f"trust_ours_{tag}": trust(codes, ours),
            f"progress_calls_{tag}": len(marks)}


def atlas_costs(x: torch.Tensor) -> dict:
    """Bytes and encode seconds of the thumbnails of every image, in each format."""
    out = {}
    for fmt in FORMATS:
        atlas, seconds, _ = timed(image_atlas, x, format=fmt)
        out[f"atlas_{fmt}_bytes"], out[f"atlas_{fmt}_s"] = len(atlas.data), round(seconds, 2)
    return out


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=os.environ.get("AECORE_DATA_DIR"), help="folder with MNIST's IDX files")
    parser.add_argument("--epochs", type=int, default=2, help="training epochs of the 16-d model")
    args = parser.parse_args(argv)
    umapx.configure_numba_cache()
    report = {"load_before": round(os.getloadavg()[0], 2), **compile_times()}
    data, encoded, facts = mnist_codes(args.data_dir, args.epochs)
    report.update(facts, n=len(encoded), dim=encoded.codes.shape[1], ours_epochs=umapx.default_epochs(len(encoded)))
    report.update(warm_ups(encoded.codes))
    report.update(compare(encoded.codes, seed=None))
    report.update(compare(encoded.codes, seed=0))
    report.update(atlas_costs(split_inputs(data, "all")))
    report["load_after"] = round(os.getloadavg()[0], 2)
    for key, value in report.items():
        print(f"{key:>28}: {value}")
    print(json.dumps(report))
    return report


if __name__ == "__main__":
    main()
