"""How fast `train.fit` trains, measured beside a plain DataLoader loop and the machine's matmul peak.

A benchmark, not a test: numbers depend on the machine. Both loops train the same model (same seed,
loss and Adam) for the same number of steps, alternating repeats, so drift on a noisy machine hits both;
we report medians. FLOPs of one step come from FlopCounterMode (matmuls and convolutions, forward and
backward; Adam's elementwise work is not counted), so "% of peak" is useful work, not busy time.
"""
from __future__ import annotations

import os
import statistics
import time
from dataclasses import dataclass

import torch
from torch.utils.data import DataLoader, TensorDataset
from torch.utils.flop_counter import FlopCounterMode

from .config import TrainConfig
from .data.dataset import Dataset
from .models import variant_config
from .train import fit, new_run

# name -> (variant, ModelConfig overrides): the shapes the brief's targets were set for
CASES = {
    "vanilla": ("vanilla", {"hidden": (256, 128), "latent_dim": 32}),   # 784-256-128-32
    "vae": ("vae", {"hidden": (400,), "latent_dim": 20}),               # Kingma & Welling's MNIST VAE
    "conv": ("conv", {"latent_dim": 32}),                               # channels (32, 64)
}
TARGETS = {"vanilla": 1.5, "vae": 1.3, "conv": 1.1}   # speed-up over the DataLoader loop we aim for
BATCH = 128


@dataclass(frozen=True)
class BenchConfig:
    n_samples: int = 60_000     # one MNIST training set, so the epoch-level work (shuffles) is realistic
    steps: int = 60             # timed optimiser steps per repeat; ~0.5-3 s per repeat on 2 cores
    repeats: int = 5            # odd, so the median is one measured repeat
    threads: int = 0            # 0: leave torch's default (one per core)

    def __post_init__(self):
        if self.steps < 1 or self.repeats < 1 or self.n_samples < BATCH:
            raise ValueError("steps and repeats must be >= 1 and n_samples >= the batch size")


QUICK = BenchConfig(n_samples=60_000, steps=20, repeats=3)


def mnist_like(n: int, seed: int = 0) -> Dataset:
    """n random 28x28 images with MNIST's 256 grey levels in [0, 1]; timing does not depend on content."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randint(0, 256, (n + 1000, 1, 28, 28), generator=g, dtype=torch.uint8).float() / 255
    return Dataset("mnist-like", "random MNIST-shaped images", x[:n], None, x[n:], None, "image",
                   (), (0.0, 1.0), "generated")


def matmul_peak(size: int = 2048, repeats: int = 5) -> float:
    """Best fp32 GFLOP/s of a size x size matmul: the ceiling a dense training step could approach."""
    a, b = torch.randn(size, size), torch.randn(size, size)
    a @ b   # warm-up: thread pool and allocator
    best = min(_timed(lambda: a @ b)[0] for _ in range(repeats))
    return 2 * size ** 3 / best / 1e9


def step_flops(model, x: torch.Tensor) -> int:
    """FLOPs of one forward + backward pass of the training loss on batch x."""
    with FlopCounterMode(display=False) as counter:
        model.loss(x)["loss"].backward()
    model.zero_grad(set_to_none=True)
    return counter.get_total_flops()


def bench_case(name: str, data: Dataset, cfg: BenchConfig) -> dict:
    """Median samples/s of `fit` and of a DataLoader loop on the same model, alternating repeats."""
    variant, overrides = CASES[name]
    model_cfg = variant_config(variant, **overrides)
    train_cfg = TrainConfig(epochs=1000, batch_size=BATCH, eval_every_epoch=False,   # never ends mid-bench
                            device="cpu")   # a CPU benchmark: both loops on the same cores
    ours = new_run(data, model_cfg, train_cfg, variant)
    theirs = new_run(data, model_cfg, train_cfg, variant)   # same seed: identical starting weights
    loader_step = _dataloader_loop(theirs.model, data.x_train)
    flops = step_flops(theirs.model, data.x_train[:BATCH])

    def ours_steps():
        for _ in fit(ours, data, max_steps=cfg.steps):
            pass

    ours_steps(), loader_step(cfg.steps)   # warm-up: first-call allocations, oneDNN primitive caches
    ours_t, theirs_t = [], []   # (wall s, process CPU s) per repeat
    for r in range(cfg.repeats):
        pair = [(ours_t, ours_steps), (theirs_t, lambda: loader_step(cfg.steps))]
        for times, go in (pair if r % 2 == 0 else pair[::-1]):   # alternate who goes first
            times.append(_timed(go))
    t_o, t_t = (statistics.median(w for w, _ in ts) for ts in (ours_t, theirs_t))
    c_o, c_t = (statistics.median(c for _, c in ts) for ts in (ours_t, theirs_t))
    samples = cfg.steps * BATCH
    return {"case": name, "fit_samples_per_s": samples / t_o, "dataloader_samples_per_s": samples / t_t,
            "speedup": t_t / t_o, "target": TARGETS[name], "gflop_per_step": flops / 1e9,
            "fit_gflops": flops * cfg.steps / t_o / 1e9, "dataloader_gflops": flops * cfg.steps / t_t / 1e9,
            # CPU seconds barely move when other processes take the cores (with 1 thread; with more, waiting
            # threads spin and count), so this ratio is the steadier one on a shared machine
            "cpu_speedup": c_t / c_o}


def run_bench(cfg: BenchConfig = BenchConfig(), cases: tuple[str, ...] = tuple(CASES),
              data: Dataset | None = None) -> dict:
    """The whole benchmark: matmul peak, then each case; returns a JSON-ready dict."""
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    data = data if data is not None else mnist_like(cfg.n_samples)
    peak = matmul_peak()
    rows = []
    for name in cases:
        row = bench_case(name, data, cfg)
        row["fit_pct_peak"] = 100 * row["fit_gflops"] / peak
        row["dataloader_pct_peak"] = 100 * row["dataloader_gflops"] / peak
        rows.append(row)
    return {"threads": torch.get_num_threads(), "torch": torch.__version__, "n_samples": len(data.x_train),
            "load_average": round(os.getloadavg()[0], 2),   # other processes skew every number; say how busy it was
            "data": data.title, "steps": cfg.steps, "repeats": cfg.repeats, "batch_size": BATCH,
            "matmul_peak_gflops": peak, "cases": rows}


def format_table(result: dict) -> str:
    """The benchmark as a fixed-width text table."""
    head = (f"{result['threads']} threads, torch {result['torch']}, {result['data']} x{result['n_samples']}, "
            f"batch {result['batch_size']}, median of {result['repeats']} x {result['steps']} steps; "
            f"fp32 matmul peak {result['matmul_peak_gflops']:.1f} GFLOP/s; load average {result['load_average']}")
    cols = (f"{'case':<8} {'fit/s':>8} {'loader/s':>8} {'speedup':>8} {'target':>7} {'cpu-time':>8} {'GF/step':>7} "
            f"{'fit GF/s':>8} {'%peak':>6} {'ldr GF/s':>8} {'%peak':>6}")
    lines = [head, cols, "-" * len(cols)]
    for r in result["cases"]:
        ok = "" if r["speedup"] >= r["target"] else " miss"
        lines.append(f"{r['case']:<8} {r['fit_samples_per_s']:>8.0f} {r['dataloader_samples_per_s']:>8.0f} "
                     f"{r['speedup']:>7.2f}x {r['target']:>6.1f}x {r['cpu_speedup']:>7.2f}x {r['gflop_per_step']:>7.3f} "
                     f"{r['fit_gflops']:>8.1f} {r['fit_pct_peak']:>5.0f}% {r['dataloader_gflops']:>8.1f} "
                     f"{r['dataloader_pct_peak']:>5.0f}%{ok}")
    return "\n".join(lines)


def _dataloader_loop(model, x: torch.Tensor):
    """The textbook loop: DataLoader(TensorDataset(x), shuffle=True), Adam, loss.item() for logging."""
    loader = DataLoader(TensorDataset(x), batch_size=BATCH, shuffle=True)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    batches = iter(())
    model.train()

    def steps(n: int) -> None:
        nonlocal batches
        for _ in range(n):
            xb = next(batches, None)
            if xb is None:   # a new epoch, as the textbook loop's outer `for epoch` would start
                batches = iter(loader)
                xb = next(batches)
            loss = model.loss(xb[0])["loss"]
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            loss.item()

    return steps


def _timed(fn) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) that fn took."""
    t0, c0 = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - t0, time.process_time() - c0
