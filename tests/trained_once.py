"""Each model the claim tests train, trained once per test session: the page claims, the applications' defaults,
the lessons and the targets train the same recipes on the same data (the denoising page and the denoising lesson
are one pair of models; Features' code is Compression's 32-number model), and on full MNIST each costs up to a
minute. An application's scoring of the same models on the same data is done once too (the denoising page's and
lesson's PSNR curves over 10,000 test digits took as long as their training).

A model is keyed by its content: the variant, the model and training configs (the seed among them) and a digest
of every tensor of its data, so a test gets a model trained exactly as it asked, as a copy of its own. Training is
deterministic for a given key (aecore.jobs.train_all builds each seeded run first, and each draws only from its
own generators), so a cached model is the model the test would have trained.
"""
from __future__ import annotations

import copy
import dataclasses
import hashlib
import json

import torch

from aecore import jobs
from aecore.lecture import lessons
from aecore.data.dataset import Dataset


class TrainedOnce:
    """Stands in for `jobs.train_all` and `lessons.train_runs`, training only what no test trained before."""

    def __init__(self):
        self.models: dict[tuple, object] = {}                      # key -> a trained Run or lessons.Trained
        self.scores: dict[tuple, object] = {}                      # key -> what an application's evaluate returned
        self._digests: list[tuple[torch.Tensor, str]] = []         # the tensors hashed so far (kept: ids stay theirs)
        self.trained = self.reused = 0

    def digest(self, data: Dataset) -> str:
        """A digest of the data's content: name, kind, value range and every tensor."""
        parts = [data.name, data.kind, repr(data.value_range)]
        for t in (data.x_train, data.y_train, data.x_test, data.y_test):
            parts.append("none" if t is None else self._tensor_digest(t))
        return hashlib.blake2b("\0".join(parts).encode(), digest_size=16).hexdigest()

    def _tensor_digest(self, t: torch.Tensor) -> str:
        for seen, value in self._digests:
            if seen is t:
                return value
        flat = t.detach().cpu().contiguous()
        h = hashlib.blake2b(f"{flat.dtype}{tuple(flat.shape)}".encode(), digest_size=16)
        h.update(memoryview(flat.reshape(-1).view(torch.uint8).numpy()))
        self._digests.append((t, h.hexdigest()))
        return self._digests[-1][1]

    def _train(self, keys: dict[str, tuple], train_missing) -> dict:
        """name -> a copy of the model for each key, training (all at once, side by side) those not yet trained."""
        missing = [name for name, key in keys.items() if key not in self.models]
        for name, result in train_missing(missing).items():
            self.models[keys[name]] = result
        self.trained, self.reused = self.trained + len(missing), self.reused + len(keys) - len(missing)
        return {name: copy.deepcopy(self.models[key]) for name, key in keys.items()}

    def train_all(self, specs: list[jobs.ModelSpec], on_step=None, *, original=jobs.train_all) -> dict:
        if on_step is not None:   # a caller watching progress sees every step
            return original(specs, on_step)
        keys = {s.name: ("spec", s.variant, repr(s.model), repr(s.train), self.digest(s.data)) for s in specs}
        by_name = {s.name: s for s in specs}
        return self._train(keys, lambda names: original([by_name[n] for n in names]) if names else {})

    def train_runs(self, settings: dict[str, dict], data: Dataset, *, original=lessons.train_runs) -> dict:
        digest = self.digest(data)
        keys = {name: ("lesson run", json.dumps(s, sort_keys=True), digest) for name, s in settings.items()}
        return self._train(keys, lambda names: original({n: settings[n] for n in names}, data) if names else {})

    def evaluate(self, original):
        """An application's `evaluate`, run once for each experiment (its fields), models (their weights) and data."""
        def evaluate(exp, models: dict, data: Dataset):
            weights = tuple((name, weights_digest(model)) for name, model in sorted(models.items()))
            # how the models were trained is in their weights: of the schedule, scoring reads only the seed (noise,
            # label draws), so a form's explicit epochs and the recipe's same number score alike
            scored = dataclasses.replace(exp, schedule=type(exp.schedule)(seed=exp.schedule.seed))
            key = (type(exp).__name__, repr(scored), weights, self.digest(data))
            if key not in self.scores:
                self.scores[key] = original(exp, models, data)
            return copy.deepcopy(self.scores[key])
        return evaluate


def weights_digest(model: torch.nn.Module) -> str:
    h = hashlib.blake2b(digest_size=16)
    for name, tensor in model.state_dict().items():
        t = tensor.detach().cpu().contiguous()
        h.update(f"\0{name}\0{t.dtype}\0{tuple(t.shape)}\0".encode())
        h.update(memoryview(t.reshape(-1).view(torch.uint8).numpy()))
    return h.hexdigest()
