"""Time-lapse GIF: one frame per input, deterministic bytes, label colours."""
import io

import numpy as np
import pytest
from PIL import Image

from aecore.views.animate import frames_gif


@pytest.fixture
def frames():
    rng = np.random.default_rng(0)
    return [rng.normal(size=(40, 2)) * (1 + i) for i in range(5)]


def test_one_gif_frame_per_input_frame(frames):
    data = frames_gif(frames, labels=np.arange(40) % 3, size=64, captions=[f"epoch {i}" for i in range(5)])
    image = Image.open(io.BytesIO(data))
    assert image.format == "GIF" and image.n_frames == 5 and image.size == (64, 64)


def test_same_frames_same_bytes(frames):
    assert frames_gif(frames, labels=np.zeros(40, int)) == frames_gif(frames, labels=np.zeros(40, int))


def test_points_take_their_label_colour():
    frames = [np.array([[0.0, 0.0], [1.0, 1.0]])]
    image = Image.open(io.BytesIO(frames_gif(frames, labels=np.array([0, 4]), size=32, dot=1)))
    used = set(np.asarray(image.convert("P")).ravel().tolist())
    palette = image.getpalette()
    colours = {tuple(palette[3 * i:3 * i + 3]) for i in used}
    assert (0x63, 0x6E, 0xFA) in colours and (0xFF, 0xA1, 0x5A) in colours   # Plotly's first and fifth


def test_rejects_mismatched_frames():
    with pytest.raises(ValueError):
        frames_gif([np.zeros((3, 2)), np.zeros((4, 2))])
