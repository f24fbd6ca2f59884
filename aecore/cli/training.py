"""`python -m aecore train`: train one model and write its run folder, with a progress bar on stderr.

A diverged run saves its last good weights and exits 1; the first Ctrl-C stops after the current step, saves
and exits 130.
"""
from __future__ import annotations

import math
import sys
from pathlib import Path

from ..config import LOSSES, NOISES, SPARSITIES, ModelConfig, TrainConfig
from .options import data_options, load_data, widths

MODEL_FLAGS = ("latent_dim", "hidden", "loss", "beta", "noise", "noise_level", "sparsity", "sparsity_weight",
               "contractive_weight", "weight_decay")   # unset ones keep the variant's own value


def add_commands(sub) -> None:
    """Register `train` and `timelapse`."""
    from ..models import MODELS   # cheap enough, and gives the variant list to --help

    s = sub.add_parser("train", help="train a model and write its run folder")
    s.add_argument("--dataset", required=True, help="built-in name, or a path to a file or a folder of IDX files")
    s.add_argument("--variant", required=True, choices=sorted(MODELS))
    s.add_argument("--latent-dim", type=int, help=f"size of the code (default: the variant's, {ModelConfig().latent_dim})")
    s.add_argument("--epochs", type=int, default=TrainConfig().epochs)
    s.add_argument("--hidden", type=widths, help="comma-separated widths, e.g. 400,200 (conv: channels)")
    s.add_argument("--batch-size", type=int, default=TrainConfig().batch_size)
    s.add_argument("--lr", type=float, default=TrainConfig().lr)
    s.add_argument("--loss", choices=LOSSES)
    s.add_argument("--beta", type=float, help="KL weight of a VAE (>1: beta-VAE)")
    s.add_argument("--noise", choices=NOISES, help="input corruption for denoising")
    s.add_argument("--noise-level", type=float, help="gaussian: std; masking / salt-and-pepper: fraction")
    s.add_argument("--sparsity", choices=SPARSITIES, help="sparsity penalty on the code")
    s.add_argument("--sparsity-weight", type=float)
    s.add_argument("--contractive-weight", type=float)
    s.add_argument("--weight-decay", type=float)
    s.add_argument("--seed", type=int, default=TrainConfig().seed)
    s.add_argument("--device", default=TrainConfig().device, help="auto, cpu, cuda or mps")
    data_options(s, dataset=None)
    s.add_argument("--out", required=True, type=Path, help="run folder to write")
    s.set_defaults(func=cmd_train)

    s = sub.add_parser("timelapse", help="how a run's code space formed while it trained: the frames, as a GIF")
    s.add_argument("run", type=Path, help="run folder (or a .zip of one) with a timelapse.npz")
    s.add_argument("--gif", type=Path, help="write the animated GIF here")
    s.add_argument("--size", type=int, default=360, help="the GIF's width and height in pixels")
    s.set_defaults(func=cmd_timelapse)


def cmd_train(args) -> int:
    from ..runs.checkpoint import save_run
    from ..models import variant_config
    from ..train import new_run

    overrides = {k: getattr(args, k) for k in MODEL_FLAGS if getattr(args, k) is not None}
    model_cfg = variant_config(args.variant, **overrides)       # bad values fail here, before loading data
    train_cfg = TrainConfig(epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, seed=args.seed,
                            device=args.device)
    data = load_data(args.dataset, args)
    run = new_run(data, model_cfg, train_cfg, args.variant)
    code, message = _fit(run, data, args)
    save_run(run, args.out)
    if message:
        print(message, file=sys.stderr)
        return code
    test = f"; test loss {run.test_loss:.4g}" if run.test_loss is not None else ""
    print(f"saved {args.out} ({run.step} steps{test}; trained on {data.provenance.describe()})")
    return 0


def _fit(run, data, args) -> tuple[int, str | None]:
    """Train with a progress bar until done, diverged or stopped: (exit code, message for stderr or None)."""
    from tqdm import tqdm

    from ..views.timelapse import Recorder
    from ..train import Diverged, fit
    from . import EXIT_DIVERGED, EXIT_INTERRUPTED

    total = run.total_epochs * math.ceil(len(data.x_train) / args.batch_size)
    bar = tqdm(total=total, unit="step", desc=f"{args.variant} on {data.name}", file=sys.stderr,
               dynamic_ncols=True, mininterval=0.5)
    code, message, recorder = 0, None, Recorder(run, data)   # the time-lapse, as a dashboard job records it
    try:
        with _StopOnCtrlC() as ctrl_c:
            for step in fit(run, data):
                recorder.maybe_record()
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
        recorder.finish()
    if ctrl_c.pressed and code == 0:
        code, message = EXIT_INTERRUPTED, f"interrupted at step {run.step} (epoch {run.epoch + 1}); saved to {args.out}"
    return code, message


def cmd_timelapse(args) -> int:
    """Print the time-lapse's frames as JSON; with --gif, write them as an animated GIF (no display needed)."""
    import json

    from .files import load_run

    run = load_run(args.run, "cpu")
    tl = run.timelapse
    if tl is None or not tl.frames:
        raise ValueError(f"{args.run} has no time-lapse: train it with `python -m aecore train` or on the Train page "
                         "(runs saved before time-lapses were kept have none)")
    if not 16 <= args.size <= 2048:
        raise ValueError(f"--size must be between 16 and 2048 pixels, got {args.size}")
    if args.gif:
        args.gif.write_bytes(tl.gif(args.size))
    print(json.dumps({"run": str(args.run), "frames": len(tl.frames), "probe": len(tl.index), "method": tl.method,
                      "steps": [f.step for f in tl.frames], "gif": str(args.gif) if args.gif else None}))
    return 0


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
