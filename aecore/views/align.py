"""Procrustes alignment of 2-D frames, so a time-lapse of the latent space shows it forming, not spinning.

PCA axes of successive checkpoints are arbitrary up to sign and rotation; aligning each frame of a fixed probe set
to its neighbour with the best rotation (reflections allowed, optional uniform scale) removes that arbitrariness
and leaves only the change the training made (Gower 1975, orthogonal Procrustes; Schönemann 1966).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Procrustes:
    """y ~ scale * (x - x_mean) @ rotation + y_mean: the best map of one frame onto another."""

    rotation: np.ndarray   # (d, d) orthogonal; determinant -1 when a reflection fits better
    scale: float
    x_mean: np.ndarray     # (d,)
    y_mean: np.ndarray     # (d,)

    def apply(self, x: np.ndarray) -> np.ndarray:
        return self.scale * (np.asarray(x, np.float64) - self.x_mean) @ self.rotation + self.y_mean


def fit_procrustes(x: np.ndarray, y: np.ndarray, scale: bool = True) -> Procrustes:
    """The rotation/reflection (and scale) taking the points x (N, d) closest to y (N, d) in least squares."""
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    if x.shape != y.shape or x.ndim != 2:
        raise ValueError(f"frames must be matching (N, d) arrays, got {x.shape} and {y.shape}")
    x_mean, y_mean = x.mean(0), y.mean(0)
    xc, yc = x - x_mean, y - y_mean
    u, s, vt = np.linalg.svd(xc.T @ yc)
    norm = (xc * xc).sum()
    factor = s.sum() / norm if scale and norm > 0 else 1.0
    return Procrustes(u @ vt, float(factor), x_mean, y_mean)


def align_frames(frames: list[np.ndarray], scale: bool = True, to: str = "previous") -> list[np.ndarray]:
    """Frames of the same points, each aligned to the one before it (`to="previous"`: smooth motion) or all to the
    last (`to="last"`: every frame in the final picture's orientation). The reference frame is left as it is."""
    if to not in ("previous", "last"):
        raise ValueError(f"to must be 'previous' or 'last', got {to!r}")
    frames = [np.asarray(f, np.float64) for f in frames]
    if not frames:
        return []
    if to == "last":
        return [fit_procrustes(f, frames[-1], scale).apply(f) for f in frames[:-1]] + frames[-1:]
    aligned = frames[:1]
    for frame in frames[1:]:
        aligned.append(fit_procrustes(frame, aligned[-1], scale).apply(frame))
    return aligned
