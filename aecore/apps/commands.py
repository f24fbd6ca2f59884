"""Headless subcommands for the applications: `python -m aecore denoise | anomaly | compress | features`.

`add_commands(subparsers)` registers them on aecore.cli's argparse subparsers. Each trains the models it
needs, prints a table (or one JSON object with --json) and returns the exit code; progress goes to stderr.
"""
from __future__ import annotations

import argparse
import csv
import json
import sys
from dataclasses import replace
from pathlib import Path


def add_commands(sub) -> None:
    """Register the application subcommands on an argparse `add_subparsers()` object."""
    from .compress import QUALITIES, SIZES
    from .denoise import LEVELS, NOISE_KINDS
    from .features import CLASSIFIERS

    s = sub.add_parser("denoise", help="PSNR of a denoising AE, a plain AE, a median filter, PCA and the noisy input")
    _common(s, latent_dim=64, epochs=5)
    s.add_argument("--noise", choices=NOISE_KINDS, default="gaussian")
    s.add_argument("--level", type=float, default=0.5, help="noise the denoising AE trains on (gaussian: sigma; else a fraction)")
    s.add_argument("--levels", type=_floats, default=LEVELS, help="comma-separated levels for the PSNR curve")
    s.set_defaults(func=cmd_denoise)

    s = sub.add_parser("anomaly", help="train on normal classes only; ROC-AUC of the AE against PCA and Isolation Forest")
    _common(s, latent_dim=None, epochs=None)
    s.add_argument("--normal", help="comma-separated normal classes (indices or names); default: the most frequent class")
    s.add_argument("--one-class", action="store_true", help="each class normal in turn (a model per class); mean AUC")
    s.add_argument("--variant", help="default: lstm for sequences, vanilla otherwise")
    s.add_argument("--scores", type=Path, help="write every test sample's scores to this CSV")
    s.set_defaults(func=cmd_anomaly)

    s = sub.add_parser("compress", help="test error against bottleneck size (AE, PCA); bytes per sample against PSNR (JPEG)")
    _common(s, latent_dim=16, epochs=5)
    s.add_argument("--sizes", type=_ints, default=SIZES, help="bottleneck sizes for the sweep (one model each)")
    s.add_argument("--qualities", type=_ints, default=QUALITIES, help="JPEG qualities for the reference")
    s.set_defaults(func=cmd_compress)

    s = sub.add_parser("features", help="accuracy of classifiers on codes, PCA and raw values with few labels")
    _common(s, latent_dim=16, epochs=5)
    s.add_argument("--labels", type=_budgets, default=(100, 1000, None), help="label budgets, e.g. 100,1000,all")
    s.add_argument("--classifiers", type=lambda t: tuple(t.split(",")), default=CLASSIFIERS,
                   help=f"comma-separated, from: {', '.join(CLASSIFIERS)}")
    s.set_defaults(func=cmd_features)


# --- subcommands -------------------------------------------------------------------------------------------
def cmd_denoise(args) -> int:
    from . import denoise
    from .baselines import fit_pca
    from ..jobs import ModelSpec, train_all

    data = _data(args)
    cfgs = denoise.denoiser_configs(args.noise, args.level, args.latent_dim or 64)
    runs = train_all([ModelSpec(name, data, cfg, _train_config(args, denoise.TRAIN)) for name, cfg in cfgs.items()],
                     _progress())
    methods = denoise.methods({n: r.model for n, r in runs.items()}, fit_pca(data.x_train, args.latent_dim or 64),
                              images=data.kind == "image")
    rows = denoise.psnr_curve(data.x_test, methods, args.noise, sorted(set(args.levels) | {args.level}),
                              data.value_range, args.seed)
    at = {r["method"]: r["psnr"] for r in rows if r["level"] == args.level}
    if args.json:
        print(json.dumps({"dataset": data.title, "noise": args.noise, "level": args.level, "psnr": at, "curve": rows}))
        return 0
    print(f"{data.title}, test split, {args.noise} noise: PSNR in dB (higher is better)")
    levels = sorted({r["level"] for r in rows})
    _table(["method", *[f"{v:g}" for v in levels]],
           [[m, *[f"{next(r['psnr'] for r in rows if r['method'] == m and r['level'] == v):.2f}" for v in levels]]
            for m in methods])
    return 0


def cmd_anomaly(args) -> int:
    from . import anomaly

    data = _data(args)
    variant, model, default_train = anomaly.recipe(data.kind, args.latent_dim, args.variant)
    train = _train_config(args, default_train)
    if args.one_class:
        rows = anomaly.one_class_aucs(data, model, train, variant=variant,
                                      on_class=lambda c: print(f"training on class {c} only…", file=sys.stderr))
        methods = [k for k in rows[0] if k != "normal"]
        mean = {m: sum(r[m] for r in rows) / len(rows) for m in methods}
        if args.json:
            print(json.dumps({"dataset": data.title, "latent_dim": model.latent_dim, "per_class": rows, "mean": mean}))
            return 0
        print(f"{data.title}: one-class ROC-AUC, each class normal in turn, every test sample scored")
        _table(["normal", *methods], [[r["normal"], *[f"{r[m]:.3f}" for m in methods]] for r in rows]
               + [["mean", *[f"{mean[m]:.3f}" for m in methods]]])
        return 0
    normal = _classes(args.normal, data) if args.normal else anomaly.default_normal(data)
    from ..jobs import ModelSpec, train_all

    spec = ModelSpec("autoencoder", anomaly.normal_only(data, normal), model, train, variant)
    run = train_all([spec], _progress())["autoencoder"]
    scores = anomaly.score_all(run.model, data, normal, seed=args.seed)
    labels = anomaly.is_anomaly(data.y_test, normal)
    aucs = anomaly.auc_table(scores, labels)
    if args.scores:
        _write_scores(args.scores, scores, data.y_test, labels)
    if args.json:
        print(json.dumps({"dataset": data.title, "normal": [anomaly.label_name(data, c) for c in normal],
                          "variant": variant, "latent_dim": model.latent_dim, "roc_auc": aucs}))
        return 0
    print(f"{data.title}: normal = {', '.join(anomaly.label_name(data, c) for c in normal)}; "
          f"{int(labels.sum())} of {len(labels)} test samples are anomalies")
    _table(["method", "ROC-AUC"], [[m, f"{a:.4f}"] for m, a in aucs.items()])
    return 0


def cmd_compress(args) -> int:
    from . import compress
    from .baselines import fit_pca
    from ..jobs import ModelSpec, train_all
    from ..models import variant_config

    data = _data(args)
    k = args.latent_dim or 16
    sizes = sorted(set(args.sizes) | {k})
    specs = [ModelSpec(str(s), data, variant_config("vanilla", latent_dim=s), _train_config(args, 5)) for s in sizes]
    runs = train_all(specs, _progress())
    models = {s: runs[str(s)].model for s in sizes}
    pcas = {s: fit_pca(data.x_train, s) for s in sizes}
    sweep = compress.sweep_rows(models, pcas, data.x_test, data.value_range)
    rate = (compress.code_rows(models[k], data.x_test, data.value_range, data.x_train)
            + compress.pca_rows(pcas[k], data.x_test, data.value_range, data.x_train))
    if data.kind == "image" and data.in_unit_range:
        rate += compress.jpeg_rows(data.x_test, tuple(args.qualities))
    if args.json:
        print(json.dumps({"dataset": data.title, "sweep": sweep, "rate_distortion": rate,
                          "table_bytes_8bit": compress.table_bytes(k, "8-bit")}))
        return 0
    print(f"{data.title}, test split: reconstruction error against bottleneck size")
    _table(["size", "method", "MSE per value", "PSNR dB"],
           [[r["size"], r["method"], f"{r['mse']:.5f}", f"{r['psnr']:.2f}"] for r in sweep])
    print(f"\nbytes per sample against PSNR ({k}-d codes; the 8-bit table adds {compress.table_bytes(k, '8-bit')} "
          "bytes once per dataset)")
    _table(["method", "format", "bytes/sample", "PSNR dB"],
           [[r["method"], r["format"], f"{r['bytes']:.1f}", f"{r['psnr']:.2f}"] for r in rate])
    return 0


def cmd_features(args) -> int:
    from . import features
    from ..jobs import ModelSpec, train_all
    from ..models import variant_config

    data = _data(args)
    if data.y_train is None:
        raise ValueError(f"{data.title} has no labels to classify")
    k = args.latent_dim or 16
    run = train_all([ModelSpec("autoencoder", data, variant_config("vanilla", latent_dim=k),
                               _train_config(args, 5))], _progress())["autoencoder"]
    sets = features.feature_sets(run.model, data.x_train, data.x_test)
    rows = features.accuracy_rows(sets, data.y_train, data.y_test, tuple(args.labels), tuple(args.classifiers), args.seed)
    if args.json:
        print(json.dumps({"dataset": data.title, "rows": rows}))
        return 0
    print(f"{data.title}: test accuracy with few labels")
    _table(["labels", "features", "classifier", "accuracy"],
           [[r["labels"], r["features"], r["classifier"], f"{r['accuracy']:.3f}"] for r in rows])
    return 0


# --- helpers -------------------------------------------------------------------------------------------------
def _common(p: argparse.ArgumentParser, latent_dim: int | None, epochs: int | None) -> None:
    p.add_argument("--dataset", required=True, help="built-in name (mnist, ecg5000, …) or a path to a file")
    p.add_argument("--data-dir", help="folder holding dataset folders (e.g. mnist/ with the IDX files)")
    p.add_argument("--cache-dir", help="where downloads are kept")
    p.add_argument("--offline", action="store_true", help="never download; use local files or the embedded subset")
    p.add_argument("--latent-dim", type=int, help=f"bottleneck size (default: {latent_dim or 'by data kind'})")
    p.add_argument("--epochs", type=int, help=f"training epochs per model (default: {epochs or 'by data kind'})")
    p.add_argument("--batch-size", type=int, help="default: the recipe's, else 128")
    p.add_argument("--lr", type=float, help="Adam's learning rate (default: the recipe's, else 1e-3)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--max-train", type=int, help="use at most this many training samples (faster, rougher)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of tables")


def _data(args):
    from ..data import load_dataset

    data = load_dataset(args.dataset, data_dir=args.data_dir, cache_dir=args.cache_dir, allow_download=not args.offline)
    if args.max_train:
        data = replace(data, x_train=data.x_train[:args.max_train],
                       y_train=None if data.y_train is None else data.y_train[:args.max_train])
    print(f"{data.title}: {len(data.x_train)} train / {len(data.x_test)} test samples ({data.source})", file=sys.stderr)
    return data


def _train_config(args, default):
    """The recipe's TrainConfig (or, given an int, epochs on top of the defaults) with the flags given applied."""
    from ..config import TrainConfig

    base = TrainConfig(epochs=default, eval_every_epoch=False) if isinstance(default, int) else default
    given = {"epochs": args.epochs, "batch_size": args.batch_size, "lr": args.lr}
    return replace(base, seed=args.seed, **{k: v for k, v in given.items() if v is not None})


def _progress():
    last = {}

    def report(name: str, fraction: float) -> None:
        tenth = int(fraction * 10)
        if last.get(name) != tenth:
            last[name] = tenth
            print(f"training {name}: {tenth * 10}%", file=sys.stderr)
    return report


def _classes(text: str, data) -> list[int]:
    names = list(data.label_names)
    out = []
    for part in (t.strip() for t in text.split(",") if t.strip()):
        if part in names:
            out.append(names.index(part))
        elif part.isdigit() and int(part) < max(len(names), 1):
            out.append(int(part))
        else:
            raise ValueError(f"--normal: {part!r} is not a class of {data.title} ({', '.join(names)})")
    return out


def _write_scores(path: Path, scores: dict, y, anomalous) -> None:
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["index", "label", "anomalous", *scores])
        for i in range(len(anomalous)):
            w.writerow([i, int(y[i]), int(anomalous[i]), *[f"{s[i]:.6g}" for s in scores.values()]])
    print(f"wrote {path}", file=sys.stderr)


def _table(header: list, rows: list[list]) -> None:
    cells = [[str(c) for c in r] for r in [header, *rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    for r in cells:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())


def _floats(text: str) -> tuple[float, ...]:
    try:
        return tuple(float(t) for t in text.split(",") if t.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers like 0.1,0.3, got {text!r}") from None


def _ints(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(t) for t in text.split(",") if t.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated whole numbers like 2,8,32, got {text!r}") from None


def _budgets(text: str) -> tuple[int | None, ...]:
    return tuple(None if t.strip() == "all" else _ints(t)[0] for t in text.split(",") if t.strip())
