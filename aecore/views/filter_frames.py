"""The first layer's weights at the training steps a view followed: a class watches noise turn into strokes, and
takes the same frames home as a GIF (like the latent space's time-lapse, views/animate.py)."""
from __future__ import annotations

import io
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageDraw

from ..activations import filter_grid
from ..models import Autoencoder

MAX_FRAMES = 60    # a long training keeps every other frame once this many are held: the first and newest stay
BAND = 14          # pixels of caption above each frame


@dataclass
class FilterFrames:
    """(step, weights picture) pairs in training order; at most MAX_FRAMES, spread over the training."""

    frames: list[tuple[int, np.ndarray]] = field(default_factory=list)

    def add(self, model: Autoencoder, step: int) -> bool:
        """Record the model's first-layer weights at `step` (once per step); False when its first layer has no
        picture per unit (an LSTM) or the step is recorded already."""
        if self.frames and self.frames[-1][0] == step:
            return False
        try:
            grid = filter_grid(model)
        except ValueError:
            return False
        self.frames.append((int(step), grid))
        if len(self.frames) > MAX_FRAMES:
            self.frames = self.frames[:-1:2] + self.frames[-1:]
        return True

    def __len__(self) -> int:
        return len(self.frames)

    def gif(self, width: int = 480, duration_ms: int = 300) -> bytes:
        """GIF bytes of the frames, each captioned with its step, looping forever; enlarged (nearest-neighbour, by a
        whole factor) to about `width` pixels, so a conv layer's 3x3 kernels show as well as 256 dense units."""
        if not self.frames:
            raise ValueError("no frames recorded")
        scale = max(1, round(width / self.frames[0][1].shape[1]))
        images = [self._image(step, grid, scale) for step, grid in self.frames]
        buffer = io.BytesIO()
        images[0].save(buffer, format="GIF", save_all=True, append_images=images[1:], duration=duration_ms, loop=0)
        return buffer.getvalue()

    @staticmethod
    def _image(step: int, grid: np.ndarray, scale: int) -> Image.Image:
        picture = Image.fromarray(grid).convert("RGB")
        picture = picture.resize((picture.width * scale, picture.height * scale), Image.NEAREST)
        image = Image.new("RGB", (picture.width, picture.height + BAND), "white")
        image.paste(picture, (0, BAND))
        ImageDraw.Draw(image).text((2, 1), f"step {step:,}", fill=(40, 40, 40))
        return image
