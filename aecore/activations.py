"""Every layer's activations for one sample, by running the op list of aecore/network.py in PyTorch.

Running the ops (not the modules) checks the op list itself: the tests hold its output to the model's own
encode and reconstruction for every registered variant, so what the browser is sent is what the model computes.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from .models import Autoencoder
from .network import decoder_ops, encoder_ops

LIVE_STD = 0.01   # an input that varies less than this across the data is dead: no gradient reaches its weights
FAINT = 0.3       # contrast of a faint unit in a filter grid (one that never fires)
ACTS = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid, "identity": lambda h: h}


def _lstm(seq: Tensor, layers: list[dict]) -> Tensor:
    """A stacked LSTM over seq (B, T, in) from zero state; the last layer's hidden state at every step (B, T, H)."""
    for p in layers:
        hidden = p["weight_hh"].shape[1]
        h = c = seq.new_zeros(len(seq), hidden)
        gates_in = F.linear(seq, p["weight_ih"], p["bias_ih"] + p["bias_hh"])   # (1, T, 4H)
        out = []
        for t in range(seq.shape[1]):
            i, f, g, o = (gates_in[:, t] + F.linear(h, p["weight_hh"])).chunk(4, dim=1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            h = torch.sigmoid(o) * torch.tanh(c)
            out.append(h)
        seq = torch.stack(out, dim=1)
    return seq


def _conv(op: dict, h: Tensor) -> Tensor:
    x = h.reshape(len(h), op["cin"], op["h"], op["w_in"])
    if op["op"] == "conv":
        return F.conv2d(x, op["w"], op["b"], stride=op["stride"], padding=op["pad"])
    k, s, pad = op["k"], op["stride"], op["pad"]
    extra = (op["h_out"] - ((op["h"] - 1) * s - 2 * pad + k), op["w_out"] - ((op["w_in"] - 1) * s - 2 * pad + k))
    return F.conv_transpose2d(x, op["w"], op["b"], stride=s, padding=pad, output_padding=extra)


def run_op(op: dict, h: Tensor, label: Tensor | None) -> Tensor:
    """One op on a batch of samples; `label` is the one-hot label of a conditional model (one row per sample)."""
    kind = op["op"]
    if kind == "linear":
        return F.linear(h, op["w"], op["b"])
    if kind == "act":
        return ACTS[op["fn"]](h)
    if kind in ("conv", "convT"):
        return _conv(op, h)
    if kind == "lstm":        # the decoder's: the code at every step
        return _lstm(h.reshape(len(h), 1, op["in"]).expand(-1, op["steps"], -1), op["layers"])
    if kind == "lstm_seq":    # the encoder's: the sequence itself
        return _lstm(h.reshape(len(h), op["steps"], op["in"]), op["layers"])
    if kind == "last":
        return h[:, -1]
    if kind == "flatten":
        return h.reshape(len(h), -1)
    if kind == "concat_label":
        return torch.cat([h, label], dim=1)
    raise ValueError(f"unknown op {kind!r}")


def _run(ops: list[dict], h: Tensor, label: Tensor | None, layers: dict[str, Tensor]) -> Tensor:
    for op in ops:
        h = run_op(op, h, label)
        if "name" in op:
            layers[op["name"]] = h
    return h


@torch.no_grad()
def batch_activations(model: Autoencoder, x: Tensor, y: Tensor | None = None, eps: Tensor | None = None,
                      decoder: bool = True) -> dict[str, Tensor]:
    """Every layer's output for a batch x (B, *model.input_shape), in network order (see layer_activations), each
    (B, *layer shape); up to the code only, without `decoder`. A VAE's z is mu + sigma * eps (eps None: the mean,
    as encode and reconstruct use)."""
    model = model.eval().cpu()
    if tuple(x.shape[1:]) != model.input_shape:
        raise ValueError(f"a sample of this model has shape {model.input_shape}, got {tuple(x.shape[1:])}")
    label = model.one_hot(None if y is None else torch.as_tensor(y).long().reshape(-1))
    x = x.to(torch.float32).cpu()
    layers: dict[str, Tensor] = {"input": x}
    z = _run(encoder_ops(model), x, label, layers)
    if model.config.variational:
        mu, logvar = z.chunk(2, dim=1)
        sigma = (0.5 * logvar).exp()
        z = mu + sigma * (torch.zeros_like(mu) if eps is None else eps)
        layers.update(mu=mu, sigma=sigma, z=z)
    if not decoder:
        return layers
    raw = _run(decoder_ops(model), z if label is None else torch.cat([z, label], dim=1), label, layers)
    layers["reconstruction"] = model._activate(raw.reshape(len(x), *model.input_shape))
    return layers


@torch.no_grad()
def layer_activations(model: Autoencoder, x: Tensor, y: int | None = None,
                      seed: int | None = None) -> dict[str, np.ndarray]:
    """Every layer's output for one sample x (shape model.input_shape), in network order: "input", the encoder's
    layers, the code ("code", or a VAE's "mu", "sigma", "z"), the decoder's layers, "reconstruction".

    A VAE's z is its mean, as encode and reconstruct use, unless `seed` draws z = mu + sigma * eps."""
    if tuple(x.shape) != model.input_shape:
        raise ValueError(f"a sample of this model has shape {model.input_shape}, got {tuple(x.shape)}")
    eps = None
    if model.config.variational and seed is not None:
        eps = torch.randn((1, model.config.latent_dim), generator=torch.Generator().manual_seed(seed))
    layers = batch_activations(model, x.unsqueeze(0), None if y is None else torch.tensor([int(y)]), eps)
    return {name: h[0].numpy().copy() for name, h in layers.items()}


def first_layer_weights(model: Autoencoder) -> Tensor:
    """The incoming weights of each unit of the first encoder layer, shaped like an input: (units, *input_shape)
    for an MLP (a conditional model's label weights left out), (units, C, k, k) for a conv layer."""
    op = next(op for op in encoder_ops(model) if op["op"] in ("linear", "conv", "lstm_seq"))
    if op["op"] == "lstm_seq":
        raise ValueError("an LSTM's first layer has no picture per unit: its weights mix four gates over time")
    w = op["w"].detach().cpu().float()
    if op["op"] == "conv":
        return w.contiguous()
    n_in = int(np.prod(model.input_shape))
    return w[:, :n_in].reshape(-1, *model.input_shape)


def unit_scores(h: Tensor) -> Tensor:
    """(B, units) from a layer's output: a dense unit's activation, a feature map's largest value."""
    return h.flatten(2).amax(2) if h.dim() == 4 else h.flatten(1)


@torch.no_grad()
def first_layer_firing(model: Autoencoder, x: Tensor, y: Tensor | None = None, batch: int = 500) -> Tensor:
    """The share of the samples x each unit of the first encoder layer fires for: its ReLU output above 0 (a conv
    channel anywhere in its map). A unit that fires for none passes no gradient back to its weights, so they stay
    what the initialisation drew: the noise squares of a filter grid."""
    first = next(op["name"] for op in encoder_ops(model) if "name" in op)
    if first in ("code", "mu"):
        raise ValueError("this model has no hidden layer before its code")
    if model.config.activation != "relu":
        raise ValueError(f"a {model.config.activation} unit has no off state: firing is defined for ReLU layers")
    fired = torch.cat([unit_scores(batch_activations(model, x[at:at + batch], None if y is None else y[at:at + batch],
                                                     decoder=False)[first]) > 0 for at in range(0, len(x), batch)])
    return fired.double().mean(0)


def locality(model: Autoencoder, x: Tensor | None = None, top: float = 0.1) -> float:
    """How local the first layer's units are: the mean share of each unit's squared weights that sits in its `top`
    fraction of inputs (1 = all in a few pixels, like a stroke detector; `top` = spread evenly, like noise).

    With data `x`, only the inputs that vary in it count: a pixel that is always 0 (MNIST's border) gets no
    gradient, so its weights stay what the initialisation drew, and a unit whose trained weights shrank (an L1
    penalty does that) would look local for its untrained border alone."""
    w = first_layer_weights(model).flatten(1).double().square()
    if x is not None:
        w = w[:, live_inputs(x, w.shape[1])]
    k = max(1, round(top * w.shape[1]))
    return float((w.topk(k, dim=1).values.sum(1) / w.sum(1).clamp_min(1e-300)).mean())


def live_inputs(x: Tensor, n: int) -> Tensor:
    """Which of the first layer's `n` inputs vary across the samples `x` (standard deviation above LIVE_STD); for a
    conv layer, whose inputs are a kernel's positions, every one does."""
    flat = x.flatten(1)
    if flat.shape[1] != n:
        return torch.ones(n, dtype=torch.bool)
    return flat.float().std(0) > LIVE_STD


def filter_grid(model: Autoencoder, pad: int = 1, order: Tensor | None = None,
                faint: Tensor | None = None) -> np.ndarray:
    """The first layer's weights of all units as one uint8 picture grid: mid grey is 0, each unit scaled by its own
    largest |weight| so a faint unit's pattern shows too (vector data: one strip per unit). `order`: which units
    the grid shows, in that order (all, as numbered, by default); `faint`: a mask over the units of those drawn at
    FAINT of their contrast (the ones that never fire)."""
    from .imaging import to_grid

    w = first_layer_weights(model)
    if w.dim() == 2:
        w = w[:, None, None, :]
    elif w.dim() != 4:
        raise ValueError(f"no picture for first-layer weights of shape {tuple(w.shape)}")
    contrast = torch.ones(len(w)) if faint is None else torch.where(faint, FAINT, 1.0)
    w = w * (contrast / w.flatten(1).abs().amax(dim=1).clamp_min(1e-12)).view(-1, 1, 1, 1)
    return to_grid(w if order is None else w[order], pad=pad, value_range=(-1.0, 1.0))
