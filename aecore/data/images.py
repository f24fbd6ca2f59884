"""Decode PNG/JPEG files (from a zip or a folder) into one image array, labelled by subfolder when there are several.

All images must have the same size (nothing is resized). They are converted to the mode most of them have:
grayscale (L) or colour (RGB); a tie goes to RGB so no colour is lost.
"""
from __future__ import annotations

import io
from pathlib import PurePosixPath

import numpy as np

from .arrays import Parsed
from .dataset import DataError
from .limits import DataLimits

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg")
IMAGE_FORMATS = ("PNG", "JPEG", "MPO")  # MPO: what Pillow calls JPEGs from some cameras
GRAY_MODES = ("1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "F")


def parse_images(members: list[tuple[str, bytes]], what: str, limits: DataLimits) -> Parsed:
    """Stack (relative name, bytes) image files into a uint8 array; labels from subfolder names."""
    if not members:
        raise DataError(f"{what} holds no PNG or JPEG images")
    limits.check_samples(len(members), what)
    limits.check_files(len(members), what)
    members = sorted(members)
    images = [_open(name, data, what) for name, data in members]
    _check_sizes(images, [name for name, _ in members], what)
    gray = sum(im.mode in GRAY_MODES for im in images)
    mode = "L" if gray > len(images) - gray else "RGB"
    width, height = images[0].size
    limits.check_features(width * height * (1 if mode == "L" else 3), what)
    limits.check_memory(len(images), width * height * (1 if mode == "L" else 3), what)   # before decoding any
    try:
        x = np.stack([np.asarray(im.convert(mode), dtype=np.uint8) for im in images])  # (N, H, W) or (N, H, W, 3)
    except (OSError, ValueError) as e:  # a header that opened but pixel data that is cut short
        raise DataError(f"{what}: an image could not be decoded ({e})") from None
    if x.ndim == 4:
        x = x.transpose(0, 3, 1, 2)  # channels first here, where the layout is known, not guessed later
    y, names = _folder_labels([name for name, _ in members])
    return Parsed(x=x, y=y, kind="image", label_names=names)


def _open(name: str, data: bytes, what: str):
    from PIL import Image, UnidentifiedImageError  # imported here: only image uploads pay for Pillow

    if not name.lower().endswith(IMAGE_EXTENSIONS):
        raise DataError(f"{what}: entry {name!r} is not a PNG or JPEG image; remove it or upload only images")
    try:
        image = Image.open(io.BytesIO(data))  # reads the header only; pixels are decoded after the size checks
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as e:
        raise DataError(f"{what}: entry {name!r} is not a PNG or JPEG image ({e})") from None
    if image.format not in IMAGE_FORMATS:
        raise DataError(f"{what}: entry {name!r} is a {image.format} file, not a PNG or JPEG image")
    return image


def _check_sizes(images: list, names: list[str], what: str) -> None:
    first = images[0].size
    for name, image in zip(names, images):
        if image.size != first:
            raise DataError(
                f"{what}: images have different sizes: {names[0]!r} is {first[0]}x{first[1]} but {name!r} is "
                f"{image.size[0]}x{image.size[1]}; resize them all to one size first")


def _folder_labels(names: list[str]) -> tuple[np.ndarray | None, tuple[str, ...]]:
    """Label = first folder below the folders every image shares; none unless every image has one and there are 2+."""
    parents = [PurePosixPath(n).parent.parts for n in names]
    depth = 0
    while all(len(p) > depth for p in parents) and len({p[depth] for p in parents}) == 1:
        depth += 1
    if not all(len(p) > depth for p in parents):
        return None, ()
    folders = [p[depth] for p in parents]
    labels = sorted(set(folders))
    if len(labels) < 2:
        return None, ()
    index = {label: i for i, label in enumerate(labels)}
    return np.array([index[f] for f in folders], dtype=np.int64), tuple(labels)
