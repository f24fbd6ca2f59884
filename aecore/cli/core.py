"""The engine's subcommands that use a run, and bench: eval, encode, project, reconstruct, sample, bench.

Each prints one JSON object (or a table) on stdout, so a shell script or numpy can read the result.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

from ..config import TrainConfig
from ..views.codes import SPLITS
from ..views.project import METHODS
from .files import data_json, label_index, load_run, run_and_data, save_npy, save_png
from .options import positive, run_options

GRID = 64   # samples for reconstruct and sample: an 8x8 picture


def add_commands(sub) -> None:
    """Register eval, encode, project, reconstruct, sample and bench."""
    from ..bench import CASES, BenchConfig

    s = sub.add_parser("eval", help="print test-split metrics of a run as one JSON object")
    run_options(s)
    s.set_defaults(func=cmd_eval)

    s = sub.add_parser("encode", help="codes of a split (posterior means for a VAE) to a .npy file")
    run_options(s)
    s.add_argument("--split", choices=("test", "train"), default="test")
    s.add_argument("--out", required=True, type=Path)
    s.set_defaults(func=cmd_encode)

    s = sub.add_parser("project", help="2-D coordinates of a split's codes (direct, PCA or UMAP of every point) to .npy")
    run_options(s)
    s.add_argument("--method", choices=METHODS, default="pca",
                   help="direct: the code itself (1-2 numbers); pca: top two components; umap: neighbours kept")
    s.add_argument("--split", choices=SPLITS, default="all", help="all: train, then test (the rows' order)")
    s.add_argument("--seed", type=int, default=TrainConfig().seed, help="UMAP's seed (the same map every time)")
    s.add_argument("--out", required=True, type=Path)
    s.set_defaults(func=cmd_project)

    s = sub.add_parser("reconstruct", help="reconstructions of the first N test samples to .npy (+ .png)")
    run_options(s)
    s.add_argument("--n", type=int, default=GRID)
    s.add_argument("--out", required=True, type=Path)
    s.set_defaults(func=cmd_reconstruct)

    s = sub.add_parser("sample", help="N samples from a VAE's prior to .npy (+ .png)")
    s.add_argument("run", type=Path, help="run folder (or a .zip of one)")
    s.add_argument("--n", type=int, default=GRID)
    s.add_argument("--seed", type=int, default=TrainConfig().seed)
    s.add_argument("--label", help="class to generate, by index or name (conditional VAEs)")
    s.add_argument("--device", default=TrainConfig().device)
    s.add_argument("--out", required=True, type=Path)
    s.set_defaults(func=cmd_sample)

    s = sub.add_parser("bench", help="samples/s of aecore's training loop against a DataLoader loop")
    s.add_argument("--quick", action="store_true", help="fewer steps and repeats: under a minute")
    s.add_argument("--steps", type=int, help="timed steps per repeat")
    s.add_argument("--repeats", type=int)
    s.add_argument("--threads", type=int, default=BenchConfig().threads, help="torch threads (0: torch's default)")
    s.add_argument("--cases", default=",".join(CASES))
    s.add_argument("--data-dir", help="train on real MNIST from this folder (default: random MNIST-shaped images)")
    s.set_defaults(func=cmd_bench)


def cmd_eval(args) -> int:
    from ..infer import evaluate

    run, data, same = run_and_data(args)
    metrics = evaluate(run.model, data.x_test, data.y_test)
    out = {"dataset": data.name, "n": len(data.x_test),
           "data": data_json(data, len(data.x_test), split="test", same_as_training=same),
           **{k: (v if math.isfinite(v) else None) for k, v in metrics.items()}}   # JSON has no Infinity
    print(json.dumps(out))
    return 0


def cmd_encode(args) -> int:
    from ..infer import encode_all

    run, data, same = run_and_data(args)
    x, y = (data.x_test, data.y_test) if args.split == "test" else (data.x_train, data.y_train)
    codes = encode_all(run.model, x, y)
    save_npy(args.out, codes)
    print(json.dumps({"out": str(args.out), "shape": list(codes.shape), "split": args.split, "dataset": data.name,
                      "data": data_json(data, len(x), split=args.split, same_as_training=same)}))
    return 0


def cmd_project(args) -> int:
    """Encode a split, project every code to 2-D, save the (N, 2) coordinates; one JSON line with the timings."""
    import time

    from ..views import umapx
    from ..views.codes import encode_dataset
    from ..views.project import Projector

    run, data, same = run_and_data(args)
    codes = encode_dataset(run.model, data, args.split)
    compile_s = 0.0
    if args.method == "umap":   # numba compiles once per process (less with its disk cache): timed apart
        start = time.perf_counter()
        umapx.warm_up_umap(background=False)
        compile_s = time.perf_counter() - start
    start = time.perf_counter()
    coords = Projector(args.method, max_fit=len(codes), seed=args.seed).fit_transform(codes.codes)
    seconds = time.perf_counter() - start
    save_npy(args.out, coords)
    print(json.dumps({"out": str(args.out), "method": args.method, "n": len(coords), "seconds": round(seconds, 3),
                      "compile_s": round(compile_s, 3), "split": args.split, "shape": list(coords.shape),
                      "dataset": data.name, "data": data_json(data, len(coords), split=args.split,
                                                              same_as_training=same)}))
    return 0


def cmd_reconstruct(args) -> int:
    import torch

    from ..infer import reconstruct

    positive("--n", args.n)
    run, data, same = run_and_data(args)
    x = data.x_test[:args.n]
    y = None if data.y_test is None else data.y_test[:args.n]
    x_hat = reconstruct(run.model, x, y)
    save_npy(args.out, x_hat)
    # each original beside its reconstruction, so the picture reads without the .npy
    pairs = torch.stack([x, x_hat], dim=1).flatten(0, 1)
    png = save_png(args.out, pairs, run, ncols=2 * math.ceil(math.sqrt(len(x))))
    print(json.dumps({"out": str(args.out), "shape": list(x_hat.shape), "png": png, "dataset": data.name,
                      "data": data_json(data, len(x), split="test", same_as_training=same)}))
    return 0


def cmd_sample(args) -> int:
    from ..infer import sample

    positive("--n", args.n)
    run = load_run(args.run, args.device)
    label = label_index(args.label, run.data_info.label_names) if args.label is not None else None
    x = sample(run.model, args.n, seed=args.seed, label=label)
    save_npy(args.out, x)
    png = save_png(args.out, x, run)
    print(json.dumps({"out": str(args.out), "shape": list(x.shape), "png": png}))
    return 0


def cmd_bench(args) -> int:
    from dataclasses import replace

    from ..bench import CASES, QUICK, BenchConfig, format_table, run_bench

    cfg = QUICK if args.quick else BenchConfig()
    cfg = replace(cfg, **{k: v for k, v in {"steps": args.steps, "repeats": args.repeats,
                                             "threads": args.threads}.items() if v is not None})
    cases = tuple(c.strip() for c in args.cases.split(",") if c.strip())
    unknown = sorted(set(cases) - set(CASES))
    if unknown:
        raise ValueError(f"unknown bench case {', '.join(unknown)}; choose from {', '.join(CASES)}")
    data = None
    if args.data_dir:
        from ..data import load_dataset
        data = load_dataset("mnist", data_dir=args.data_dir, allow_download=False)
        if len(data.x_train) < cfg.n_samples:
            raise ValueError(f"{args.data_dir} gave {data.title} ({len(data.x_train)} training images); "
                             f"the benchmark needs {cfg.n_samples}: point --data-dir at the full MNIST")
    result = run_bench(cfg, cases, data)
    print(format_table(result))
    print(json.dumps(result))
    return 0
