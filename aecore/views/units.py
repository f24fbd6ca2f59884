"""What a unit of the network stands for, beside its activation, for the Inside view (computed here, drawn there).

A unit of the first encoder layer is its incoming weights (activations.first_layer_weights). A unit of the last
decoder layer is what it paints: its outgoing weights into the output, a picture the size of a sample (a dense
layer) or the stamp a feature map leaves at each of its positions (a transposed convolution's kernel). Every other
unit is the dataset samples that excite it most. The gallery a denoiser is shown is corrupted the way it trained,
beside the clean targets.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from .. import penalties
from ..activations import batch_activations, filter_grid, first_layer_firing, first_layer_weights, unit_scores
from ..config import ModelConfig
from ..infer import encode_all
from ..models import Autoencoder
from ..network import decoder_ops, encoder_ops
from ..pca import fit_pca

TOP = 9            # samples shown for a unit: a 3 x 3 grid
POOL = 1000        # test samples searched for them, spread over the test split
GALLERY_SEED = 1234   # the same corrupted gallery on every visit, so a hover compares like with like
BATCH = 250        # samples per forward pass: a conv model's maps for 1,000 samples stay a few MB
FIRES = 0.1        # |value| from which a sparse code's unit fires (lessons.NEAR_ZERO: the 0.0x of a code readout)
CODE = {"code", "mu", "z"}   # the code's layers: a VAE's z is its mean here, as encode gives


@dataclass(frozen=True)
class Gallery:
    """The samples a person hovers: what the network is fed (corrupted for a denoiser), the clean targets when they
    differ (else None), the labels (None without), and which test samples they are."""

    inputs: np.ndarray
    targets: np.ndarray | None
    labels: np.ndarray | None
    picks: np.ndarray


def spread(n_total: int, n: int) -> np.ndarray:
    """n indices spread evenly over 0..n_total-1 (all of them when n >= n_total)."""
    return np.linspace(0, n_total - 1, min(n, n_total)).round().astype(int)


def gallery(x: Tensor, y: Tensor | None, config: ModelConfig, n: int, value_range: tuple[float, float]) -> Gallery:
    """n of the samples x spread evenly; a denoiser's inputs corrupted with its noise and level (a fixed draw)."""
    picks = spread(len(x), n)
    clean = x[picks].to(torch.float32)
    labels = None if y is None else y[picks].numpy()
    if config.noise == "none" or config.noise_level == 0:
        return Gallery(clean.numpy(), None, labels, picks)
    noisy = penalties.corrupt(clean, config.noise, config.noise_level, tuple(value_range),
                              torch.Generator().manual_seed(GALLERY_SEED))
    return Gallery(noisy.numpy(), clean.numpy(), labels, picks)


def code_map(model: Autoencoder, x: Tensor, y: Tensor | None = None) -> np.ndarray:
    """(N, 2) places of the samples x in the code space, for picking one by its neighbours: a 2-number code as it
    is, one number beside 0, a longer code's first two principal components (fit on these codes)."""
    z = encode_all(model, x.to(torch.float32), y).double()
    if z.shape[1] == 1:
        return torch.cat([z, torch.zeros_like(z)], 1).numpy()
    return (z if z.shape[1] == 2 else fit_pca(z, 2).transform(z)).numpy()


def _named(ops: list[dict]) -> list[str]:
    return [op["name"] for op in ops if "name" in op]


def paint_layer(model: Autoencoder) -> str:
    """The layer whose units feed the output directly: the decoder's last named layer (the code, if none)."""
    names = _named(decoder_ops(model))
    return names[-1] if names else ("z" if model.config.variational else "code")


def paints(model: Autoencoder) -> Tensor | None:
    """What each unit of paint_layer(model) paints: (units, *sample shape) outgoing weights of a dense output layer,
    (units, C, k, k) kernels of a transposed convolution; None for an LSTM (its output mixes time steps)."""
    ops = decoder_ops(model)
    out = ops[-1]
    if any(op["op"] == "lstm" for op in ops) or out["op"] not in ("linear", "convT"):
        return None
    w = out["w"].detach().cpu().float()
    if out["op"] == "convT":
        return w.contiguous()                  # (cin, cout, k, k): what each input map stamps
    units = w.shape[1] - model.config.n_classes if not _named(ops) else w.shape[1]
    return w.T[:units].reshape(units, *model.input_shape).contiguous()


def top_layers(model: Autoencoder) -> list[str]:
    """The layers whose units are shown by the samples that excite them: all but the input, the output, the first
    encoder layer (its weights show), the painting layer, a VAE's sigma, and sequences over time (no unit to hover)."""
    first = _named(encoder_ops(model))[:1]
    skip = {"input", "reconstruction", "sigma", *first, paint_layer(model) if paints(model) is not None else ""}
    return [name for name in layer_names(model) if name not in skip and not name.endswith("lstm")]


def layer_names(model: Autoencoder) -> list[str]:
    code = ["mu", "sigma", "z"] if model.config.variational else []
    return ["input", *_named(encoder_ops(model)), *code, *_named(decoder_ops(model)), "reconstruction"]


@torch.no_grad()
def top_samples(model: Autoencoder, x: Tensor, y: Tensor | None = None, k: int = TOP) -> dict[str, np.ndarray]:
    """layer -> (units, k) indices into x of the samples that excite each unit most, highest first."""
    names = top_layers(model)
    scores: dict[str, list[Tensor]] = {name: [] for name in names}
    decoder = bool(set(names) & set(_named(decoder_ops(model))))   # an LSTM's slow decoder only when needed
    for at in range(0, len(x), BATCH):
        xb, yb = x[at:at + BATCH], None if y is None else y[at:at + BATCH]
        if set(names) <= CODE:   # an LSTM's: the model's own encoder (torch's LSTM), not the ops' step-by-step one
            mu = model.eval().encode(xb.to(torch.float32), None if yb is None else yb.long().reshape(-1))
            layers = {"code": mu, "mu": mu, "z": mu}
        else:
            layers = batch_activations(model, xb, yb, decoder=decoder)
        for name in names:
            scores[name].append(unit_scores(layers[name]))
    k = min(k, len(x))
    return {name: torch.cat(s).topk(k, dim=0).indices.T.numpy().astype(np.int32) for name, s in scores.items()}


@dataclass(frozen=True)
class UnitViews:
    """What the browser needs to show every unit: the painting layer's pictures, and for the other layers each
    unit's top samples as indices into `samples` (the pool's samples any unit uses, as bytes over the value range)."""

    paint_layer: str | None
    paints: np.ndarray | None          # float32, (units, *picture shape)
    top: dict[str, np.ndarray]         # layer -> (units, k) int32 indices into samples
    samples: np.ndarray                # uint8, (M, *sample shape): 0 is the range's low end, 255 its high end


def unit_views(model: Autoencoder, x: Tensor, y: Tensor | None, value_range: tuple[float, float],
               k: int = TOP) -> UnitViews:
    """Every unit's picture or top samples, searched among the samples x (with labels y for a conditional model)."""
    top = top_samples(model, x, y, k)
    used = np.unique(np.concatenate([t.ravel() for t in top.values()])) if top else np.zeros(0, dtype=np.int64)
    top = {name: np.searchsorted(used, t).astype(np.int32) for name, t in top.items()}
    lo, hi = value_range
    pixels = ((x[used].to(torch.float64) - lo) / ((hi - lo) or 1.0)).clamp(0, 1).mul(255).round()
    drawn = paints(model)
    return UnitViews(None if drawn is None else paint_layer(model), None if drawn is None else drawn.numpy(),
                     top, pixels.to(torch.uint8).numpy())


def unit_pool(model: Autoencoder, data) -> tuple[Tensor, Tensor | None]:
    """POOL test samples of `data` spread over its test split, with their labels for a conditional model (else None):
    the samples every unit is judged on."""
    picks = torch.as_tensor(spread(len(data.x_test), POOL))
    y = data.y_test[picks] if model.config.conditional and data.y_test is not None else None
    return data.x_test[picks], y


def pool_firing(model: Autoencoder, data) -> Tensor:
    """The share of the unit_pool each first-layer unit fires for (activations.first_layer_firing)."""
    return first_layer_firing(model, *unit_pool(model, data))


def firing_rate(firing: Tensor | np.ndarray) -> float:
    """The mean share of the samples that a unit firing at all fires for (0 when none fires)."""
    used = firing[firing > 0]
    return float(used.mean()) if len(used) else 0.0


def views_on_test_split(model: Autoencoder, data) -> UnitViews:
    """unit_views among the unit_pool of `data`."""
    x, y = unit_pool(model, data)
    return unit_views(model, x, y, tuple(data.value_range))


@dataclass(frozen=True)
class FirstLayer:
    """The first encoder layer's units as one picture grid of their weights. With ReLU units: ordered by the share
    of the unit_pool each fires for (most first), the ones that fire for none last and faint."""

    grid: np.ndarray                 # uint8 picture (activations.filter_grid)
    layer: str                       # its name in the network view ("encoder.1")
    units: int
    firing: np.ndarray | None        # share of the pool each unit fires for, by unit number; None: no off state
    samples: int                     # the pool's size

    @property
    def unused(self) -> int:
        """Units that fire for none of the pool's samples."""
        return 0 if self.firing is None else int((self.firing == 0).sum())

    @property
    def mean_rate(self) -> float:
        """The mean share of the pool that a unit firing at all fires for."""
        return 0.0 if self.firing is None else firing_rate(self.firing)


def first_layer(model: Autoencoder, data) -> FirstLayer | None:
    """The first layer's grid, its units judged on `data`'s unit_pool; None when it has no picture per unit (an
    LSTM's weights mix four gates over time) or the model has no hidden layer before its code."""
    ops = encoder_ops(model)
    layer = _named(ops)[0]
    if layer in CODE or any(op["op"] == "lstm_seq" for op in ops):
        return None
    units, samples = len(first_layer_weights(model)), len(unit_pool(model, data)[0])
    try:
        firing = pool_firing(model, data)
    except ValueError:   # tanh or sigmoid units have no off state: the grid in the units' own order
        return FirstLayer(filter_grid(model), layer, units, None, samples)
    order = torch.argsort(firing, descending=True, stable=True)
    return FirstLayer(filter_grid(model, order=order, faint=firing == 0), layer, units, firing.numpy(), samples)
