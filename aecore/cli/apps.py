"""The applications from the shell: `python -m aecore denoise | anomaly | compress | features` (impute and
sequences: aecore.cli.rebuild).

Each subcommand builds the same application object (aecore.apps) its page builds, from flags whose defaults are
that object's, trains its models, prints a table (or one JSON object with --json) and returns the exit code;
progress goes to stderr.
"""
from __future__ import annotations

import csv
import json
import sys
from dataclasses import replace
from pathlib import Path

from .files import data_json
from .options import budgets, floats, ints, load_data, names, train_options


def add_commands(sub) -> None:
    """Register the application subcommands on an argparse `add_subparsers()` object."""
    from ..apps import Compression, Denoising, FeatureComparison, compress, denoise, features

    d = Denoising()
    s = sub.add_parser("denoise", help="PSNR of a denoising AE, a plain AE, a median filter, PCA and the noisy input")
    train_options(s, latent_dim=d.latent_dim, epochs=small_data_help(denoise.TRAIN.epochs))
    s.add_argument("--noise", choices=denoise.NOISE_KINDS, default=d.noise)
    s.add_argument("--level", type=float, default=d.level,
                   help="noise the denoising AE trains on (gaussian: sigma; else a fraction)")
    s.add_argument("--levels", type=floats, default=d.levels, help="comma-separated levels for the PSNR curve")
    s.set_defaults(func=cmd_denoise)

    s = sub.add_parser("anomaly", help="train on normal classes only; "
                                       "ROC-AUC of the AE against PCA and Isolation Forest")
    train_options(s, latent_dim=None, epochs=None)
    s.add_argument("--normal", help="comma-separated normal classes (indices or names); "
                                    "default: the most frequent class")
    s.add_argument("--one-class", action="store_true", help="each class normal in turn (a model per class); mean AUC")
    s.add_argument("--variant", help="default: the recipe's for the data kind (a one-layer MLP)")
    s.add_argument("--scores", type=Path, help="write every test sample's scores to this CSV")
    s.set_defaults(func=cmd_anomaly)

    c = Compression()
    s = sub.add_parser("compress", help="test error against bottleneck size (AE, PCA); "
                                        "bytes per sample against PSNR (JPEG)")
    train_options(s, latent_dim=c.latent_dim, epochs=small_data_help(compress.TRAIN.epochs))
    s.add_argument("--sizes", type=ints, default=c.sizes, help="bottleneck sizes for the sweep (one model each)")
    s.add_argument("--qualities", type=ints, default=c.qualities, help="JPEG qualities for the reference")
    s.set_defaults(func=cmd_compress)

    f = FeatureComparison()
    s = sub.add_parser("features", help="accuracy of classifiers on codes, PCA and raw values with few labels")
    train_options(s, latent_dim=f.latent_dim, epochs=small_data_help(features.TRAIN.epochs))
    s.add_argument("--labels", type=budgets, default=f.budgets, help="label budgets, e.g. 100,1000,all")
    s.add_argument("--classifiers", type=names, default=f.classifiers,
                   help=f"comma-separated, from: {', '.join(features.CLASSIFIERS)}")
    s.set_defaults(func=cmd_features)


def small_data_help(epochs: int) -> str:
    """The --epochs default of an application whose recipe has more epochs for small data (apps.experiment.sized)."""
    from ..apps.experiment import SMALL_DATA, SMALL_DATA_EPOCHS

    return f"{epochs}; {SMALL_DATA_EPOCHS} for data of up to {SMALL_DATA:,} training samples"


# --- the application objects the flags describe (the same classes, and defaults, as the pages') -------------
def denoising(args):
    from ..apps import Denoising

    return Denoising(args.noise, args.level, args.latent_dim or Denoising().latent_dim, tuple(args.levels),
                     _schedule(args))


def anomaly_detection(args, data):
    from ..apps import AnomalyDetection

    return AnomalyDetection(tuple(_classes(args.normal, data)) if args.normal else None, args.variant,
                            args.latent_dim, _schedule(args))


def compression(args):
    from ..apps import Compression

    return Compression(tuple(args.sizes), args.latent_dim or Compression().latent_dim, tuple(args.qualities),
                       _schedule(args))


def feature_comparison(args):
    from ..apps import FeatureComparison

    return FeatureComparison(args.latent_dim or FeatureComparison().latent_dim, tuple(args.labels),
                             tuple(args.classifiers), schedule=_schedule(args))


# --- subcommands -------------------------------------------------------------------------------------------
def cmd_denoise(args) -> int:
    from ..apps import run

    data = _data(args)
    result = run(denoising(args), data, _progress())
    rows = result.rows
    if args.json:
        print(json.dumps({"dataset": data.title, "data": _used(data), "noise": args.noise, "level": args.level,
                          "psnr": result.at(args.level), "curve": rows}))
        return 0
    print(f"{data.title}, test split, {args.noise} noise: PSNR in dB (higher is better)")
    levels = sorted({r["level"] for r in rows})
    psnr = {(r["method"], r["level"]): r["psnr"] for r in rows}
    methods = list(dict.fromkeys(r["method"] for r in rows))
    _table(["method", *[f"{v:g}" for v in levels]], [[m, *[f"{psnr[m, v]:.2f}" for v in levels]] for m in methods])
    return 0


def cmd_anomaly(args) -> int:
    from ..apps import run
    from ..apps.anomaly import label_name

    data = _data(args)
    exp = anomaly_detection(args, data)
    variant, model, _ = exp.recipe(data)
    if args.one_class:
        return _one_class(exp, data, model.latent_dim, args.json)
    normal = exp.normal_classes(data)
    result = run(exp, data, _progress())
    if not result.aucs:
        raise ValueError("ROC needs both normal and anomalous samples in the test split")
    if args.scores:
        _write_scores(args.scores, result.scores, data.y_test, result.anomalous)
    names = [label_name(data, c) for c in normal]
    if args.json:
        print(json.dumps({"dataset": data.title, "data": _used(data), "normal": names, "variant": variant,
                          "latent_dim": model.latent_dim, "roc_auc": result.aucs}))
        return 0
    print(f"{data.title}: normal = {', '.join(names)}; "
          f"{int(result.anomalous.sum())} of {len(result.anomalous)} test samples are anomalies")
    _table(["method", "ROC-AUC"], [[m, f"{a:.4f}"] for m, a in result.aucs.items()])
    return 0


def _one_class(exp, data, latent_dim: int, as_json: bool) -> int:
    rows = exp.one_class(data, _progress())
    methods = [k for k in rows[0] if k != "normal"]
    mean = {m: sum(r[m] for r in rows) / len(rows) for m in methods}
    if as_json:
        print(json.dumps({"dataset": data.title, "data": _used(data), "latent_dim": latent_dim, "per_class": rows,
                          "mean": mean}))
        return 0
    print(f"{data.title}: one-class ROC-AUC, each class normal in turn, every test sample scored")
    _table(["normal", *methods], [[r["normal"], *[f"{r[m]:.3f}" for m in methods]] for r in rows]
           + [["mean", *[f"{mean[m]:.3f}" for m in methods]]])
    return 0


def cmd_compress(args) -> int:
    from ..apps import run
    from ..apps.compress import table_bytes

    data = _data(args)
    exp = compression(args)
    result = run(exp, data, _progress())
    k = exp.latent_dim
    if args.json:
        print(json.dumps({"dataset": data.title, "data": _used(data), "sweep": result.sweep,
                          "rate_distortion": result.rate, "table_bytes_8bit": table_bytes(k, "8-bit")}))
        return 0
    print(f"{data.title}, test split: reconstruction error against bottleneck size")
    _table(["size", "method", "MSE per value", "PSNR dB"],
           [[r["size"], r["method"], f"{r['mse']:.5f}", f"{r['psnr']:.2f}"] for r in result.sweep])
    print(f"\nbytes per sample against PSNR ({k}-d codes; the 8-bit table adds {table_bytes(k, '8-bit')} "
          "bytes once per dataset)")
    _table(["method", "format", "bytes/sample", "PSNR dB"],
           [[r["method"], r["format"], f"{r['bytes']:.1f}", f"{r['psnr']:.2f}"] for r in result.rate])
    return 0


def cmd_features(args) -> int:
    from ..apps import run
    from ..apps.features import accuracy_table

    data = _data(args)
    if data.y_train is None:
        raise ValueError(f"{data.title} has no labels to classify")
    rows = run(feature_comparison(args), data, _progress())
    if args.json:
        print(json.dumps({"dataset": data.title, "data": _used(data), "rows": rows}))
        return 0
    print(f"{data.title}: test accuracy with few labels")
    table = accuracy_table(rows)
    _table(list(table[0]), [[v if isinstance(v, str) else f"{v:.3f}" for v in r.values()] for r in table])
    return 0


# --- helpers -------------------------------------------------------------------------------------------------
def _data(args):
    data = load_data(args.dataset, args)
    if args.max_train:
        data = replace(data, x_train=data.x_train[:args.max_train],
                       y_train=None if data.y_train is None else data.y_train[:args.max_train])
    print(f"{data.title}: {len(data.x_train)} train / {len(data.x_test)} test samples ({data.source})", file=sys.stderr)
    return data


def _used(data) -> dict:
    """The data a table was computed on, for its JSON: the test samples scored (n) and those trained on (n_train)."""
    return data_json(data, len(data.x_test), split="test", n_train=len(data.x_train))


def _schedule(args):
    """The training flags given; those not given keep the application's recipe."""
    from ..apps import Schedule

    return Schedule(args.epochs, args.batch_size, args.lr, args.seed)


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
