"""How fast `train.fit` trains, measured beside a plain DataLoader loop and the machine's matmul peak.

A benchmark, not a test: numbers depend on the machine. Both loops train the same model (same seed, same
weights, same loss) for the same number of steps, taking turns, so drift on a noisy machine hits both; we
report medians of per-repeat ratios. A third loop, the bare model step on one fixed batch, measures the
ceiling: what the kernels alone cost, so how much any loop could gain over the DataLoader one. FLOPs of
one step come from FlopCounterMode (matmuls and convolutions, forward and backward; Adam's elementwise
work is not counted), so "% of peak" is useful work, not busy time.
"""
from __future__ import annotations

import os
import statistics
import time
from dataclasses import dataclass

import torch
from torch.utils.data import DataLoader, TensorDataset
from torch.utils.flop_counter import FlopCounterMode

from .config import DASHBOARD_EPOCHS, TrainConfig
from .data.dataset import Dataset
from .models import variant_config
from .train import fit, new_run
from .views import timelapse

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
    steps: int = 40             # timed optimiser steps per loop and repeat; ~0.3-2 s on 2 cores
    repeats: int = 9            # odd, so the median is one measured repeat
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
    """Samples/s of `fit`, of a DataLoader loop and of the bare model step, on the same model.

    The three take turns in a rotating order, each repeat timing all three back to back, and ratios are
    medians of per-repeat ratios: on a shared machine the speed drifts between repeats, much less within one.
    The bare step (one fixed batch, fused Adam, no batching or bookkeeping) is the ceiling: no loop around
    these kernels can beat it, so `ceiling` = how much faster than the DataLoader loop any loop could be.
    """
    variant, overrides = CASES[name]
    model_cfg = variant_config(variant, **overrides)
    train_cfg = TrainConfig(epochs=1000, batch_size=BATCH, eval_every_epoch=False,   # never ends mid-bench
                            device="cpu")   # a CPU benchmark: both loops on the same cores
    ours, theirs, bare = (new_run(data, model_cfg, train_cfg, variant) for _ in range(3))   # same seed, same weights
    loader_step = _dataloader_loop(theirs.model, data.x_train)
    bare_step = _bare_loop(bare, data.x_train[:BATCH].clone())
    flops = step_flops(theirs.model, data.x_train[:BATCH])

    def ours_steps(n: int) -> None:
        for _ in fit(ours, data, max_steps=n):
            pass

    loops = {"fit": ours_steps, "dataloader": loader_step, "bare": bare_step}
    for go in loops.values():
        go(cfg.steps)   # warm-up: first-call allocations, oneDNN primitive caches
    times = {k: [] for k in loops}   # (wall s, process CPU s) per repeat
    order = list(loops)
    for r in range(cfg.repeats):
        for k in order[r % 3:] + order[:r % 3]:   # rotate who goes first
            times[k].append(_timed(lambda: loops[k](cfg.steps)))

    def ratio(a: str, b: str, i: int = 0) -> float:
        return statistics.median(tb[i] / ta[i] for ta, tb in zip(times[a], times[b]))

    wall = {k: statistics.median(w for w, _ in ts) for k, ts in times.items()}
    samples = cfg.steps * BATCH
    return {"case": name, "fit_samples_per_s": samples / wall["fit"],
            "dataloader_samples_per_s": samples / wall["dataloader"], "bare_samples_per_s": samples / wall["bare"],
            "speedup": ratio("fit", "dataloader"), "target": TARGETS[name],
            "ceiling": ratio("bare", "dataloader"),          # the speed-up of a loop with no cost at all
            "loop_efficiency": ratio("fit", "bare"),   # bare time / fit time: 1.0 = no loop overhead
            "gflop_per_step": flops / 1e9,
            "fit_gflops": flops * cfg.steps / wall["fit"] / 1e9,
            "dataloader_gflops": flops * cfg.steps / wall["dataloader"] / 1e9,
            # CPU seconds barely move when other processes take the cores (with 1 thread; with more, waiting
            # threads spin and count), so this ratio is the steadier one on a shared machine
            "cpu_speedup": ratio("fit", "dataloader", 1),
            **probe_overhead(ours.model, data, wall["fit"] / cfg.steps, cfg.repeats)}


def probe_overhead(model, data: Dataset, step_s: float, repeats: int) -> dict:
    """What the time-lapse (views/timelapse.py) adds to a job's training: the seconds of one frame of PROBE_N samples,
    its share of the dashboard's default run at FRAMES frames, and the frames a 1-epoch run gets within BUDGET."""
    x = data.x_train[:timelapse.PROBE_N]
    previous = timelapse.probe_coords(model, x, None)   # warm-up, and the frame the next one is aligned to
    frame_s = min(_timed(lambda: timelapse.probe_coords(model, x, None, previous))[0] for _ in range(repeats))
    epoch_s = step_s * -(-len(data.x_train) // BATCH)
    return {"probe_frame_ms": 1000 * frame_s, "probe_steps_per_frame": frame_s / step_s,
            "probe_pct_dashboard_run": 100 * min(timelapse.FRAMES * frame_s / (DASHBOARD_EPOCHS * epoch_s),
                                                 timelapse.BUDGET),
            "probe_frames_1_epoch": int(min(timelapse.FRAMES, timelapse.BUDGET * epoch_s / frame_s) + 1)}


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
    cols = (f"{'case':<8} {'fit/s':>8} {'loader/s':>8} {'speedup':>8} {'target':>7} {'cpu-time':>8} {'ceiling':>8} "
            f"{'loop eff':>8} {'GF/step':>7} {'fit GF/s':>8} {'%peak':>6} {'ldr GF/s':>8} {'%peak':>6}")
    lines = [head, cols, "-" * len(cols)]
    for r in result["cases"]:
        ok = "" if r["speedup"] >= r["target"] else " miss"
        lines.append(f"{r['case']:<8} {r['fit_samples_per_s']:>8.0f} {r['dataloader_samples_per_s']:>8.0f} "
                     f"{r['speedup']:>7.2f}x {r['target']:>6.1f}x {r['cpu_speedup']:>7.2f}x {r['ceiling']:>7.2f}x "
                     f"{r['loop_efficiency']:>8.0%} {r['gflop_per_step']:>7.3f} "
                     f"{r['fit_gflops']:>8.1f} {r['fit_pct_peak']:>5.0f}% {r['dataloader_gflops']:>8.1f} "
                     f"{r['dataloader_pct_peak']:>5.0f}%{ok}")
    lines += [f"time-lapse, {r['case']}: a frame of {timelapse.PROBE_N:,} probe samples takes {r['probe_frame_ms']:.0f} ms "
              f"({r['probe_steps_per_frame']:.1f} steps): {r['probe_pct_dashboard_run']:.1f}% of a {DASHBOARD_EPOCHS}-epoch "
              f"run at {timelapse.FRAMES} frames; a 1-epoch run gets {r['probe_frames_1_epoch']} frames within "
              f"{timelapse.BUDGET:.0%}" for r in result["cases"]]
    lines.append("speedup, cpu-time (the same in CPU seconds), ceiling: medians of per-repeat ratios over the "
                 "DataLoader loop. ceiling: the bare model step (one fixed batch, no loop) over it, the most any loop "
                 "could gain; loop eff: bare step time / fit time.")
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


def _bare_loop(run, xb: torch.Tensor):
    """The model's training step alone, on one fixed batch: what the kernels cost with no loop around them."""
    model, optimizer = run.model, run.optimizer
    model.train()

    def steps(n: int) -> None:
        for _ in range(n):
            loss = model.loss(xb)["loss"]
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()

    return steps


def _timed(fn) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) that fn took."""
    t0, c0 = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - t0, time.process_time() - c0
