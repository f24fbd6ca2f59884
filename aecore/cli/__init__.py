"""`python -m aecore`: train, evaluate and use autoencoders from a shell, with results numpy can read.

Thin on purpose: argument parsing and printing only; the work happens in aecore's modules. Problems a
person can fix (a bad file, a bad option, a damaged run folder) print `error: ...` and exit 2, never a
traceback; a diverged run saves its last good weights and exits 1; Ctrl-C during training saves and exits 130.

Modules: `options` (the flags subcommands share), `datasets` (list, --fetch), `core` (eval, encode, reconstruct,
sample, bench), `training` (train), `apps` (denoise, anomaly, compress, features), `rebuild` (impute,
sequences), `inside` (activations, filters), `files` (run folders and the data they were trained on in,
results out).
"""
from __future__ import annotations

import argparse
import sys

EXIT_DIVERGED, EXIT_USAGE, EXIT_INTERRUPTED = 1, 2, 130


def main(argv: list[str] | None = None) -> int:
    """Parse argv, run one subcommand, and return the process exit code."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, OSError) as err:   # DataError and CheckpointError are ValueErrors: all fixable input
        print(f"error: {err}", file=sys.stderr)
        if getattr(err, "details", "") and getattr(args, "verbose", False):   # DataError: folders searched, ...
            print(err.details, file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def build_parser() -> argparse.ArgumentParser:
    """The argparse tree of every subcommand, in the order --help lists them."""
    from . import apps, core, datasets, inside, rebuild, training

    p = argparse.ArgumentParser(prog="python -m aecore", description="Latent Lab's engine from the shell.")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    datasets.add_datasets(sub)
    training.add_commands(sub)
    core.add_commands(sub)
    apps.add_commands(sub)
    rebuild.add_commands(sub)
    inside.add_commands(sub)
    return p
