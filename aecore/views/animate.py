"""An animated GIF of 2-D frames of the same points, coloured by label: the latent space forming during training.

Drawn straight into a palette image with numpy (no plotting library, no colour quantisation), so the bytes depend
only on the inputs: the same frames give the same file, and a few hundred KB for dozens of frames of 2,000 points.
"""
from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageDraw
from plotly.colors import qualitative

PALETTE = qualitative.Plotly + qualitative.D3   # the latent scatter's colours, so the GIF matches the page
BACKGROUND, UNLABELLED, TEXT, FIRST_LABEL = 0, 1, 2, 3   # palette indices


def _palette() -> list[int]:
    colours = ["#FFFFFF", "#7F7F7F", "#333333"] + PALETTE
    flat = [int(c[i:i + 2], 16) for c in colours for i in (1, 3, 5)]
    return flat + [0] * (768 - len(flat))


def _pixels(frames: list[np.ndarray], size: int, margin: float) -> list[np.ndarray]:
    """Integer pixel positions of every frame on one shared, equal-aspect scale (so motion is visible)."""
    stacked = np.concatenate(frames)
    lo, hi = stacked.min(0), stacked.max(0)
    span = max(float((hi - lo).max()), 1e-12)
    centre = (lo + hi) / 2
    usable = size * (1 - 2 * margin)
    out = []
    for frame in frames:
        p = (frame - centre) / span * usable + size / 2
        p[:, 1] = size - 1 - p[:, 1]                     # y up, as in the scatter
        out.append(np.clip(np.round(p), 0, size - 1).astype(np.int64))
    return out


def draw_frame(pixels: np.ndarray, colours: np.ndarray, size: int, dot: int = 2, caption: str = "") -> Image.Image:
    """One palette image: a dot x dot square per point, later points drawn over earlier ones."""
    canvas = np.full((size, size), BACKGROUND, np.uint8)
    for dy in range(dot):
        for dx in range(dot):
            canvas[np.minimum(pixels[:, 1] + dy, size - 1), np.minimum(pixels[:, 0] + dx, size - 1)] = colours
    image = Image.fromarray(canvas, "P")
    image.putpalette(_palette())
    if caption:
        ImageDraw.Draw(image).text((4, 2), caption, fill=TEXT)
    return image


def frame_images(frames: list[np.ndarray], labels: np.ndarray | None = None, size: int = 320,
                 captions: list[str] | None = None, dot: int = 2, margin: float = 0.05) -> list[Image.Image]:
    """Palette images of 2-D frames (each (N, 2), the same N points) on one shared scale, coloured by label."""
    if not frames or any(np.shape(f) != np.shape(frames[0]) or np.ndim(f) != 2 for f in frames):
        raise ValueError("frames must be a non-empty list of (N, 2) arrays of the same shape")
    n = len(frames[0])
    colours = (np.full(n, UNLABELLED, np.uint8) if labels is None
               else (FIRST_LABEL + np.asarray(labels) % len(PALETTE)).astype(np.uint8))
    pixels = _pixels([np.asarray(f, np.float64)[:, :2] for f in frames], size, margin)
    captions = captions or [""] * len(frames)
    return [draw_frame(p, colours, size, dot, c) for p, c in zip(pixels, captions)]


def frames_gif(frames: list[np.ndarray], labels: np.ndarray | None = None, size: int = 320,
               duration_ms: int = 200, captions: list[str] | None = None, dot: int = 2,
               margin: float = 0.05) -> bytes:
    """GIF bytes of 2-D frames (each (N, 2), the same N points) coloured by integer label, looping forever.

    Parameters
    ----------
    captions : optional text per frame, top left (e.g. "epoch 3").
    duration_ms : how long each frame shows.
    """
    images = frame_images(frames, labels, size, captions, dot, margin)
    buffer = io.BytesIO()
    images[0].save(buffer, format="GIF", save_all=True, append_images=images[1:], duration=duration_ms, loop=0)
    return buffer.getvalue()
