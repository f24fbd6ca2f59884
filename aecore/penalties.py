"""Loss terms and input corruptions, as pure functions on tensors. Every term is per sample (summed over
features, averaged over the batch), so numbers read as nats or squared error per sample."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def reconstruction(raw: Tensor, x: Tensor, loss: str, output: str) -> Tensor:
    """Per-sample reconstruction loss from the decoder's pre-activation output `raw`."""
    if loss == "bce":
        if output != "sigmoid":
            raise ValueError("BCE needs a sigmoid output")
        # from logits: stable where sigmoid(raw) rounds to 0 or 1
        per_value = F.binary_cross_entropy_with_logits(raw, x, reduction="none")
    else:
        x_hat = torch.sigmoid(raw) if output == "sigmoid" else raw
        per_value = (x_hat - x).square() if loss == "mse" else (x_hat - x).abs()
    return per_value.flatten(1).sum(1).mean()


def gaussian_kl(mu: Tensor, logvar: Tensor) -> Tensor:
    """KL(q(z|x) || N(0, I)) per sample, in nats. Kingma & Welling 2014, App. B."""
    return (0.5 * (mu.square() + logvar.exp() - 1.0 - logvar)).sum(1).mean()


def kl_per_dimension(mu: Tensor, logvar: Tensor) -> Tensor:
    """Mean KL of each latent dimension over a batch: near 0 means the dimension is unused (collapsed)."""
    return (0.5 * (mu.square() + logvar.exp() - 1.0 - logvar)).mean(0)


def sparsity(z: Tensor, kind: str, target: float) -> Tensor:
    """L1 of the code, or KL(rho || mean sigmoid activation) summed over units (Ng 2011, CS294A notes)."""
    if kind == "l1":
        return z.abs().sum(1).mean()
    rho_hat = torch.sigmoid(z).mean(0).clamp(1e-6, 1 - 1e-6)
    rho = target
    return (rho * torch.log(rho / rho_hat) + (1 - rho) * torch.log((1 - rho) / (1 - rho_hat))).sum()


def contractive(z: Tensor, x: Tensor, generator: torch.Generator | None = None) -> Tensor:
    """Squared Frobenius norm of dz/dx (Rifai et al. 2011), estimated with one random projection:
    E_v ||J^T v||^2 = ||J||_F^2 for v ~ N(0, I), so one vector-Jacobian product instead of latent_dim.
    `generator`: the model's own, so models training side by side stay reproducible."""
    v = torch.randn(z.shape, generator=generator, device=z.device, dtype=z.dtype)
    (jtv,) = torch.autograd.grad(z, x, v, create_graph=True)
    return jtv.flatten(1).square().sum(1).mean()


def weight_penalty(module: nn.Module, kind: str) -> Tensor:
    """L2 (half sum of squares) or L1 of all weight matrices; biases are not decayed."""
    weights = [p for name, p in module.named_parameters() if p.dim() > 1]
    if kind == "l2":
        return 0.5 * sum(w.square().sum() for w in weights)
    return sum(w.abs().sum() for w in weights)


def corrupt(x: Tensor, kind: str, level: float, value_range: tuple[float, float] = (0.0, 1.0),
            generator: torch.Generator | None = None) -> Tensor:
    """A corrupted copy of x for denoising (Vincent et al. 2008). Gaussian noise is clipped to the value range.

    Parameters
    ----------
    kind : "gaussian" adds N(0, level^2); "masking" zeroes a `level` fraction of values;
        "salt-and-pepper" sets a `level` fraction to the minimum or maximum, half each.
    """
    if kind == "none" or level == 0:
        return x
    lo, hi = value_range
    if kind == "gaussian":
        noise = torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)
        return (x + level * noise).clamp(lo, hi)
    hit = torch.rand(x.shape, generator=generator, device=x.device) < level
    if kind == "masking":
        return x.masked_fill(hit, 0.0)
    if kind == "salt-and-pepper":
        salt = torch.rand(x.shape, generator=generator, device=x.device) < 0.5
        return torch.where(hit, torch.where(salt, hi, lo).to(x.dtype), x)
    raise ValueError(f"unknown noise {kind!r}")
