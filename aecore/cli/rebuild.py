"""The applications that rebuild what they read, from the shell: `python -m aecore impute | sequences`.

Like aecore.cli.apps: the same application objects (aecore.apps) as the Imputation and Sequences pages, flags whose
defaults are theirs, a table (or one JSON object with --json) with the baseline beside the autoencoder.
"""
from __future__ import annotations

import json

from .apps import _data, _progress, _schedule, _table, _used, small_data_help
from .options import train_options


def add_commands(sub) -> None:
    """Register `impute` and `sequences` on an argparse `add_subparsers()` object."""
    from ..apps import Imputation, SequenceReconstruction, impute, sequences

    d = Imputation()
    s = sub.add_parser("impute", help="fill hidden values by iterated reconstruction; error against the mean fill")
    train_options(s, latent_dim=d.latent_dim, epochs=small_data_help(impute.TRAIN.epochs))
    s.add_argument("--mask", choices=impute.MASKS, default=d.mask, help="scattered values, or one block per sample")
    s.add_argument("--fraction", type=float, default=d.fraction, help="of each sample hidden")
    s.add_argument("--iterations", type=int, default=d.iterations, help="rounds of reconstruct-and-replace")
    s.add_argument("--max-test", type=int, default=d.max_test, help="test samples measured")
    s.set_defaults(func=cmd_impute)

    s = sub.add_parser("sequences", help="an LSTM autoencoder's reconstruction error per class, beside PCA's")
    train_options(s, latent_dim=SequenceReconstruction().latent_dim, epochs=sequences.TRAIN.epochs)
    s.set_defaults(func=cmd_sequences)


def imputation(args):
    """The Imputation object the flags describe (flags left out: the page's defaults)."""
    from ..apps import Imputation

    if args.iterations < 1:
        raise ValueError(f"--iterations must be at least 1, got {args.iterations}")
    return Imputation(args.latent_dim or Imputation().latent_dim, args.mask, args.fraction, args.iterations,
                      args.max_test, _schedule(args))


def sequence_reconstruction(args):
    from ..apps import SequenceReconstruction

    return SequenceReconstruction(args.latent_dim or SequenceReconstruction().latent_dim, _schedule(args))


def cmd_impute(args) -> int:
    from ..apps import run

    data = _data(args)
    exp = imputation(args)
    summary = exp.summary(run(exp, data, _progress()))
    if args.json:
        print(json.dumps({"dataset": data.title, "data": _used(data), **summary}))
        return 0
    print(f"{data.title}: {summary['hidden_values']:,} hidden values ({args.mask}, {args.fraction:.0%} of each of "
          f"{summary['test_samples']:,} test samples); squared error on them (lower is better)")
    _table(["method", "MSE on hidden values"],
           [["mean fill (baseline)", f"{summary['mean_fill_mse']:.4f}"],
            [f"autoencoder, {args.iterations} iterations", f"{summary['autoencoder_mse']:.4f}"],
            [f"autoencoder, best ({summary['best_iteration']} iterations)", f"{summary['best_mse']:.4f}"]])
    return 0


def cmd_sequences(args) -> int:
    from ..apps import run

    data = _data(args)
    if data.kind != "sequence":
        raise ValueError(f"{data.title} is not made of sequences (try ecg5000 or sines)")
    exp = sequence_reconstruction(args)
    result = run(exp, data, _progress())
    overall = {"autoencoder": float(result.errors.mean()), "PCA": float(result.baseline.mean())}
    if args.json:
        print(json.dumps({"dataset": data.title, "data": _used(data), "latent_dim": exp.latent_dim,
                          "mean_error": overall, "per_class": result.per_class}))
        return 0
    print(f"{data.title}, test split: reconstruction error per value (lower is better), {exp.latent_dim}-number code")
    rows = [[r["class"], r["test sequences"], f"{r['mean error']:.4f}", f"{r['PCA error']:.4f}"]
            for r in result.per_class]
    _table(["class", "test sequences", "LSTM autoencoder", f"PCA-{exp.latent_dim}"],
           rows + [["all", len(result.errors), f"{overall['autoencoder']:.4f}", f"{overall['PCA']:.4f}"]])
    return 0
