"""What keying shared caches by content costs (aecore.fingerprint), on the sidebar's default VAE and on conv-vae,
both built for MNIST's shape: hashing a state once (after a load, per training snapshot), against what a page pays
on every rerun to get that key again (`current` on an unchanged run), and against what the key saves (encoding the
test split once more, the cheapest of the results it keys), and against the key it replaced (a hash of the
bottleneck layer, computed on every rerun).

    python scripts/bench_fingerprint.py [--repeat 30]
"""
from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aecore import fingerprint
from aecore.data.dataset import Dataset
from aecore.lecture import share
from aecore.models import variant_config
from aecore.train import new_run
from aecore.views.explore import encode_split, snapshot

N_TEST = 10_000   # MNIST's test split: what `caches.encoded` would encode again without a key


def mnist_shaped() -> Dataset:
    """Random 28x28 images in [0, 1] (only the shape and the amount of work matter here)."""
    x = torch.rand(N_TEST, 1, 28, 28)
    y = torch.randint(0, 10, (N_TEST,))
    return Dataset("mnist", "MNIST-shaped noise", x[:256], y[:256], x, y, "image", tuple("0123456789"), (0.0, 1.0),
                   "generated")


def median_ms(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def bottleneck_hash(model) -> str:
    """The key it replaces, hashed on every rerun: the bottleneck layer's weights only (blind to the decoder)."""
    w = torch.cat([model.head.weight.detach().flatten(), model.head.bias.detach().flatten()]).cpu()
    return hashlib.blake2b(w.numpy().tobytes(), digest_size=8).hexdigest()


def measure(name: str, run, data: Dataset, repeat: int) -> None:
    mb = sum(t.numel() * t.element_size() for t in run.model.state_dict().values()) / 2**20
    hash_ms = median_ms(lambda: fingerprint.fingerprint(run), repeat)
    fingerprint.current(run)
    rerun_ms = median_ms(lambda: fingerprint.current(run), repeat * 100)
    old_ms = median_ms(lambda: bottleneck_hash(run.model), repeat * 100)
    copy_ms = median_ms(lambda: snapshot(run), repeat)
    encode_ms = median_ms(lambda: encode_split(run.model, data.x_test, data.y_test), max(3, repeat // 10))
    print(f"{name:10s} {mb:6.2f} MB weights | hash once {hash_ms:6.2f} ms | per rerun {rerun_ms * 1000:6.1f} us "
          f"(hash / rerun: {hash_ms / rerun_ms:,.0f}x; the old per-rerun key {old_ms * 1000:.1f} us) | snapshot copy {copy_ms:6.2f} ms (hash / copy: "
          f"{hash_ms / copy_ms:.2f}x) | encoding the test split {encode_ms:7.1f} ms (encode / hash: "
          f"{encode_ms / hash_ms:.0f}x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    data = mnist_shaped()
    variant, model_cfg, train_cfg = share.configs({}, "image")
    runs = {f"{variant} (default)": new_run(data, model_cfg, train_cfg, variant),
            "conv-vae": new_run(data, variant_config("conv-vae", latent_dim=2), train_cfg, "conv-vae")}
    print(f"torch threads {torch.get_num_threads()} · load average {os.getloadavg()[0]:.1f}")
    for name, run in runs.items():
        measure(name, run, data, args.repeat)


if __name__ == "__main__":
    main()
