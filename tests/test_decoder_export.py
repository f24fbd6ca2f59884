"""The browser's decoder (face/atlas/frontend/src/decoder.js, run under node) agrees with PyTorch's decode."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from aecore.models import build_model, variant_config
from aecore.views.decoder_export import export_decoder

FRONTEND = Path(__file__).resolve().parents[1] / "face" / "atlas" / "frontend"

# (variant, overrides, input shape, value range, classes): every decoder body, activation and output function
CASES = {
    "mlp": ("vanilla", {"hidden": (16, 8)}, (1, 8, 8), (0.0, 1.0), 0),
    "mlp-tanh-identity": ("vanilla", {"hidden": (12,), "activation": "tanh"}, (10,), (-2.0, 3.0), 0),
    "linear": ("linear", {}, (6,), (-1.0, 1.0), 0),
    "conv": ("conv", {"hidden": (4, 6)}, (1, 9, 7), (0.0, 1.0), 0),       # odd sizes: output_padding
    "conv-rgb": ("conv-vae", {"hidden": (3, 5, 4)}, (3, 16, 12), (0.0, 1.0), 0),
    "lstm": ("lstm", {"hidden": (8, 8)}, (12, 3), (-1.0, 1.0), 0),          # two layers
    "cvae": ("cvae", {"hidden": (16,)}, (1, 8, 8), (0.0, 1.0), 3),
}


def _model(case: str):
    variant, overrides, shape, value_range, n_classes = CASES[case]
    torch.manual_seed(0)
    model = build_model(variant_config(variant, latent_dim=3, **overrides), shape, value_range, n_classes)
    with torch.no_grad():   # biases away from 0, so their layout matters to the comparison
        for p in model.parameters():
            p.add_(0.1 * torch.randn_like(p))
    return model.eval()


def _node_decode(tmp_path: Path, exported, codes: np.ndarray, labels: list[int] | None) -> np.ndarray:
    (tmp_path / "spec.json").write_text(json.dumps(exported.spec))
    (tmp_path / "weights.bin").write_bytes(exported.weights)
    (tmp_path / "inputs.json").write_text(json.dumps({"codes": codes.tolist(), "labels": labels}))
    subprocess.run(["node", str(FRONTEND / "tools" / "decode.mjs"), str(tmp_path)], check=True, timeout=60)
    return np.fromfile(tmp_path / "out.bin", dtype="<f8")


@pytest.mark.skipif(shutil.which("node") is None, reason="the browser decoder runs under node")
@pytest.mark.parametrize("case", sorted(CASES))
def test_browser_decoder_matches_pytorch(case, tmp_path):
    model = _model(case)
    codes = np.random.default_rng(1).normal(0, 2, (5, 3)).astype(np.float32)
    labels = [0, 1, 2, 1, 0] if model.config.conditional else None
    with torch.no_grad():
        y = torch.tensor(labels) if labels else None
        want = model.decode(torch.from_numpy(codes), y).numpy().reshape(len(codes), -1)
    got = _node_decode(tmp_path, export_decoder(model), codes, labels).reshape(len(codes), -1)
    assert np.abs(got - want).max() < 1e-4


def test_spec_is_json_and_weights_hold_every_decoder_parameter():
    for case in CASES:
        model = _model(case)
        exported = export_decoder(model)
        json.dumps(exported.spec)
        n_params = sum(p.numel() for p in model.decoder.parameters())
        assert len(exported.weights) == 4 * n_params, case
        assert exported.spec["shape"] == list(model.input_shape)
        assert exported.spec["n_classes"] == model.config.n_classes


def test_export_needs_no_streamlit():
    code = "import sys, aecore.views.decoder_export; assert 'streamlit' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
