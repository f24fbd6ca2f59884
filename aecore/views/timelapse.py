"""The space forming: where a fixed probe set of test samples lands in the code space while a model trains.

The training job calls a `Recorder` between two steps (under its lock), which appends a `Frame` to
`run.timelapse` about FRAMES times over the run: the probe's codes themselves for a code of 1 or 2 numbers, else
their top two principal components, each frame turned to match the one before (aecore.views.align), so a playback shows
the space forming rather than PCA's arbitrary axes spinning. The frames live on the Run, so a resumed run goes on
with the same probe, and a page shows them during training and afterwards.

Recording stays within BUDGET of the training time. Measured (`python -m aecore bench --quick`): one frame of
2,000 MNIST digits costs about 2 training steps of the MLP VAE and 3 of the conv VAE, so the dashboard's 10-epoch run
gets all 50 frames for ~2-4% of its time; a 1-epoch run gets fewer frames, not a slower loop. Except that every run
gets MIN_FRAMES, evenly spaced, whatever they cost: under the budget alone a 32-step run got from 2 to 8 frames by
how busy the machine was, and two frames are not a time-lapse (they cost a few steps' time on so short a run).
"""
from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import torch

from ..data.dataset import Dataset
from ..infer import encode_all
from ..models import Autoencoder
from ..pca import PCA
from .align import fit_procrustes
from .animate import frames_gif

PROBE_N = 2000      # test samples followed: enough to show every class's cloud, 16 KB a frame
PROBE_SEED = 0      # the same probe for every run of a dataset, so two runs' time-lapses compare
FRAMES = 50         # frames over a whole run: a smooth 10 s playback at 5 frames a second
BUDGET = 0.05       # the most of the training time recording may take; beyond it frames are spaced out
MIN_FRAMES = 6      # frames every run gets, budget or not: the untrained model, 4 on the way, the last


@dataclass(frozen=True)
class Frame:
    """Where the probe set sat after `step` training steps."""

    step: int
    epoch: float
    coords: np.ndarray       # (n_probe, 2) float32

    @cached_property
    def digest(self) -> str:
        """A hash of what the frame shows, once per frame: a cache shared by sessions keys its pictures by it."""
        h = hashlib.blake2b(f"{self.step}|{self.epoch!r}|{self.coords.dtype}{self.coords.shape}".encode(),
                            digest_size=16)
        h.update(np.ascontiguousarray(self.coords).tobytes())
        return h.hexdigest()


@dataclass
class Timelapse:
    """A run's frames of one probe set (test samples `index`), in the order they were recorded."""

    index: np.ndarray             # (n_probe,) int64 positions in the test split
    labels: np.ndarray | None     # (n_probe,) int64, or None for unlabelled data
    method: str                   # "direct" (the codes themselves) or "pca" (top two components, aligned)
    n_test: int                   # the test split's size: a resumed run on other data starts a new time-lapse
    frames: list[Frame] = field(default_factory=list)

    def gif(self, size: int = 320, duration_ms: int = 200) -> bytes:
        """The frames as an animated GIF, captioned with their step and epoch (aecore.views.animate)."""
        captions = [f"step {f.step:,} · epoch {f.epoch:.1f}" for f in self.frames]
        return frames_gif([f.coords for f in self.frames], self.labels, size, duration_ms, captions)


def probe_index(n_test: int, n: int = PROBE_N, seed: int = PROBE_SEED) -> np.ndarray:
    """The probe set: `n` test positions chosen at random with `seed` (all of them for a small split), sorted."""
    if n_test <= n:
        return np.arange(n_test, dtype=np.int64)
    return np.sort(np.random.default_rng(seed).choice(n_test, n, replace=False)).astype(np.int64)


def probe_coords(model: Autoencoder, x: torch.Tensor, y: torch.Tensor | None,
                 previous: np.ndarray | None = None) -> np.ndarray:
    """(n, 2) float32 positions of the probe inputs x: codes of 1-2 numbers as they are (1-D padded with 0), else
    their top two principal components turned (rotation or reflection, no scaling) to best match `previous`."""
    codes = encode_all(model, x, y).double().numpy()
    if codes.shape[1] <= 2:
        return np.pad(codes, ((0, 0), (0, 2 - codes.shape[1]))).astype(np.float32)
    coords = PCA(2).fit_transform(codes)
    coords = np.pad(coords, ((0, 0), (0, 2 - coords.shape[1])))   # fewer than 2 samples: one component, padded
    if previous is not None and len(previous) == len(coords):
        coords = fit_procrustes(coords, previous, scale=False).apply(coords)
    return coords.astype(np.float32)


class Recorder:
    """Records `run.timelapse` while a job trains `run` on `data`: call `maybe_record` between steps and
    `finish` at the end. Starts a new time-lapse, or goes on with the run's own when it was resumed."""

    def __init__(self, run, data: Dataset, frames: int = FRAMES, budget: float | None = None, clock=time.monotonic):
        self.run, self.budget, self.clock = run, BUDGET if budget is None else budget, clock
        tl = run.timelapse
        if tl is None or tl.n_test != len(data.x_test):
            index = probe_index(len(data.x_test))
            labels = None if data.y_test is None else data.y_test[index].numpy().astype(np.int64)
            method = "direct" if run.model_config.latent_dim <= 2 else "pca"
            tl = run.timelapse = Timelapse(index, labels, method, len(data.x_test))
        self.timelapse = tl
        self.x = data.x_test[tl.index]
        self.y = None if data.y_test is None else data.y_test[tl.index]
        batches = -(-len(data.x_train) // run.train_config.batch_size)
        total = run.total_epochs * batches
        self.every = max(1, total // frames)
        self.next_step = tl.frames[-1].step + self.every if tl.frames else run.step
        self.sure = np.linspace(0, total, min(MIN_FRAMES, frames)).round()[1:-1].tolist()   # steps that get one anyway
        self.spent, self.started = 0.0, clock()

    def maybe_record(self) -> Frame | None:
        """A new frame when one is due and recording is within budget (else None). Caller holds the model."""
        step = self.run.step
        if not (step >= self.next_step and len(self.x)):
            return None
        sure = False
        while self.sure and step >= self.sure[0]:   # a planned step reached (or passed, on a resumed run)
            self.sure.pop(0)
            sure = True
        if not sure and self.spent > self.budget * (self.clock() - self.started):
            return None
        return self._record()

    def finish(self) -> Frame | None:
        """The last frame, at the model's final step (unless it has one already)."""
        frames = self.timelapse.frames
        if not len(self.x) or (frames and frames[-1].step == self.run.step):
            return None
        return self._record()

    def _record(self) -> Frame:
        t0 = self.clock()
        run, frames = self.run, self.timelapse.frames
        previous = frames[-1].coords if frames else None
        epoch = run.history[-1].epoch if run.history else float(run.epoch)
        frame = Frame(run.step, epoch, probe_coords(run.model, self.x, self.y, previous))
        frames.append(frame)
        self.next_step = run.step + self.every
        self.spent += self.clock() - t0
        return frame
