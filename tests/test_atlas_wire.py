"""The Python end of the atlas component (face/atlas/wire.py): payloads by hash, events by nonce, array packing."""
from __future__ import annotations

import io
import zlib

import numpy as np
import pytest
from PIL import Image

from face.atlas.wire import Channel, Payload, Thumbs, coords_bytes, inverse_args, labels_bytes


def _payloads():
    return [Payload("coords", b"xy" * 8, eager=True), Payload("thumbs", b"pictures", eager=False)]


def test_eager_payloads_go_once_and_lazy_ones_when_asked():
    ch = Channel()
    meta, data = ch.args(_payloads())
    assert set(data) == {"data_coords"} and set(meta["payloads"]) == {"coords", "thumbs"}
    assert ch.args(_payloads())[1] == {}, "nothing resent on the next rerun"
    assert ch.receive({"need": [meta["payloads"]["thumbs"]], "nonce": "a-1"}) is None
    meta2, data = ch.args(_payloads())
    assert set(data) == {"data_thumbs"} and meta2["ack"]["nonce"] == "a-1"
    assert ch.args(_payloads())[1] == {}


def test_a_reloaded_frame_gets_what_it_lost():
    ch = Channel()
    meta, _ = ch.args(_payloads())
    ch.receive({"need": list(meta["payloads"].values()), "nonce": "b-1"})   # a new frame holds nothing
    assert set(ch.args(_payloads())[1]) == {"data_coords", "data_thumbs"}


def test_each_event_is_returned_once_and_acknowledged():
    ch = Channel()
    assert ch.receive(None) is None
    assert ch.receive({"clicked": 3, "nonce": "c-1"}) == {"clicked": 3, "nonce": "c-1"}
    assert ch.receive({"clicked": 3, "nonce": "c-1"}) is None, "the same value on a later rerun is not new"
    acks = [ch.args([])[0]["ack"] for _ in range(2)]
    assert [a["nonce"] for a in acks] == ["c-1", "c-1"] and acks[0]["n"] != acks[1]["n"], "every run renders"
    assert ch.receive({"clicked": 3, "nonce": "c-2"})["clicked"] == 3, "a second click on the same point counts"


def test_coords_and_labels_are_checked_and_packed():
    xy = np.array([[0.5, -1.0], [2.0, 3.0]])
    assert np.frombuffer(coords_bytes(xy), "<f4").tolist() == [0.5, -1.0, 2.0, 3.0]
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        coords_bytes(np.zeros((3, 3)))
    with pytest.raises(ValueError, match="finite"):
        coords_bytes(np.array([[np.nan, 0.0]]))
    assert labels_bytes(np.array([0, 9]), 2) == b"\x00\x09"
    with pytest.raises(ValueError, match="0..255"):
        labels_bytes(np.array([0, 300]), 2)
    with pytest.raises(ValueError, match="like coords"):
        labels_bytes(np.array([0]), 2)


def test_inverse_of_a_view():
    assert inverse_args(None, 5) is None
    assert inverse_args("identity", 2) == {"mean": [0.0, 0.0], "components": [[1.0, 0.0], [0.0, 1.0]]}
    with pytest.raises(ValueError, match="latent_dim == 2"):
        inverse_args("identity", 3)

    class PCA:   # what a fitted aecore / scikit-learn PCA exposes
        mean_ = np.array([1.0, 2.0, 3.0])
        components_ = np.array([[1.0, 0.0, 0.0], [0.0, 0.6, 0.8]])
    inv = inverse_args(PCA(), 3)
    z = np.array(inv["mean"]) + 0.5 * np.array(inv["components"][0]) - 2 * np.array(inv["components"][1])
    assert np.allclose(z, [1.5, 0.8, 1.4])
    with pytest.raises(ValueError, match="components"):
        inverse_args((np.zeros(3), np.zeros((3, 3))), 3)


def test_thumbs_pack_images_and_lines():
    images = np.random.default_rng(0).integers(0, 256, (4, 5, 6), dtype=np.uint8)
    t = Thumbs.from_images(images)
    assert zlib.decompress(t.data) == images.tobytes()
    assert t.meta()["tile"] == [5, 6] and t.count == 4 and t.digest == Thumbs.from_images(images).digest
    with pytest.raises(ValueError, match="uint8"):
        Thumbs.from_images(images.astype(float))
    lines = Thumbs.from_lines(np.array([[-1.0, 0.0, 1.0]]), (-1.0, 1.0))
    assert list(zlib.decompress(lines.data)) == [0, 128, 255] and lines.meta()["length"] == 3


def test_thumbs_as_a_png_sprite_sheet():
    images = np.random.default_rng(1).integers(0, 256, (10, 5, 4), dtype=np.uint8)
    t = Thumbs.from_images(images, format="png")
    sheet = np.asarray(Image.open(io.BytesIO(t.data)))
    assert t.meta()["format"] == "png" and t.columns == 4 and sheet.shape == (15, 16)
    r, c = divmod(9, t.columns)
    assert (sheet[r * 5:(r + 1) * 5, c * 4:(c + 1) * 4] == images[9]).all()
    with pytest.raises(ValueError, match="format"):
        Thumbs.from_images(images, format="gif")
