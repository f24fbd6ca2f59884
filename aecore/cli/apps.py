"""The applications from the shell: `python -m aecore denoise | anomaly | compress | features`.

Each trains the models it needs, prints a table (or one JSON object with --json) and returns the exit code;
progress goes to stderr.
"""
from __future__ import annotations

import csv
import json
import sys
from dataclasses import replace
from pathlib import Path

from ..config import TrainConfig
from .files import data_json
from .options import budgets, floats, ints, load_data, names, train_options


def add_commands(sub) -> None:
    """Register the application subcommands on an argparse `add_subparsers()` object."""
    from ..apps import compress, denoise, features

    s = sub.add_parser("denoise", help="PSNR of a denoising AE, a plain AE, a median filter, PCA and the noisy input")
    train_options(s, latent_dim=denoise.LATENT_DIM, epochs=denoise.TRAIN.epochs)
    s.add_argument("--noise", choices=denoise.NOISE_KINDS, default=denoise.NOISE_KINDS[0])
    s.add_argument("--level", type=float, default=denoise.LEVEL,
                   help="noise the denoising AE trains on (gaussian: sigma; else a fraction)")
    s.add_argument("--levels", type=floats, default=denoise.LEVELS, help="comma-separated levels for the PSNR curve")
    s.set_defaults(func=cmd_denoise)

    s = sub.add_parser("anomaly", help="train on normal classes only; ROC-AUC of the AE against PCA and Isolation Forest")
    train_options(s, latent_dim=None, epochs=None)
    s.add_argument("--normal", help="comma-separated normal classes (indices or names); default: the most frequent class")
    s.add_argument("--one-class", action="store_true", help="each class normal in turn (a model per class); mean AUC")
    s.add_argument("--variant", help="default: lstm for sequences, vanilla otherwise")
    s.add_argument("--scores", type=Path, help="write every test sample's scores to this CSV")
    s.set_defaults(func=cmd_anomaly)

    s = sub.add_parser("compress", help="test error against bottleneck size (AE, PCA); bytes per sample against PSNR (JPEG)")
    train_options(s, latent_dim=compress.LATENT_DIM, epochs=TrainConfig().epochs)
    s.add_argument("--sizes", type=ints, default=compress.SIZES, help="bottleneck sizes for the sweep (one model each)")
    s.add_argument("--qualities", type=ints, default=compress.QUALITIES, help="JPEG qualities for the reference")
    s.set_defaults(func=cmd_compress)

    s = sub.add_parser("features", help="accuracy of classifiers on codes, PCA and raw values with few labels")
    train_options(s, latent_dim=features.LATENT_DIM, epochs=TrainConfig().epochs)
    s.add_argument("--labels", type=budgets, default=features.BUDGETS, help="label budgets, e.g. 100,1000,all")
    s.add_argument("--classifiers", type=names, default=features.CLASSIFIERS,
                   help=f"comma-separated, from: {', '.join(features.CLASSIFIERS)}")
    s.set_defaults(func=cmd_features)


# --- subcommands -------------------------------------------------------------------------------------------
def cmd_denoise(args) -> int:
    from ..apps import denoise
    from ..apps.baselines import fit_pca

    data = _data(args)
    k = args.latent_dim or denoise.LATENT_DIM
    runs = _train(data, denoise.denoiser_configs(args.noise, args.level, k), _train_config(args, denoise.TRAIN))
    methods = denoise.methods({n: r.model for n, r in runs.items()}, fit_pca(data.x_train, k),
                              images=data.kind == "image")
    rows = denoise.psnr_curve(data.x_test, methods, args.noise, sorted(set(args.levels) | {args.level}),
                              data.value_range, args.seed)
    at = {r["method"]: r["psnr"] for r in rows if r["level"] == args.level}
    if args.json:
        print(json.dumps({"dataset": data.title, "data": _used(data), "noise": args.noise, "level": args.level,
                          "psnr": at, "curve": rows}))
        return 0
    print(f"{data.title}, test split, {args.noise} noise: PSNR in dB (higher is better)")
    levels = sorted({r["level"] for r in rows})
    _table(["method", *[f"{v:g}" for v in levels]],
           [[m, *[f"{next(r['psnr'] for r in rows if r['method'] == m and r['level'] == v):.2f}" for v in levels]]
            for m in methods])
    return 0


def cmd_anomaly(args) -> int:
    from ..apps import anomaly

    data = _data(args)
    variant, model, default_train = anomaly.recipe(data.kind, args.latent_dim, args.variant)
    train = _train_config(args, default_train)
    if args.one_class:
        return _one_class(args, data, variant, model, train)
    normal = _classes(args.normal, data) if args.normal else anomaly.default_normal(data)
    run = _train(anomaly.normal_only(data, normal), {"autoencoder": model}, train, variant)["autoencoder"]
    scores = anomaly.score_all(run.model, data, normal, seed=args.seed)
    labels = anomaly.is_anomaly(data.y_test, normal)
    aucs = anomaly.auc_table(scores, labels)
    if args.scores:
        _write_scores(args.scores, scores, data.y_test, labels)
    if args.json:
        print(json.dumps({"dataset": data.title, "data": _used(data),
                          "normal": [anomaly.label_name(data, c) for c in normal],
                          "variant": variant, "latent_dim": model.latent_dim, "roc_auc": aucs}))
        return 0
    print(f"{data.title}: normal = {', '.join(anomaly.label_name(data, c) for c in normal)}; "
          f"{int(labels.sum())} of {len(labels)} test samples are anomalies")
    _table(["method", "ROC-AUC"], [[m, f"{a:.4f}"] for m, a in aucs.items()])
    return 0


def _one_class(args, data, variant, model, train) -> int:
    """`anomaly --one-class`: each class normal in turn, and the mean AUC of each method."""
    from ..apps import anomaly

    rows = anomaly.one_class_aucs(data, model, train, variant=variant,
                                  on_class=lambda c: print(f"training on class {c} only…", file=sys.stderr))
    methods = [k for k in rows[0] if k != "normal"]
    mean = {m: sum(r[m] for r in rows) / len(rows) for m in methods}
    if args.json:
        print(json.dumps({"dataset": data.title, "data": _used(data), "latent_dim": model.latent_dim,
                          "per_class": rows, "mean": mean}))
        return 0
    print(f"{data.title}: one-class ROC-AUC, each class normal in turn, every test sample scored")
    _table(["normal", *methods], [[r["normal"], *[f"{r[m]:.3f}" for m in methods]] for r in rows]
           + [["mean", *[f"{mean[m]:.3f}" for m in methods]]])
    return 0


def cmd_compress(args) -> int:
    from ..apps import compress
    from ..apps.baselines import fit_pca
    from ..models import variant_config

    data = _data(args)
    k = args.latent_dim or compress.LATENT_DIM
    sizes = sorted(set(args.sizes) | {k})
    runs = _train(data, {str(s): variant_config("vanilla", latent_dim=s) for s in sizes}, _train_config(args))
    models = {s: runs[str(s)].model for s in sizes}
    pcas = {s: fit_pca(data.x_train, s) for s in sizes}
    sweep = compress.sweep_rows(models, pcas, data.x_test, data.value_range)
    rate = (compress.code_rows(models[k], data.x_test, data.value_range, data.x_train)
            + compress.pca_rows(pcas[k], data.x_test, data.value_range, data.x_train))
    if data.kind == "image" and data.in_unit_range:
        rate += compress.jpeg_rows(data.x_test, tuple(args.qualities))
    if args.json:
        print(json.dumps({"dataset": data.title, "data": _used(data), "sweep": sweep, "rate_distortion": rate,
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
    from ..apps import features
    from ..models import variant_config

    data = _data(args)
    if data.y_train is None:
        raise ValueError(f"{data.title} has no labels to classify")
    k = args.latent_dim or features.LATENT_DIM
    run = _train(data, {"autoencoder": variant_config("vanilla", latent_dim=k)}, _train_config(args))["autoencoder"]
    sets = features.feature_sets(run.model, data.x_train, data.x_test)
    rows = features.accuracy_rows(sets, data.y_train, data.y_test, tuple(args.labels), tuple(args.classifiers), args.seed)
    if args.json:
        print(json.dumps({"dataset": data.title, "data": _used(data), "rows": rows}))
        return 0
    print(f"{data.title}: test accuracy with few labels")
    _table(["labels", "features", "classifier", "accuracy"],
           [[r["labels"], r["features"], r["classifier"], f"{r['accuracy']:.3f}"] for r in rows])
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


def _train(data, configs: dict, train: TrainConfig, variant: str | None = None) -> dict:
    """Train one model per named ModelConfig on `data`, reporting progress on stderr: {name: Run}."""
    from ..jobs import ModelSpec, train_all

    extra = (variant,) if variant else ()   # unnamed: ModelSpec's own default
    return train_all([ModelSpec(name, data, cfg, train, *extra) for name, cfg in configs.items()], _progress())


def _train_config(args, base: TrainConfig = TrainConfig(eval_every_epoch=False)) -> TrainConfig:
    """The recipe's TrainConfig (default: the defaults, without per-epoch test loss) with the flags given applied."""
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
    labels = list(data.label_names)
    out = []
    for part in (t.strip() for t in text.split(",") if t.strip()):
        if part in labels:
            out.append(labels.index(part))
        elif part.isdigit() and int(part) < max(len(labels), 1):
            out.append(int(part))
        else:
            raise ValueError(f"--normal: {part!r} is not a class of {data.title} ({', '.join(labels)})")
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
