"""The training loop: in-memory batches, progress events, stop/resume, divergence guard.

`fit` is a generator: the CLI, a test, and the dashboard's background job all consume it the same way,
and breaking out of the loop is how training stops. Everything it learns is recorded on the Run first.
"""
from __future__ import annotations

import copy
import math
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

import torch
from torch import Tensor

from .config import ModelConfig, TrainConfig
from .data.dataset import Dataset
from .models import INIT_LOCK, Autoencoder, build_model
from .stages import Stage

SNAPSHOT_EVERY = 25   # steps between copies of the weights kept for a divergence; ~0.1% of a step's time
# A finite loss this many times its phase's first loss has diverged too. Measured over 1-3 epochs of every
# variant on MNIST and digits: at lr=10 Adam's losses reach 1e7-1e15 times the first one (`stacked` as little
# as 1e5) and never become NaN for most variants; at lr<=0.1 spikes stay below 4e3 and recover.
EXPLODED = 1e6
EVAL_BATCH = 2048


class Diverged(RuntimeError):
    """The loss became NaN, infinite or EXPLODED times its first value; the model holds the last good weights."""

    def __init__(self, message: str, good_step: int = 0):
        super().__init__(message)
        self.good_step = good_step   # the model now holds the weights it had after this many steps


@dataclass(frozen=True)
class DataInfo:
    """What a checkpoint remembers about its data, so a model can be rebuilt and labelled without it."""

    name: str
    title: str
    kind: str
    shape: tuple[int, ...]
    label_names: tuple[str, ...]
    value_range: tuple[float, float]
    # Dataset.provenance.to_dict(), so eval finds the SAME data again; None for runs saved before it was recorded
    provenance: dict | None = field(default=None, hash=False)

    @classmethod
    def of(cls, data: Dataset) -> DataInfo:
        return cls(data.name, data.title, data.kind, tuple(data.shape), tuple(data.label_names),
                   tuple(float(v) for v in data.value_range), data.provenance.to_dict())


@dataclass(frozen=True)
class Step:
    """One optimisation step, as reported to whoever consumes `fit`."""

    n: int                         # steps done, in all
    epoch: float                   # epochs done, fractional (1.5 = half-way through the second)
    losses: dict[str, float]       # this batch's loss parts, per sample
    samples_per_s: float           # throughput over the current epoch so far
    eta_s: float                   # seconds left for the whole run at that throughput
    phase: str = "train"           # "train", or "pretrain 1/3" for layer-wise pretraining
    test: dict[str, float] | None = None   # test-split loss parts, on the last step of an epoch


def new_run_id() -> str:
    """A fresh random run id: a new run's, and a loaded one's in the app (an uploaded config.json's is the
    uploader's to write)."""
    return uuid.uuid4().hex[:8]


@dataclass
class Run:
    """A model being trained, with everything needed to resume it, save it, or explain it."""

    model: Autoencoder
    train_config: TrainConfig
    data_info: DataInfo
    device: torch.device
    optimizer: torch.optim.Optimizer
    variant: str = "custom"        # the registry name it was built from, for people to read
    id: str = field(default_factory=new_run_id)
    step: int = 0
    epoch: int = 0                 # completed epochs (pretraining epochs included)
    batch: int = 0                 # batches done in the current epoch, for resuming mid-epoch
    history: list[Step] = field(default_factory=list)
    test_history: list[dict] = field(default_factory=list)   # {"epoch": e, "loss": ..., "recon": ...}
    timelapse: object | None = None   # aecore.views.timelapse.Timelapse: the probe set's frames, recorded by jobs

    @property
    def model_config(self) -> ModelConfig:
        return self.model.config

    @property
    def total_epochs(self) -> int:
        """Epochs in the whole schedule: the model's stages (layer-wise pretraining, then end-to-end training)."""
        return sum(stage.epochs for stage in self.model.stages(self.train_config.epochs))

    @property
    def done(self) -> bool:
        return self.epoch >= self.total_epochs

    @property
    def test_loss(self) -> float | None:
        return self.test_history[-1]["loss"] if self.test_history else None


def resolve_device(device: str = "auto") -> torch.device:
    """CUDA, then Apple's MPS, then the CPU, unless a device is named."""
    if device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError("device 'cuda' was asked for, but PyTorch sees no CUDA GPU")
    return torch.device(device)


def new_run(data: Dataset, model_config: ModelConfig, train_config: TrainConfig, variant: str = "custom") -> Run:
    """A fresh, seeded Run: the same seed and configs give the same weights and the same batches."""
    device = resolve_device(train_config.device)
    with INIT_LOCK:   # no other thread builds a model between this seed and these weights
        torch.manual_seed(train_config.seed)
        model = build_model(model_config, data.shape, data.value_range, data.n_classes).to(device)
    return Run(model, train_config, DataInfo.of(data), device, make_optimizer(model, train_config), variant)


def copy_run(run: Run) -> Run:
    """An independent copy of a Run (its weights, optimizer state, history and time-lapse): training one leaves the
    other as it was. Steps are immutable, so the histories share them."""
    model = copy.deepcopy(run.model)
    optimizer = make_optimizer(model, run.train_config)
    optimizer.load_state_dict(run.optimizer.state_dict())
    return replace(run, model=model, optimizer=optimizer, history=list(run.history),
                   test_history=[dict(t) for t in run.test_history], timelapse=copy.deepcopy(run.timelapse))


def make_optimizer(model: Autoencoder, cfg: TrainConfig) -> torch.optim.Optimizer:
    return adam(model.parameters(), cfg.lr)


def adam(params, lr: float) -> torch.optim.Optimizer:
    """Adam, fused into one kernel where the device has one: the same update as the default for-loop
    implementation, but on 2 CPU cores it took 0.6 ms instead of 7-19 ms a step for a 784-256-128-32 MLP,
    a sizeable part of the step (see aecore/bench.py)."""
    params = list(params)
    try:
        return torch.optim.Adam(params, lr=lr, fused=True)
    except (RuntimeError, ValueError):   # a device or dtype without a fused kernel
        return torch.optim.Adam(params, lr=lr)


def set_lr(run: Run, lr: float) -> None:
    """Change the learning rate of a run in place (e.g. before resuming)."""
    for group in run.optimizer.param_groups:
        group["lr"] = lr


def batch_order(n: int, seed: int, epoch: int) -> Tensor:
    """The shuffled sample order of one epoch, a function of (seed, epoch) alone, so resuming mid-epoch
    continues with exactly the batches an uninterrupted run would have seen."""
    return torch.randperm(n, generator=torch.Generator().manual_seed(seed * 100_003 + epoch))


def fit(run: Run, data: Dataset, max_steps: int | None = None) -> Iterator[Step]:
    """Train run.model in place, yielding one Step per batch, until the model's schedule of stages is done.

    Break out of the loop to stop; call again to resume where it stopped. Raises Diverged (with the last
    good weights restored) when the loss stops being finite or explodes (see EXPLODED).
    """
    model, cfg = run.model, run.train_config
    x_all, y_all = data.x_train.to(run.device), _labels(data.y_train, run)
    n, bs = len(x_all), cfg.batch_size
    batches_per_epoch = math.ceil(n / bs)
    schedule = [stage for stage in model.stages(cfg.epochs) for _ in range(stage.epochs)]   # one per epoch
    guard = _Guard(run, schedule)
    steps_taken = 0
    while run.epoch < len(schedule):
        stage = schedule[run.epoch]
        optimizer = _optimizer(run, stage)
        order = batch_order(n, cfg.seed, run.epoch).to(run.device)
        t0, start_batch = time.perf_counter(), run.batch
        for b in range(run.batch, batches_per_epoch):
            if max_steps is not None and steps_taken >= max_steps:
                return
            if not model.training:   # a page may have used the model (infer.* sets eval) between two steps
                model.train()
            idx = order[b * bs:(b + 1) * bs]
            x = x_all.index_select(0, idx)   # one (B, ...) copy; cheaper than permuting all of x each epoch
            y = None if y_all is None else y_all.index_select(0, idx)
            # noise and VAE samples seeded per step, like the batches: a resumed run replays them exactly
            model.seed_noise(cfg.seed * 1_000_003 + run.step)
            losses = stage.loss(x, y)
            loss = losses["loss"]
            guard.check(loss.item(), stage.name)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            run.step, run.batch, steps_taken = run.step + 1, b + 1, steps_taken + 1
            rate = (b + 1 - start_batch) * bs / max(time.perf_counter() - t0, 1e-9)
            left = (batches_per_epoch - b - 1 + (len(schedule) - run.epoch - 1) * batches_per_epoch) * bs
            test = _end_epoch(run, data, stage) if b + 1 == batches_per_epoch else None
            step = Step(run.step, run.epoch + run.batch / batches_per_epoch, {k: v.item() for k, v in losses.items()},
                        rate, left / max(rate, 1e-9), stage.name, test)
            run.history.append(step)   # record before yielding: an interrupted run loses nothing
            yield step


def _optimizer(run: Run, stage: Stage) -> torch.optim.Optimizer:
    """The run's optimizer for the whole model; a stage that trains only some weights keeps its own Adam,
    built on first use with the run's learning rate."""
    if stage.params is None:
        return run.optimizer
    if stage.optimizer is None:
        stage.optimizer = adam(stage.params, run.train_config.lr)
    return stage.optimizer


def _end_epoch(run: Run, data: Dataset, stage: Stage) -> dict[str, float] | None:
    """Count the epoch done; its test loss parts when the stage reports one (else None)."""
    run.epoch, run.batch = run.epoch + 1, 0
    if not (run.train_config.eval_every_epoch and stage.evaluate):
        return None
    test = evaluate_losses(run.model, data.x_test, data.y_test)
    run.test_history.append({"epoch": run.epoch, **test})
    return test


class _Guard:
    """Watches the loss for a divergence: each phase's first loss is the yardstick, and a copy of the
    weights every SNAPSHOT_EVERY steps is what a divergence goes back to."""

    def __init__(self, run: Run, schedule: list[Stage]):
        self.run, self.schedule = run, schedule
        self.snapshot = _snapshot(run.model, step=run.step)
        self.first = _first_losses(run)   # phase -> its first loss

    def check(self, value: float, phase: str) -> None:
        """Raise Diverged for a loss that is not finite or EXPLODED times its phase's first; else snapshot."""
        if math.isfinite(value):
            limit = EXPLODED * max(self.first.setdefault(phase, value), 1e-3)
        if not math.isfinite(value) or value > limit:
            self._diverged(value)
        if self.run.step % SNAPSHOT_EVERY == 0:
            # copied before the update: these weights just gave a finite loss, the updated ones may not
            self.snapshot = _snapshot(self.run.model, self.snapshot, self.run.step)

    def _diverged(self, value: float) -> None:
        run, good = self.run, self.snapshot["step"]
        _restore(run.model, self.snapshot)
        run.optimizer = make_optimizer(run.model, run.train_config)   # its moments saw the bad step
        for stage in self.schedule:                                     # and so may the stages' own
            stage.optimizer = None
        raise Diverged(f"the loss became {value:.4g} at step {run.step + 1} (epoch {run.epoch + 1}); the last "
                       f"good weights from step {good} were kept. Try a smaller learning rate "
                       f"(now {run.train_config.lr:g}).", good)


def _first_losses(run: Run) -> dict[str, float]:
    """The loss of each phase's first step in the run's history, so a resumed run keeps its yardstick."""
    first: dict[str, float] = {}
    for s in run.history:
        first.setdefault(s.phase, s.losses["loss"])
    return first


@torch.no_grad()
def evaluate_losses(model: Autoencoder, x: Tensor, y: Tensor | None = None) -> dict[str, float]:
    """Mean loss parts over a whole split, in evaluation mode (no corruption; a VAE still samples z)."""
    model.eval()
    device = model.head.weight.device
    sums: dict[str, float] = {}
    for i in range(0, len(x), EVAL_BATCH):
        xb = x[i:i + EVAL_BATCH].to(device)
        yb = None if y is None else y[i:i + EVAL_BATCH].to(device)
        with torch.enable_grad() if model.config.contractive_weight else torch.no_grad():
            parts = model.loss(xb, yb)
        for k, v in parts.items():
            sums[k] = sums.get(k, 0.0) + v.item() * len(xb)
    return {k: v / len(x) for k, v in sums.items()}


def _labels(y: Tensor | None, run: Run) -> Tensor | None:
    return y.to(run.device) if (y is not None and run.model_config.conditional) else None


def _snapshot(model: Autoencoder, old: dict | None = None, step: int = 0) -> dict:
    """A copy of the weights, reusing the previous snapshot's buffers."""
    params = [p.detach() for p in model.state_dict().values()]
    if old is None:
        return {"step": step, "tensors": [p.clone() for p in params]}
    torch._foreach_copy_(old["tensors"], params)
    old["step"] = step
    return old


def _restore(model: Autoencoder, snapshot: dict) -> None:
    with torch.no_grad():
        for p, saved in zip(model.state_dict().values(), snapshot["tensors"]):
            p.copy_(saved)
