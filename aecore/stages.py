"""Training stages: the parts of a model's schedule, each with its own loss and its own weights to train.

Every model trains end to end on its loss: one stage. A stacked autoencoder first pretrains greedily, one
(encoder, decoder) layer pair at a time, each a shallow autoencoder of the frozen codes below it (Bengio et
al. 2007). The trainer only walks the stages; what each one minimises is decided here and by the model.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from . import penalties

LossParts = Callable[..., dict[str, Tensor]]   # (x, y) -> loss parts per sample, "loss" always among them


@dataclass(eq=False)
class Stage:
    """One part of a training schedule: what it minimises, for how many epochs, with which weights."""

    name: str                      # on the progress bar and in the history: "train", "pretrain 1/3"
    epochs: int
    loss: LossParts
    params: list[nn.Parameter] | None = None   # the weights it trains; None: all, with the run's own optimizer
    evaluate: bool = True          # a test loss at each epoch's end: only the whole model's loss means anything
    optimizer: torch.optim.Optimizer | None = None   # a stage with `params` keeps its own here (the trainer
                                                     # builds it on first use), so a resume keeps its moments


def layerwise(pairs: list[tuple[nn.Linear, nn.Linear]], act: nn.Module, epochs: int, loss: str,
              output: str) -> list[Stage]:
    """Greedy layer-wise pretraining, outermost pair first, `epochs` each; the first pair rebuilds the data
    with the model's own reconstruction loss (`loss`, `output`), the deeper ones the codes below them."""
    return [Stage(f"pretrain {i + 1}/{len(pairs)}", epochs, LayerLoss(pairs, i, act, loss, output),
                  [*enc.parameters(), *dec.parameters()], evaluate=False)
            for i, (enc, dec) in enumerate(pairs)]


class LayerLoss:
    """The loss of the shallow autoencoder of one layer pair, on the frozen output of the layers below it.
    An object rather than a closure, so a deep copy of the model copies the layers it uses too."""

    def __init__(self, pairs: list[tuple[nn.Linear, nn.Linear]], stage: int, act: nn.Module, loss: str, output: str):
        self.below = [enc for enc, _ in pairs[:stage]]
        self.enc, self.dec = pairs[stage]
        self.act, self.loss, self.output = act, loss, output
        self.bottleneck = stage == len(pairs) - 1   # the bottleneck itself is linear

    def __call__(self, x: Tensor, y: Tensor | None = None) -> dict[str, Tensor]:
        act = self.act
        with torch.no_grad():
            a = x.flatten(1)
            for layer in self.below:
                a = act(layer(a))
        h = self.enc(a) if self.bottleneck else act(self.enc(a))
        if not self.below:   # the outermost pair rebuilds the data itself
            return {"loss": penalties.reconstruction(self.dec(h).view_as(x), x, self.loss, self.output)}
        return {"loss": (act(self.dec(h)) - a).square().sum(1).mean()}
