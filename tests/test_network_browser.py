"""The whole network in the browser (face/atlas/frontend/src/network.js, run under node) agrees with PyTorch's
layer_activations, layer by layer, for every registered variant: the small random models of test_network.py and
each variant at its registry defaults on MNIST-sized images (ECG-sized sequences)."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch
from helpers import random_model

from aecore.activations import layer_activations
from aecore.models import MODELS, build_model, variant_config
from aecore.views.decoder_export import BROWSER_OPS, export_network, server_only_reason

FRONTEND = Path(__file__).resolve().parents[1] / "face" / "atlas" / "frontend"
SERVER_ONLY: dict[str, str] = {}   # variant -> why its layers come from the server; today the browser runs them all
needs_node = pytest.mark.skipif(shutil.which("node") is None, reason="the browser's network runs under node")


def _defaultrandom_model(name: str):
    """The variant as the app builds it by default, for full MNIST (1, 28, 28) or an ECG5000 series (140, 1)."""
    image = "image" in MODELS[name].kinds
    shape, value_range = ((1, 28, 28), (0.0, 1.0)) if image else ((140, 1), (-1.0, 1.0))
    torch.manual_seed(0)
    n_classes = 10 if MODELS[name].defaults.get("conditional") else 0
    return build_model(variant_config(name), shape, value_range, n_classes).eval()


def _node_layers(tmp_path: Path, model, x: torch.Tensor, label: int | None, eps: list[float] | None,
                 code: list[float] | None = None):
    exported = export_network(model)
    (tmp_path / "spec.json").write_text(json.dumps(exported.spec))
    (tmp_path / "weights.bin").write_bytes(exported.weights)
    (tmp_path / "inputs.json").write_text(json.dumps({"x": x.flatten().tolist(), "label": label, "eps": eps,
                                                              "code": code}))
    run = subprocess.run(["node", str(FRONTEND / "tools" / "layers.mjs"), str(tmp_path)], capture_output=True,
                         text=True, timeout=120)
    if run.returncode:
        return run.stderr
    shapes = json.loads((tmp_path / "layers.json").read_text())
    flat, out, at = np.fromfile(tmp_path / "layers.bin", dtype="<f8"), {}, 0
    for layer in shapes:
        n = int(np.prod(layer["shape"]))
        out[layer["name"]] = flat[at:at + n].reshape(layer["shape"])
        at += n
    assert at == flat.size
    return out


def _check_parity(tmp_path, model, name: str, seed: int | None):
    lo, hi = model.value_range
    x = lo + (hi - lo) * torch.rand(model.input_shape, generator=torch.Generator().manual_seed(2))
    label = 7 % max(model.config.n_classes, 1) if model.config.conditional else None
    eps = None
    if seed is not None and model.config.variational:   # the draw activations.py makes for this seed
        eps = torch.randn((1, model.config.latent_dim), generator=torch.Generator().manual_seed(seed))[0].tolist()
    want = layer_activations(model, x, label, seed=seed if eps else None)
    reason = server_only_reason(export_network(model).spec)
    assert (reason is not None) == (name in SERVER_ONLY), reason
    got = _node_layers(tmp_path, model, x, label, eps)
    if name in SERVER_ONLY:   # the browser refuses it, naming the op, and the page asks the server
        assert isinstance(got, str) and "cannot run op" in got
        return
    assert not isinstance(got, str), got
    assert list(got) == list(want)                         # the same layers, in network order
    for layer, values in want.items():
        assert got[layer].shape == values.shape, layer
        assert np.abs(got[layer] - values).max() < 1e-4, (layer, np.abs(got[layer] - values).max())


@needs_node
@pytest.mark.parametrize("name", sorted(MODELS))
def test_browser_layers_match_pytorch_for_every_variant(name, tmp_path):
    _check_parity(tmp_path, random_model(name), name, seed=3)


@needs_node
@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(MODELS))
def test_browser_layers_match_pytorch_at_the_registry_defaults(name, tmp_path):
    _check_parity(tmp_path, _defaultrandom_model(name), name, seed=None)


@needs_node
@pytest.mark.parametrize("name", ["vanilla", "conv", "cvae", "lstm"])
def test_a_dragged_code_drives_the_decoder_layers(name, tmp_path):
    model = random_model(name)
    x = torch.rand(model.input_shape, generator=torch.Generator().manual_seed(4))
    label = 1 if model.config.conditional else None
    code = [1.5, -0.7, 0.25]
    got = _node_layers(tmp_path, model, x, label, None, code)
    assert not isinstance(got, str), got
    code_name = "z" if model.config.variational else "code"
    assert np.allclose(got[code_name], code)
    with torch.no_grad():
        want = model.decode(torch.tensor([code]), None if label is None else torch.tensor([label]))[0].numpy()
    assert np.abs(got["reconstruction"] - want).max() < 1e-4
    encoder_layers = [n for n in got if n.startswith("encoder.")]   # the encoder still shows the sample
    plain = layer_activations(model, x, label)
    assert all(np.abs(got[n] - plain[n]).max() < 1e-4 for n in encoder_layers)


@needs_node
def test_the_browser_implements_the_ops_python_counts_on():
    code = "import { OPS } from './src/ops.js'; console.log(JSON.stringify(Object.keys(OPS)))"
    run = subprocess.run(["node", "--input-type=module", "-e", code], cwd=FRONTEND, capture_output=True, text=True,
                         timeout=60, check=True)
    assert set(json.loads(run.stdout)) == BROWSER_OPS


def test_a_spec_with_an_op_the_browser_lacks_falls_back_to_the_server():
    spec = export_network(random_model("vanilla")).spec
    assert server_only_reason(spec) is None
    spec["encoder"].insert(1, {"op": "batchnorm"})
    assert "batchnorm" in server_only_reason(spec) and "server" in server_only_reason(spec)
