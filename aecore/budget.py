"""What a model costs, counted from its config alone, and the limits it must fit before anything is allocated.

A run's config.json is untrusted: a 1.4 KB zip can declare a conv model whose one sample is 16 GiB, or an LSTM
50 million steps long, with weights that stay tiny. `Autoencoder.__init__` calls `check_model` before it builds a
layer, so training, loading (Models page, run folders, the store), sharing, the CLI and the browser decoder all
pass through this one check. A build on PyTorch's "meta" device (shapes only, nothing allocated) is exempt: that is
how a checkpoint's weights are matched against its config before the real build.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import pairwise

from . import settings
from .config import ModelConfig
from .data.limits import DataLimits, settings_as_data_errors

KERNEL = 16   # the 4x4 kernels of nets.ConvEncoder / ConvDecoder


@dataclass(frozen=True)
class ModelCost:
    """One sample through the encoder and the decoder."""

    values: int        # values in a sample (the decoder writes as many)
    params: int        # weights and biases
    activations: int   # values all layers produce together
    macs: int          # multiply-adds
    steps: int         # layers run one after another; an LSTM layer counts once per time step


@dataclass(frozen=True)
class ModelLimits:
    """How big a model may be; each limit names the environment variable that raises it."""

    max_values: int = DataLimits().max_features   # AECORE_MAX_FEATURES: the data and the model share it
    max_params: int = 32_000_000         # 128 MB of float32 weights; the default VAE has 0.65 M
    max_activations: int = 4_000_000     # 16 MB per sample; a conv VAE on 3x64x64 images needs 0.1 M
    max_macs: int = 500_000_000          # ~0.5 s per sample on one core; the conv VAE on MNIST needs 3.5 M
    max_steps: int = 200_000             # ECG5000's LSTM runs 2 x 140; 2 M steps took 97 s for 4 codes

    @classmethod
    def from_env(cls) -> ModelLimits:
        base = cls()
        with settings_as_data_errors():
            return cls(max_values=DataLimits.from_env().max_features,
                       **{field: int(settings.number(var, getattr(base, field))) for field, (var, _) in LIMITS.items()
                          if field != "max_values"})


# field -> (environment variable, what it counts), for the messages
LIMITS = {
    "max_values": ("AECORE_MAX_FEATURES", "values per sample"),
    "max_params": ("AECORE_MAX_PARAMS", "weights"),
    "max_activations": ("AECORE_MAX_ACTIVATIONS", "values its layers produce per sample"),
    "max_macs": ("AECORE_MAX_MACS", "multiply-adds per sample"),
    "max_steps": ("AECORE_MAX_STEPS", "layers and LSTM time steps run one after another per sample"),
}


class ModelTooLarge(ValueError):
    """A model's config declares more than a limit allows; the message names the limit and how to raise it."""


def check_model(cfg: ModelConfig, input_shape: tuple[int, ...], limits: ModelLimits | None = None) -> ModelCost:
    """The model's cost, or ModelTooLarge when it is over a limit (checked in the order of LIMITS)."""
    limits = limits or ModelLimits.from_env()
    cost = model_cost(cfg, input_shape)
    for field, (var, what) in LIMITS.items():
        have, limit = getattr(cost, field.removeprefix("max_")), getattr(limits, field)
        if have > limit:
            shape = "x".join(str(int(d)) for d in input_shape)
            raise ModelTooLarge(f"the {cfg.architecture} model declared for samples of {shape} has {have:,} {what}, "
                                f"more than the limit of {limit:,}; raise it with the environment variable {var}")
    return cost


def model_cost(cfg: ModelConfig, input_shape: tuple[int, ...]) -> ModelCost:
    """Count what nets.build_body and the bottleneck would build, without building it."""
    shape = tuple(int(d) for d in input_shape)
    if any(d < 1 for d in shape):
        raise ValueError(f"input_shape must be positive, got {shape}")
    k, n_cls = cfg.latent_dim, cfg.n_classes
    head = 2 * k if cfg.variational else k
    body = {"mlp": _mlp, "conv": _conv, "lstm": _lstm}.get(cfg.architecture)
    wrong_rank = {"conv": 3, "lstm": 2}.get(cfg.architecture, len(shape)) != len(shape)
    if body is None or wrong_rank:
        return ModelCost(math.prod(shape), 0, 0, 0, 0)   # nets.build_body refuses it with its own message
    return body(shape, cfg.hidden, k, n_cls, head)


class _Tally:
    def __init__(self):
        self.params = self.activations = self.macs = self.steps = 0

    def linear(self, n_in: int, n_out: int, times: int = 1) -> None:
        self.params += n_in * n_out + n_out
        self.macs += n_in * n_out * times
        self.activations += n_out * times
        self.steps += 1

    def cost(self, shape: tuple[int, ...]) -> ModelCost:
        return ModelCost(math.prod(shape), self.params, self.activations, self.macs, self.steps)


def _mlp(shape, hidden, k, n_cls, head) -> ModelCost:
    t = _Tally()
    widths = [math.prod(shape) + n_cls, *hidden]
    for a, b in pairwise(widths):
        t.linear(a, b)
    t.linear(widths[-1], head)
    widths = [k + n_cls, *reversed(hidden), math.prod(shape)]
    for a, b in pairwise(widths):
        t.linear(a, b)
    return t.cost(shape)


def _conv(shape, channels, k, n_cls, head) -> ModelCost:
    t = _Tally()
    c, h, w = shape
    sizes = [(h, w)]
    for c_out in channels:   # encoder: stride 2 halves each side
        h, w = h // 2, w // 2
        if h < 1 or w < 1:
            return t.cost(shape)   # nets.ConvEncoder refuses it with its own message
        t.params += c * c_out * KERNEL + c_out
        t.macs += c * c_out * KERNEL * h * w
        t.activations += c_out * h * w
        t.steps += 1
        c = c_out
        sizes.append((h, w))
    t.linear(c * h * w + n_cls, head)
    t.linear(k + n_cls, c * h * w)
    for i, c_out in enumerate([*reversed(channels[:-1]), shape[0]]):   # decoder: transposed convolutions back up
        (hs, ws), (hb, wb) = sizes[-1 - i], sizes[-2 - i]
        t.params += c * c_out * KERNEL + c_out
        t.macs += c * c_out * KERNEL * hs * ws
        t.activations += c_out * hb * wb
        t.steps += 1
        c = c_out
    return t.cost(shape)


def _lstm(shape, hidden, k, n_cls, head) -> ModelCost:
    t = _Tally()
    steps, features = shape
    width, layers = hidden[0], len(hidden)
    for n_in in (features, k + n_cls):   # the encoder's LSTM reads the sequence, the decoder's the repeated code
        for layer in range(layers):
            gates = 4 * width * ((n_in if layer == 0 else width) + width)
            t.params += gates + 8 * width
            t.macs += gates * steps
            t.activations += 2 * width * steps   # hidden and cell states
            t.steps += steps
    t.linear(width + n_cls, head)
    t.linear(width, features, times=steps)
    return t.cost(shape)
