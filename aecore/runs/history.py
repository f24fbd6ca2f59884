"""A run's saved loss history kept to a bounded length, so saving and loading a run costs the same after any training.

Training records one Step per batch (94,000 for 200 epochs of MNIST) and keeps them all in memory while it runs;
what is saved, and what a loaded run holds, is at most MAX_STEPS of them: every epoch's end (with its test loss),
each phase's first step (a resumed run's divergence yardstick), the last step, and evenly spaced steps between.
A loss chart is a few hundred pixels wide, so it looks the same.
"""
from __future__ import annotations

import math

from ..train import Step

MAX_STEPS = 20_000             # ~4 MB of history.json; a chart shows a few hundred points
MAX_BYTES = 32 * 2**20         # 150,000 steps as older versions saved them (unthinned); more is refused unparsed


def thin(steps: list[Step], cap: int | None = MAX_STEPS) -> list[Step]:
    """`steps` when there are at most `cap` (or no cap); otherwise at most `cap` of them, the ones that matter kept."""
    if cap is None or len(steps) <= cap:
        return steps
    keep, phases = {len(steps) - 1}, set()
    for i, step in enumerate(steps):
        if step.test is not None or step.phase not in phases:
            keep.add(i)
        phases.add(step.phase)
    if len(keep) >= cap:   # not a history training writes (one test per epoch): evenly spaced, nothing kept
        keep = {len(steps) - 1}
    stride = math.ceil(len(steps) / max(cap - len(keep), 1))
    keep.update(range(0, len(steps), stride))
    return [steps[i] for i in sorted(keep)]
