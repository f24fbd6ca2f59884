"""A Run crossing between this server and a Ray worker: safetensors for every tensor, JSON for the rest.

Nothing is unpickled from these bytes on either side (the rule of run folders, aecore/runs/checkpoint.py): the worker
rebuilds the Run from `pack`'s files with `checkpoint.runs_from_files`, and the server copies the worker's
`Snapshot` into its own Run object in place, because the pages hold that object (`job.run is run`).
"""
from __future__ import annotations

import json
from dataclasses import dataclass

import torch
from safetensors.torch import load as load_safetensors
from safetensors.torch import save as save_safetensors

from ..runs.checkpoint import run_files, runs_from_files
from ..train import Run, adam, make_optimizer

OPTIMIZER_TENSORS = "optimizer.safetensors"   # "<optimizer>/<param index>/<name>" -> tensor
OPTIMIZER_META = "optimizer.json"             # each optimizer's param groups and non-tensor state


@dataclass(frozen=True)
class Snapshot:
    """A run's weights and counters at one step, taken between two steps (the worker holds the model lock)."""

    step: int
    epoch: int
    batch: int
    history_len: int               # len(run.history) at that step: the history to keep after a worker's death
    tests_len: int                 # len(run.test_history) likewise
    weights: bytes                 # model.safetensors
    optimizer: dict[str, bytes] | None = None   # the optimizers' state: in the final snapshot only


def pack(run: Run) -> dict[str, bytes]:
    """The run folder's files plus the optimizers' state: what a worker needs to continue this run exactly."""
    return {**run_files(run, max_steps=None), **optimizer_files(run)}   # the whole history: steps are counted


def unpack(files: dict[str, bytes], device: str) -> Run:
    """The Run `pack` described, on `device`, with its optimizers' moments."""
    run = runs_from_files(files, device, max_steps=None)
    load_optimizers(run, files)
    return run


def take_snapshot(run: Run, with_optimizer: bool = False) -> Snapshot:
    """Caller holds the model still (the job's lock)."""
    weights = {k: v.detach().cpu().contiguous() for k, v in run.model.state_dict().items()}
    return Snapshot(run.step, run.epoch, run.batch, len(run.history), len(run.test_history),
                    save_safetensors(weights), optimizer_files(run) if with_optimizer else None)


def restore(run: Run, snap: Snapshot) -> None:
    """Put a snapshot's weights, counters (and optimizer state, when it has it) into `run`, in place."""
    run.model.load_state_dict(load_safetensors(snap.weights))
    run.step, run.epoch, run.batch = snap.step, snap.epoch, snap.batch
    if snap.optimizer is not None:
        load_optimizers(run, snap.optimizer)


def fresh_optimizers(run: Run) -> None:
    """New moments for weights the optimizers never saw (a snapshot after a lost worker), as after a divergence."""
    run.optimizer = make_optimizer(run.model, run.train_config)
    for stage in _stages(run):
        stage.optimizer = None


def optimizer_files(run: Run) -> dict[str, bytes]:
    """Every optimizer of the run (the run's own, then each pretraining stage's) as two files."""
    tensors, meta = {}, []
    for i, opt in enumerate(_optimizers(run)):
        if opt is None:
            meta.append(None)
            continue
        state = opt.state_dict()
        plain = {}
        for index, values in state["state"].items():
            for name, value in values.items():
                if torch.is_tensor(value):
                    tensors[f"{i}/{index}/{name}"] = value.detach().cpu().contiguous()
                else:
                    plain.setdefault(str(index), {})[name] = value
        meta.append({"param_groups": state["param_groups"], "plain": plain})
    return {OPTIMIZER_TENSORS: save_safetensors(tensors), OPTIMIZER_META: json.dumps(meta).encode()}


def load_optimizers(run: Run, files: dict[str, bytes]) -> None:
    """Load `optimizer_files` into the run's optimizers (a stage's is built first when it has state)."""
    if OPTIMIZER_META not in files:
        return
    meta = json.loads(files[OPTIMIZER_META])
    tensors = load_safetensors(files[OPTIMIZER_TENSORS])
    stages = _stages(run)
    for i, entry in enumerate(meta):
        if entry is None:
            continue
        state: dict[int, dict] = {int(k): dict(v) for k, v in entry["plain"].items()}
        for key, value in tensors.items():
            which, index, name = key.split("/")
            if int(which) == i:
                state.setdefault(int(index), {})[name] = value
        if i == 0:
            opt = run.optimizer
        else:
            stage = stages[i - 1]
            opt = stage.optimizer = stage.optimizer or adam(stage.params, run.train_config.lr)
        opt.load_state_dict({"state": state, "param_groups": entry["param_groups"]})


def _stages(run: Run) -> list:
    """The stages that keep an optimizer of their own (layer-wise pretraining), in schedule order."""
    return [s for s in run.model.stages(run.train_config.epochs) if s.params is not None]


def _optimizers(run: Run) -> list[torch.optim.Optimizer | None]:
    return [run.optimizer, *(s.optimizer for s in _stages(run))]
