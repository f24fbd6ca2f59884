"""`python -m aecore activations` and `filters`: every layer of one sample to .npz, the first layer as a picture."""
from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from aecore.runs.checkpoint import save_run
from aecore.data import load_dataset
from aecore.models import MODELS
from helpers import run_cli as cli, trained_run, write_bars


@pytest.fixture(scope="module")
def vanilla(tmp_path_factory) -> Path:
    """A folder with bars.npz and a vanilla run (hidden 16, code 3)."""
    folder = tmp_path_factory.mktemp("inside")
    write_bars(folder / "bars.npz")
    result = cli("train", "--dataset", "bars.npz", "--variant", "vanilla", "--latent-dim", "3", "--epochs", "1",
                 "--hidden", "16", "--out", "run", cwd=folder)
    assert result.returncode == 0, result.stderr
    return folder


def _layers(folder: Path, *flags: str) -> tuple[dict, dict[str, np.ndarray]]:
    result = cli("activations", "run", *flags, "--out", "acts.npz", cwd=folder)
    assert result.returncode == 0, result.stderr
    with np.load(folder / "acts.npz", allow_pickle=False) as f:
        return json.loads(result.stdout), {name: f[name] for name in f.files}


def test_code_and_last_layer_are_what_encode_and_reconstruct_write(vanilla):
    for command in (("encode", "--out", "codes.npy"), ("reconstruct", "--n", "8", "--out", "recon.npy")):
        assert cli(command[0], "run", *command[1:], cwd=vanilla).returncode == 0
    printed, layers = _layers(vanilla, "--index", "5")
    assert [layer["name"] for layer in printed["layers"]] == ["input", "encoder.1", "code", "decoder.1",
                                                             "reconstruction"]
    assert [layer["shape"] for layer in printed["layers"]] == [[1, 8, 8], [16], [3], [16], [1, 8, 8]]
    assert list(layers) == [layer["name"] for layer in printed["layers"]]
    np.testing.assert_allclose(layers["code"], np.load(vanilla / "codes.npy")[5], atol=1e-5)
    np.testing.assert_allclose(layers["reconstruction"], np.load(vanilla / "recon.npy")[5], atol=1e-5)


def test_the_train_split_and_a_bad_index(vanilla):
    printed, layers = _layers(vanilla, "--index", "0", "--split", "train")
    assert printed["split"] == "train" and printed["data"]["same_as_training"] is True
    data = load_dataset(str(vanilla / "bars.npz"))
    np.testing.assert_array_equal(layers["input"], data.x_train[0].numpy())
    result = cli("activations", "run", "--index", "9999", "--out", "bad.npz", cwd=vanilla)
    assert result.returncode == 2 and "--index must be 0.." in result.stderr
    assert not (vanilla / "bad.npz").exists()


@pytest.mark.parametrize("name", sorted(n for n, v in MODELS.items() if "image" in v.kinds))
def test_every_image_variant_runs(name, tmp_path):
    run, _ = trained_run(name, epochs=1)
    save_run(run, tmp_path / "run")
    write_bars(tmp_path / "bars.npz")
    printed, layers = _layers(tmp_path, "--index", "1", "--dataset", "bars.npz")
    assert printed["layers"][0]["name"] == "input" and printed["layers"][-1]["name"] == "reconstruction"
    assert ("z" in layers) == bool(MODELS[name].defaults.get("variational"))
    result = cli("filters", "run", "--out", "filters.png", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    picture = Image.open(io.BytesIO((tmp_path / "filters.png").read_bytes()))
    assert list(picture.size[::-1]) == [2 * n for n in json.loads(result.stdout)["size"]]


def test_filters_show_each_units_weights(vanilla):
    result = cli("filters", "run", "--out", "f/filters.png", cwd=vanilla)
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    assert printed["units"] == 16 and printed["unit_shape"] == [1, 8, 8]
    grid = np.asarray(Image.open(vanilla / "f" / "filters.png"))[::2, ::2]   # written at scale 2
    assert grid.shape == (4 * 9 - 1, 4 * 9 - 1)                               # 4x4 units of 8x8, 1-pixel gutters
    assert grid[:8, :8].min() == 0 or grid[:8, :8].max() == 255              # each unit spans its own range
