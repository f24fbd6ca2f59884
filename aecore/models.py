"""One Autoencoder class composed from a ModelConfig, and the registry of named variants on top of it.

Every variant shares one interface: `encode(x, y) -> z` (the mean for a VAE), `decode(z, y) -> x_hat`
and `loss(x, y) -> dict[str, Tensor]` with "loss" and "recon" always, plus "kl", "sparsity",
"contractive" and "weight_decay" when those terms are on. `y` (labels) matters only to conditional models.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from . import penalties
from .budget import check_model
from .config import ModelConfig
from .nets import build_body
from .stages import Stage, layerwise


@dataclass(frozen=True)
class Variant:
    """A named, teachable point in the space of ModelConfigs."""

    name: str
    summary: str                      # one line, shown as the widget's help
    defaults: dict = field(default_factory=dict)
    kinds: tuple[str, ...] = ("image", "vector", "sequence")

    @property
    def generative(self) -> bool:
        return bool(self.defaults.get("variational"))


MODELS: dict[str, Variant] = {}


def register(name: str, summary: str, kinds: tuple[str, ...] = ("image", "vector", "sequence"), **defaults) -> Variant:
    MODELS[name] = Variant(name, summary, defaults, kinds)
    return MODELS[name]


register("vanilla", "An MLP squeezed through a small code: the undercomplete autoencoder.")
register("linear", "No nonlinearity and MSE: it learns the same subspace as PCA (Baldi & Hornik 1989).",
         hidden=(), activation="identity", output="identity", loss="mse")
register("conv", "Convolutions see local strokes, so fewer weights reconstruct images better.", ("image",),
         architecture="conv", hidden=(32, 64))
register("denoising", "Trained to undo corruption: the code must capture structure, not pixels (Vincent et al. 2008).",
         noise="gaussian", noise_level=0.3)
register("sparse", "A wider code, but an L1 penalty keeps most units near zero for each input.",
         sparsity="l1", sparsity_weight=0.05)
register("contractive",
         "Penalises how fast the code moves when the input moves: robust, smooth codes (Rifai et al. 2011).",
         contractive_weight=0.05)
register("stacked", "Pretrained one layer at a time, then fine-tuned end to end (Bengio et al. 2007).",
         hidden=(256, 128), layerwise_epochs=1)
register("vae",
         "A variational autoencoder: the code is a distribution, so you can sample new data (Kingma & Welling 2014).",
         hidden=(400,), variational=True)
register("beta-vae", "A VAE with a heavier KL weight: smoother, more disentangled, blurrier (Higgins et al. 2017).",
         hidden=(400,), variational=True, beta=4.0)
register("conv-vae", "A VAE with convolutional encoder and decoder.", ("image",),
         architecture="conv", hidden=(32, 64), variational=True)
register("cvae", "A conditional VAE: it is told the label, so you can generate a chosen class (Sohn et al. 2015).",
         hidden=(400,), variational=True, conditional=True)
register("lstm", "An LSTM reads the sequence into a code; another LSTM writes it back (Srivastava et al. 2015).",
         ("sequence",), architecture="lstm", hidden=(64,), loss="mse", output="identity")


def variant_config(name: str, **overrides) -> ModelConfig:
    """The ModelConfig of a named variant, with overrides (e.g. latent_dim) applied."""
    if name not in MODELS:
        raise ValueError(f"unknown variant {name!r}; choose one of {', '.join(sorted(MODELS))}")
    return ModelConfig(**{**MODELS[name].defaults, **overrides})


def resolve_config(cfg: ModelConfig, value_range: tuple[float, float], n_classes: int = 0) -> ModelConfig:
    """Replace "auto" loss/output with concrete choices for the data, and check they fit it."""
    unit = value_range[0] >= 0.0 and value_range[1] <= 1.0
    loss = cfg.loss if cfg.loss != "auto" else ("bce" if unit else "mse")
    output = cfg.output if cfg.output != "auto" else ("sigmoid" if unit else "identity")
    if loss == "bce" and not unit:
        raise ValueError(f"BCE needs data in [0, 1]; this data spans {value_range[0]:.3g}..{value_range[1]:.3g}: "
                         "use mse or l1")
    if loss == "bce":
        output = "sigmoid"
    if output == "sigmoid" and not unit:
        raise ValueError("a sigmoid output cannot reach data outside [0, 1]: use output='identity'")
    if cfg.conditional and n_classes < 2:
        raise ValueError("a conditional VAE needs labelled data with at least 2 classes")
    return replace(cfg, loss=loss, output=output, n_classes=n_classes if cfg.conditional else 0)


# torch's default generator is one per process: a seeded run (train.new_run) holds this from its seed to its last
# initial weight, and every model built here waits for it, so no other session's or thread's model draws in between
INIT_LOCK = threading.RLock()


class Autoencoder(nn.Module):
    """Encoder body -> bottleneck (deterministic or Gaussian) -> decoder body, with optional regularisers."""

    def __init__(self, config: ModelConfig, input_shape: tuple[int, ...],
                 value_range: tuple[float, float] = (0.0, 1.0)):
        super().__init__()
        with INIT_LOCK:   # its initial weights draw from torch's generator: never inside a seeded run's build
            if "auto" in (config.loss, config.output):
                config = resolve_config(config, value_range, config.n_classes)
            if torch.get_default_device().type != "meta":   # a shapes-only build allocates nothing: no budget
                check_model(config, tuple(input_shape))       # before any layer: limits in aecore/budget.py
            self.config = config
            self.input_shape = tuple(input_shape)
            self.value_range = tuple(value_range)
            k, n_cls = config.latent_dim, config.n_classes
            self.encoder, self.decoder = build_body(config.architecture, self.input_shape, config.hidden,
                                                    config.activation, latent_in=k + n_cls, extra_in=n_cls)
            self.head = nn.Linear(self.encoder.out_features, 2 * k if config.variational else k)
            if config.architecture == "conv":
                # channels-last weights: oneDNN's own layout, so convolutions skip a reorder each call; measured
                # 10-15% faster conv training steps on 2 CPU cores, the same numbers to float rounding
                self.to(memory_format=torch.channels_last)
            self.rng: torch.Generator | None = None   # input corruption and VAE samples draw from it (seed_noise)
            # built once, here (not on first use: a page thread and the trainer may ask at once), so that each
            # stage keeps its optimizer across a stop and resume
            self._pretraining = (layerwise(self.layer_pairs(), self.encoder.act, config.layerwise_epochs,
                                           config.loss, config.output) if config.layerwise_epochs else [])

    # --- the interface -------------------------------------------------------------------------------
    def encode(self, x: Tensor, y: Tensor | None = None) -> Tensor:
        """The code of x; for a VAE the posterior mean, so it is deterministic."""
        return self._head(x, y)[0]

    def encode_dist(self, x: Tensor, y: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """(mu, logvar) of q(z|x); logvar is None for deterministic models."""
        return self._head(x, y)

    def decode(self, z: Tensor, y: Tensor | None = None) -> Tensor:
        """Samples (in data space) decoded from codes z."""
        return self._activate(self._decode_raw(z, y))

    def forward(self, x: Tensor, y: Tensor | None = None) -> Tensor:
        """Deterministic reconstruction: decode the code (the mean for a VAE)."""
        return self.decode(self.encode(x, y), y)

    def loss(self, x: Tensor, y: Tensor | None = None) -> dict[str, Tensor]:
        """Training loss and its parts, each per sample. Corrupts the input only in training mode."""
        cfg = self.config
        x_in = x
        if self.training and cfg.noise != "none":
            x_in = penalties.corrupt(x, cfg.noise, cfg.noise_level, self.value_range, self.rng)
        if cfg.contractive_weight:
            x_in = x_in.detach().requires_grad_(True)
        mu, logvar = self._head(x_in, y)
        z = self._sample(mu, logvar) if cfg.variational else mu
        out = {"recon": penalties.reconstruction(self._decode_raw(z, y), x, cfg.loss, cfg.output)}
        total = out["recon"]
        if cfg.variational:
            out["kl"] = penalties.gaussian_kl(mu, logvar)
            total = total + cfg.beta * out["kl"]
        if cfg.sparsity != "none":
            out["sparsity"] = penalties.sparsity(mu, cfg.sparsity, cfg.sparsity_target)
            total = total + cfg.sparsity_weight * out["sparsity"]
        if cfg.contractive_weight:
            out["contractive"] = penalties.contractive(mu, x_in, self.rng)
            total = total + cfg.contractive_weight * out["contractive"]
        if cfg.weight_decay:
            out["weight_decay"] = penalties.weight_penalty(self, cfg.weight_decay_kind)
            total = total + cfg.weight_decay * out["weight_decay"]
        return {"loss": total, **out}

    def sample(self, n: int, y: Tensor | None = None, generator: torch.Generator | None = None) -> Tensor:
        """n new samples decoded from z ~ N(0, I) (VAE family only)."""
        if not self.config.variational:
            raise ValueError("only variational models define a prior to sample from")
        device = self.head.weight.device
        z = torch.randn(n, self.config.latent_dim, generator=generator, device=device)
        return self.decode(z, y)

    def one_hot(self, y: Tensor | None) -> Tensor | None:
        """One-hot labels for a conditional model, else None (labels are ignored)."""
        if not self.config.conditional:
            return None
        if y is None:
            raise ValueError("a conditional VAE needs the labels y")
        return F.one_hot(y.long(), self.config.n_classes).float()

    # --- training ----------------------------------------------------------------------------------------
    def stages(self, epochs: int) -> list[Stage]:
        """The training schedule: layer-wise pretraining when the config asks for it, then `epochs` of the
        whole model on `loss`."""
        return [*self._pretraining, Stage("train", epochs, self.loss)]

    def seed_noise(self, seed: int) -> None:
        """Restart the generator of input corruption and VAE samples at `seed`; training does it every step,
        like the batches, so a resumed run replays the same noise."""
        device = self.head.weight.device
        if self.rng is None or self.rng.device != device:
            self.rng = torch.Generator(device)
        self.rng.manual_seed(seed)

    def layer_pairs(self) -> list[tuple[nn.Linear, nn.Linear]]:
        """(encoder layer, mirrored decoder layer) pairs, outermost first, bottleneck last."""
        if self.config.architecture != "mlp" or self.config.variational:
            raise ValueError("layer-wise pretraining is defined for deterministic MLPs")
        enc = [*self.encoder.layers, self.head]
        dec = list(self.decoder.layers)[::-1]
        return list(zip(enc, dec))

    # --- internals ----------------------------------------------------------------------------------------
    def _head(self, x: Tensor, y: Tensor | None) -> tuple[Tensor, Tensor | None]:
        h = self.head(self.encoder(x, self.one_hot(y)))
        if not self.config.variational:
            return h, None
        mu, logvar = h.chunk(2, dim=1)  # (B, latent_dim) each
        return mu, logvar

    def _sample(self, mu: Tensor, logvar: Tensor) -> Tensor:
        """Reparameterisation trick: z = mu + sigma * eps keeps z differentiable in mu and sigma."""
        eps = torch.randn(mu.shape, generator=self.rng, device=mu.device, dtype=mu.dtype)
        return mu + (0.5 * logvar).exp() * eps

    def _decode_raw(self, z: Tensor, y: Tensor | None) -> Tensor:
        cond = self.one_hot(y)
        return self.decoder(z if cond is None else torch.cat([z, cond], dim=1))

    def _activate(self, raw: Tensor) -> Tensor:
        return torch.sigmoid(raw) if self.config.output == "sigmoid" else raw


def build_model(cfg: ModelConfig, input_shape: tuple[int, ...], value_range: tuple[float, float] = (0.0, 1.0),
                n_classes: int = 0) -> Autoencoder:
    """An Autoencoder for samples of `input_shape`, with "auto" choices resolved for the data."""
    return Autoencoder(resolve_config(cfg, value_range, n_classes), input_shape, value_range)
