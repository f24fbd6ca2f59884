"""`python -m aecore`: train, evaluate and use autoencoders from a shell, with results numpy can read.

Thin on purpose: argument parsing and printing only; the work happens in aecore's modules. Problems a
person can fix (a bad file, a bad option, a damaged run folder) print `error: ...` and exit 2, never a
traceback; a diverged run saves its last good weights and exits 1; Ctrl-C during training saves and exits 130.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

EXIT_DIVERGED, EXIT_USAGE, EXIT_INTERRUPTED = 1, 2, 130


def main(argv: list[str] | None = None) -> int:
    """Parse argv, run one subcommand, and return the process exit code."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, OSError) as err:   # DataError and CheckpointError are ValueErrors: all fixable input
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def build_parser() -> argparse.ArgumentParser:
    """The argparse tree of every subcommand."""
    from .models import MODELS   # cheap enough, and gives the variant list to --help
    from .config import NOISES, SPARSITIES, LOSSES

    p = argparse.ArgumentParser(prog="python -m aecore", description="Latent Lab's engine from the shell.")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    s = sub.add_parser("datasets", help="list the built-in datasets and where each would be loaded from")
    _data_options(s, dataset=False)
    s.add_argument("--json", action="store_true", help="print JSON instead of a table")
    s.set_defaults(func=cmd_datasets)

    s = sub.add_parser("train", help="train a model and write its run folder")
    s.add_argument("--dataset", required=True, help="built-in name, or a path to a file or a folder of IDX files")
    s.add_argument("--variant", required=True, choices=sorted(MODELS))
    s.add_argument("--latent-dim", type=int, help="size of the code (default: the variant's, 2)")
    s.add_argument("--epochs", type=int, default=5)
    s.add_argument("--hidden", type=_widths, help="comma-separated widths, e.g. 400,200 (conv: channels)")
    s.add_argument("--batch-size", type=int, default=128)
    s.add_argument("--lr", type=float, default=1e-3)
    s.add_argument("--loss", choices=LOSSES)
    s.add_argument("--beta", type=float, help="KL weight of a VAE (>1: beta-VAE)")
    s.add_argument("--noise", choices=NOISES, help="input corruption for denoising")
    s.add_argument("--noise-level", type=float, help="gaussian: std; masking / salt-and-pepper: fraction")
    s.add_argument("--sparsity", choices=SPARSITIES, help="sparsity penalty on the code")
    s.add_argument("--sparsity-weight", type=float)
    s.add_argument("--contractive-weight", type=float)
    s.add_argument("--weight-decay", type=float)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--device", default="auto", help="auto, cpu, cuda or mps")
    _data_options(s, dataset=False)
    s.add_argument("--out", required=True, type=Path, help="run folder to write")
    s.set_defaults(func=cmd_train)

    s = sub.add_parser("eval", help="print test-split metrics of a run as one JSON object")
    _run_options(s)
    s.set_defaults(func=cmd_eval)

    s = sub.add_parser("encode", help="codes of a split (posterior means for a VAE) to a .npy file")
    _run_options(s)
    s.add_argument("--split", choices=("test", "train"), default="test")
    s.add_argument("--out", required=True, type=Path)
    s.set_defaults(func=cmd_encode)

    s = sub.add_parser("reconstruct", help="reconstructions of the first N test samples to .npy (+ .png)")
    _run_options(s)
    s.add_argument("--n", type=int, default=64)
    s.add_argument("--out", required=True, type=Path)
    s.set_defaults(func=cmd_reconstruct)

    s = sub.add_parser("sample", help="N samples from a VAE's prior to .npy (+ .png)")
    s.add_argument("run", type=Path, help="run folder (or a .zip of one)")
    s.add_argument("--n", type=int, default=64)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--label", help="class to generate, by index or name (conditional VAEs)")
    s.add_argument("--device", default="auto")
    s.add_argument("--out", required=True, type=Path)
    s.set_defaults(func=cmd_sample)

    s = sub.add_parser("bench", help="samples/s of aecore's training loop against a DataLoader loop")
    s.add_argument("--quick", action="store_true", help="fewer steps and repeats: under a minute")
    s.add_argument("--steps", type=int, help="timed steps per repeat")
    s.add_argument("--repeats", type=int)
    s.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    s.add_argument("--cases", default="vanilla,vae,conv")
    s.add_argument("--data-dir", help="train on real MNIST from this folder (default: random MNIST-shaped images)")
    s.set_defaults(func=cmd_bench)

    from .apps.commands import add_commands   # denoise, anomaly, compress, features
    add_commands(sub)
    return p


# --- subcommands ---------------------------------------------------------------------------------------
def cmd_datasets(args) -> int:
    from .data import dataset_sources

    rows = dataset_sources(args.data_dir, args.cache_dir)
    if args.json:
        print(json.dumps(rows))
        return 0
    widths = [max(len(str(r[k])) for r in rows + [{k: k}]) for k in ("name", "kind", "title")]
    print(f"{'name':<{widths[0]}}  {'kind':<{widths[1]}}  {'title':<{widths[2]}}  will use")
    for r in rows:
        where = r["will_use"] + (f"  ({r['hint']})" if r.get("hint") else "")
        print(f"{r['name']:<{widths[0]}}  {r['kind']:<{widths[1]}}  {r['title']:<{widths[2]}}  {where}")
    return 0


def cmd_train(args) -> int:
    from tqdm import tqdm

    from .checkpoint import save_run
    from .config import TrainConfig
    from .models import variant_config
    from .train import Diverged, fit, new_run

    overrides = {k: v for k, v in {
        "latent_dim": args.latent_dim, "hidden": args.hidden, "loss": args.loss, "beta": args.beta,
        "noise": args.noise, "noise_level": args.noise_level, "sparsity": args.sparsity,
        "sparsity_weight": args.sparsity_weight, "contractive_weight": args.contractive_weight,
        "weight_decay": args.weight_decay}.items() if v is not None}
    model_cfg = variant_config(args.variant, **overrides)       # bad values fail here, before loading data
    train_cfg = TrainConfig(epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, seed=args.seed,
                            device=args.device)
    data = _load_data(args.dataset, args)
    run = new_run(data, model_cfg, train_cfg, args.variant)
    total = run.total_epochs * math.ceil(len(data.x_train) / train_cfg.batch_size)
    bar = tqdm(total=total, unit="step", desc=f"{args.variant} on {data.name}", file=sys.stderr,
               dynamic_ncols=True, mininterval=0.5)
    code, message = 0, None
    try:
        with _StopOnCtrlC() as ctrl_c:
            for step in fit(run, data):
                bar.update(1)
                if step.test is not None or step.n % 10 == 0:   # a postfix per step costs more than it shows
                    bar.set_postfix_str(f"{step.phase} loss {step.losses['loss']:.4g}  "
                                        f"{step.samples_per_s:,.0f} samples/s", refresh=False)
                if ctrl_c.pressed:
                    break
    except Diverged as err:
        code, message = EXIT_DIVERGED, f"error: {err} Saved the last good weights to {args.out}."
    except KeyboardInterrupt:   # a second Ctrl-C: stop at once, even mid-step, and still save
        ctrl_c.pressed = True
    finally:
        bar.close()
    save_run(run, args.out)
    if ctrl_c.pressed and code == 0:
        code, message = EXIT_INTERRUPTED, f"interrupted at step {run.step} (epoch {run.epoch + 1}); saved to {args.out}"
    if message:
        print(message, file=sys.stderr)
        return code
    test = f"; test loss {run.test_loss:.4g}" if run.test_loss is not None else ""
    print(f"saved {args.out} ({run.step} steps{test})")
    return 0


def cmd_eval(args) -> int:
    from .infer import evaluate

    run, data = _run_and_data(args)
    metrics = evaluate(run.model, data.x_test, data.y_test)
    out = {"dataset": data.name, "n": len(data.x_test),
           **{k: (v if math.isfinite(v) else None) for k, v in metrics.items()}}   # JSON has no Infinity
    print(json.dumps(out))
    return 0


def cmd_encode(args) -> int:
    from .infer import encode_all

    run, data = _run_and_data(args)
    x, y = (data.x_test, data.y_test) if args.split == "test" else (data.x_train, data.y_train)
    codes = encode_all(run.model, x, y)
    _save_npy(args.out, codes)
    print(json.dumps({"out": str(args.out), "shape": list(codes.shape), "split": args.split, "dataset": data.name}))
    return 0


def cmd_reconstruct(args) -> int:
    import torch

    from .infer import reconstruct

    _positive("--n", args.n)
    run, data = _run_and_data(args)
    x = data.x_test[:args.n]
    y = None if data.y_test is None else data.y_test[:args.n]
    x_hat = reconstruct(run.model, x, y)
    _save_npy(args.out, x_hat)
    # each original beside its reconstruction, so the picture reads without the .npy
    pairs = torch.stack([x, x_hat], dim=1).flatten(0, 1)
    png = _save_png(args.out, pairs, run, ncols=2 * math.ceil(math.sqrt(len(x))))
    print(json.dumps({"out": str(args.out), "shape": list(x_hat.shape), "png": png, "dataset": data.name}))
    return 0


def cmd_sample(args) -> int:
    from .infer import sample

    _positive("--n", args.n)
    run = _load_run(args.run, args.device)
    label = _label_index(args.label, run.data_info.label_names) if args.label is not None else None
    x = sample(run.model, args.n, seed=args.seed, label=label)
    _save_npy(args.out, x)
    png = _save_png(args.out, x, run)
    print(json.dumps({"out": str(args.out), "shape": list(x.shape), "png": png}))
    return 0


def cmd_bench(args) -> int:
    from dataclasses import replace

    from .bench import CASES, QUICK, BenchConfig, format_table, run_bench

    cfg = QUICK if args.quick else BenchConfig()
    cfg = replace(cfg, **{k: v for k, v in {"steps": args.steps, "repeats": args.repeats,
                                             "threads": args.threads}.items() if v is not None})
    cases = tuple(c.strip() for c in args.cases.split(",") if c.strip())
    unknown = sorted(set(cases) - set(CASES))
    if unknown:
        raise ValueError(f"unknown bench case {', '.join(unknown)}; choose from {', '.join(CASES)}")
    data = None
    if args.data_dir:
        from .data import load_dataset
        data = load_dataset("mnist", data_dir=args.data_dir, allow_download=False)
        if len(data.x_train) < cfg.n_samples:
            raise ValueError(f"{args.data_dir} gave {data.title} ({len(data.x_train)} training images); "
                             f"the benchmark needs {cfg.n_samples}: point --data-dir at the full MNIST")
    result = run_bench(cfg, cases, data)
    print(format_table(result))
    print(json.dumps(result))
    return 0


# --- helpers -------------------------------------------------------------------------------------------
def _data_options(p: argparse.ArgumentParser, dataset: bool = True) -> None:
    if dataset:
        p.add_argument("--dataset", help="default: the dataset the run was trained on")
    p.add_argument("--data-dir", help="folder holding dataset folders (e.g. mnist/ with the IDX files)")
    p.add_argument("--cache-dir", help="where downloads are kept")
    p.add_argument("--offline", action="store_true", help="never download; use local files or the embedded subset")


def _run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("run", type=Path, help="run folder (or a .zip of one)")
    _data_options(p)
    p.add_argument("--device", default="auto")


def _widths(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(w) for w in text.split(",") if w.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated whole numbers like 400,200, got {text!r}") from None


def _positive(flag: str, value: int) -> None:
    if value < 1:
        raise ValueError(f"{flag} must be at least 1, got {value}")


def _load_data(name: str, args):
    from .data import load_dataset

    return load_dataset(name, data_dir=args.data_dir, cache_dir=args.cache_dir, allow_download=not args.offline)


def _load_run(path: Path, device: str):
    from .checkpoint import load_run, load_run_bytes

    if path.is_file():   # an archive (or something pretending to be one): read in memory, never unpickled
        return load_run_bytes(path.read_bytes(), path.name, device)
    return load_run(path, device)


def _run_and_data(args):
    """The run, and the dataset to use it on (its own unless --dataset), checked to fit the model."""
    from .data import DataError

    run = _load_run(args.run, args.device)
    name = args.dataset or run.data_info.name
    try:
        data = _load_data(name, args)
    except DataError as err:
        if args.dataset:
            raise
        raise DataError(f"{err} (the run was trained on {name!r}; pass --dataset with its path)") from None
    if tuple(data.shape) != tuple(run.model.input_shape):
        raise DataError(f"{data.name} has samples of shape {tuple(data.shape)}, but this model was trained "
                        f"on {tuple(run.model.input_shape)}")
    n_classes = run.model_config.n_classes
    if run.model_config.conditional and (data.y_test is None or data.n_classes != n_classes):
        raise DataError(f"this conditional VAE needs labels of {n_classes} classes; {data.name} has "
                        f"{'no labels' if data.y_test is None else f'{data.n_classes} classes'}")
    return run, data


class _StopOnCtrlC:
    """The first Ctrl-C asks training to stop after the current step (so weights and counters agree);
    a second one raises KeyboardInterrupt as usual."""

    def __init__(self):
        self.pressed, self._previous = False, None

    def __enter__(self):
        import signal
        import threading

        if threading.current_thread() is threading.main_thread():   # signals can only be caught there
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc):
        import signal

        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
        return False

    def _handle(self, signum, frame):
        if self.pressed:
            raise KeyboardInterrupt
        self.pressed = True
        print("\nstopping after this step (Ctrl-C again to stop at once)", file=sys.stderr)


def _label_index(label: str, names: tuple[str, ...]) -> int:
    if label in names:
        return names.index(label)
    try:
        index = int(label)
    except ValueError:
        index = -1
    if not 0 <= index < len(names):
        raise ValueError(f"--label must be a class index 0..{len(names) - 1} or one of {', '.join(names)}; got {label!r}")
    return index


def _save_npy(path: Path, tensor) -> None:
    import numpy as np

    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:   # exactly this path: np.save(str) would append .npy to other names
        np.save(f, tensor.detach().cpu().numpy())


def _save_png(path: Path, x, run, ncols: int | None = None) -> str | None:
    """A PNG grid beside the .npy for image data; None (and no file) for other kinds."""
    from .imaging import png_bytes, to_grid

    if run.data_info.kind != "image" or x.dim() != 4:
        return None
    png = path.with_suffix(".png")
    png.write_bytes(png_bytes(to_grid(x, ncols=ncols, value_range=run.model.value_range), scale=2))
    return str(png)
