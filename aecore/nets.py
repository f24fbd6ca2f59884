"""Encoder and decoder bodies for each architecture: MLP, convolutional, LSTM.

An encoder maps a batch of samples to a flat feature vector; a decoder maps a code back to a batch of
samples (pre-activation: the model applies the output function). The bottleneck lives in models.py.
"""
from __future__ import annotations

import math

import torch
from torch import Tensor, nn

ACTIVATION_LAYERS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "identity": nn.Identity}


class MLPEncoder(nn.Module):
    """Flatten, then Linear+activation per hidden width. Layers are kept separate for layer-wise pretraining."""

    def __init__(self, input_shape: tuple[int, ...], hidden: tuple[int, ...], activation: str, extra_in: int = 0):
        super().__init__()
        widths = [math.prod(input_shape) + extra_in, *hidden]
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(widths, widths[1:]))
        self.act = ACTIVATION_LAYERS[activation]()
        self.out_features = widths[-1]

    def forward(self, x: Tensor, cond: Tensor | None = None) -> Tensor:
        h = x.flatten(1)
        if cond is not None:
            h = torch.cat([h, cond], dim=1)
        for layer in self.layers:
            h = self.act(layer(h))
        return h  # (B, out_features)


class MLPDecoder(nn.Module):
    """Mirror of MLPEncoder: code -> hidden widths reversed -> flat sample -> reshape."""

    def __init__(self, latent_in: int, hidden: tuple[int, ...], activation: str, output_shape: tuple[int, ...]):
        super().__init__()
        widths = [latent_in, *reversed(hidden), math.prod(output_shape)]
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(widths, widths[1:]))
        self.act = ACTIVATION_LAYERS[activation]()
        self.output_shape = output_shape

    def forward(self, z: Tensor) -> Tensor:
        h = z
        for layer in self.layers[:-1]:
            h = self.act(layer(h))
        return self.layers[-1](h).view(-1, *self.output_shape)


class ConvEncoder(nn.Module):
    """Stride-2 4x4 convolutions (DCGAN-style), one per channel count, halving height and width each time."""

    def __init__(self, input_shape: tuple[int, ...], channels: tuple[int, ...], activation: str, extra_in: int = 0):
        super().__init__()
        c, h, w = input_shape
        self.sizes = [(h, w)]
        layers: list[nn.Module] = []
        for c_out in channels:
            layers += [nn.Conv2d(c, c_out, 4, stride=2, padding=1), ACTIVATION_LAYERS[activation]()]
            c, h, w = c_out, h // 2, w // 2
            if h < 1 or w < 1:
                raise ValueError(f"{len(channels)} stride-2 convolutions are too many for {input_shape[1:]} images")
            self.sizes.append((h, w))
        self.body = nn.Sequential(*layers)
        self.out_features = c * h * w + extra_in

    def forward(self, x: Tensor, cond: Tensor | None = None) -> Tensor:
        h = self.body(x).flatten(1)
        return h if cond is None else torch.cat([h, cond], dim=1)


class ConvDecoder(nn.Module):
    """Linear to the smallest feature map, then transposed convolutions back to the exact input size."""

    def __init__(self, latent_in: int, channels: tuple[int, ...], activation: str, output_shape: tuple[int, ...],
                 sizes: list[tuple[int, int]]):
        super().__init__()
        self.start = (channels[-1], *sizes[-1])
        self.fc = nn.Linear(latent_in, math.prod(self.start))
        self.act = ACTIVATION_LAYERS[activation]()
        outs = [*reversed(channels[:-1]), output_shape[0]]
        layers: list[nn.Module] = []
        c = channels[-1]
        for i, c_out in enumerate(outs):
            (h_small, w_small), (h_big, w_big) = sizes[-1 - i], sizes[-2 - i]
            # output_padding restores the row/column that floor-division dropped for odd sizes
            pad = (h_big - 2 * h_small, w_big - 2 * w_small)
            layers.append(nn.ConvTranspose2d(c, c_out, 4, stride=2, padding=1, output_padding=pad))
            if i < len(outs) - 1:
                layers.append(ACTIVATION_LAYERS[activation]())
            c = c_out
        self.body = nn.Sequential(*layers)

    def forward(self, z: Tensor) -> Tensor:
        return self.body(self.act(self.fc(z)).view(-1, *self.start))


class LSTMEncoder(nn.Module):
    """An LSTM over time; the last hidden state summarises the sequence (Srivastava et al. 2015)."""

    def __init__(self, input_shape: tuple[int, ...], hidden: tuple[int, ...], activation: str, extra_in: int = 0):
        super().__init__()
        _, n_features = input_shape
        self.lstm = nn.LSTM(n_features, hidden[0], num_layers=len(hidden), batch_first=True)
        self.out_features = hidden[0] + extra_in

    def forward(self, x: Tensor, cond: Tensor | None = None) -> Tensor:
        _, (h, _) = self.lstm(x)  # h: (layers, B, hidden)
        return h[-1] if cond is None else torch.cat([h[-1], cond], dim=1)


class LSTMDecoder(nn.Module):
    """The code, repeated at every time step, drives an LSTM whose outputs are mapped back to features."""

    def __init__(self, latent_in: int, hidden: tuple[int, ...], activation: str, output_shape: tuple[int, ...]):
        super().__init__()
        self.steps, n_features = output_shape
        self.lstm = nn.LSTM(latent_in, hidden[0], num_layers=len(hidden), batch_first=True)
        self.out = nn.Linear(hidden[0], n_features)

    def forward(self, z: Tensor) -> Tensor:
        h, _ = self.lstm(z.unsqueeze(1).expand(-1, self.steps, -1))  # (B, T, hidden)
        return self.out(h)  # (B, T, F)


def build_body(architecture: str, input_shape: tuple[int, ...], hidden: tuple[int, ...], activation: str,
               latent_in: int, extra_in: int = 0) -> tuple[nn.Module, nn.Module]:
    """The (encoder, decoder) pair for an architecture; the decoder takes `latent_in` features."""
    if architecture == "mlp":
        enc = MLPEncoder(input_shape, hidden, activation, extra_in)
        return enc, MLPDecoder(latent_in, hidden, activation, input_shape)
    if architecture == "conv":
        if len(input_shape) != 3:
            raise ValueError(f"the conv architecture needs images (C, H, W), got samples of shape {input_shape}")
        enc = ConvEncoder(input_shape, hidden, activation, extra_in)
        return enc, ConvDecoder(latent_in, hidden, activation, input_shape, enc.sizes)
    if architecture == "lstm":
        if len(input_shape) != 2:
            raise ValueError(f"the lstm architecture needs sequences (T, F), got samples of shape {input_shape}")
        enc = LSTMEncoder(input_shape, hidden, activation, extra_in)
        return enc, LSTMDecoder(latent_in, hidden, activation, input_shape)
    raise ValueError(f"unknown architecture {architecture!r}")
