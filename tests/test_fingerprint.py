"""aecore.fingerprint: one content key per model state (weights, configuration, data identity), hashed once per
state; equal content, equal key; any difference, another key."""
from __future__ import annotations

import copy
from dataclasses import fields, replace
from pathlib import Path

import pytest
import torch
from helpers import make_images, one_thread, trained_run

from aecore import fingerprint as fp
from aecore.config import ModelConfig, TrainConfig
from aecore.models import variant_config
from aecore.runs.checkpoint import FILES, run_files, runs_from_files
from aecore.train import DataInfo, _restore, _snapshot, fit, new_run
from aecore.views.explore import snapshot

DEMO = Path(__file__).resolve().parents[1] / "assets" / "demos" / "vae-mnist-2d"


def demo_files() -> dict[str, bytes]:
    return {name: (DEMO / name).read_bytes() for name in FILES}


def copy_of(run):
    """A separate Run with the same content (as another session loading the same files gets)."""
    return runs_from_files(run_files(run))


def shallow(run):
    """A Run and model object of their own that share `run`'s weights: for changing anything but a weight."""
    other = copy.copy(run)
    other.model = copy.copy(run.model)
    return other


def changed(value):
    """Another value of the same type, for a field of a frozen config."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value + 1
    if isinstance(value, tuple):
        return (*value, 1) if not value or not isinstance(value[0], str) else (*value, "extra")
    if isinstance(value, dict):
        return {**value, "test_digest": "0" * 16}
    return f"{value}-other"


def with_field(cfg, name: str):
    """`cfg` with one field changed, past its validation (the key must cover every field, valid or not)."""
    other = copy.copy(cfg)
    object.__setattr__(other, name, changed(getattr(cfg, name)))
    return other


@pytest.fixture(scope="module")
def demo():
    return runs_from_files(demo_files())


@pytest.fixture(scope="module")
def trained():
    """A run made on this machine: its data has a provenance record, and its device is "auto"."""
    with one_thread():
        return trained_run("vanilla", epochs=1)[0]


def test_same_content_same_key(demo):
    again = runs_from_files(demo_files())
    again.id, again.step = "another-id", demo.step + 7   # ids and counters are not content
    assert again.model is not demo.model
    assert fp.fingerprint(again) == fp.fingerprint(demo) == fp.current(demo) == fp.current(again)
    assert len(fp.current(demo)) == 2 * fp.DIGEST_BYTES


def test_changes_with_every_weight(demo):
    base = fp.fingerprint(demo)
    for name, tensor in demo.model.state_dict().items():
        flat = tensor.view(-1)
        i = tensor.numel() // 2
        old = flat[i].item()
        with torch.no_grad():
            flat[i] += 1e-3
            assert fp.fingerprint(demo) != base, name
            flat[i] = old
        assert fp.fingerprint(demo) == base, "the same weights again, the same key"


def test_a_negated_decoder_changes_the_key_though_id_step_and_bottleneck_stay(demo):
    """The issue's repro: the old key (run id, step, a hash of the bottleneck layer) stayed the same."""
    other = copy_of(demo)
    with torch.no_grad():
        for name, tensor in other.model.state_dict().items():
            if name.startswith("decoder."):
                tensor.neg_()
    assert (other.id, other.step) == (demo.id, demo.step)
    assert torch.equal(other.model.head.weight, demo.model.head.weight)
    assert fp.current(other) != fp.current(demo)


@pytest.mark.parametrize("part", ["model", "train", "data"])
def test_changes_with_every_config_field(demo, part):
    base = fp.fingerprint(demo)
    cfg = {"model": demo.model.config, "train": demo.train_config, "data": demo.data_info}[part]
    cls = {"model": ModelConfig, "train": TrainConfig, "data": DataInfo}[part]
    for f in fields(cls):
        if (part, f.name) == ("train", "device"):   # the loader picks it: a run and its loaded copy are one state
            continue
        other = shallow(demo)
        new = with_field(cfg, f.name)
        if part == "model":
            other.model.config = new
        elif part == "train":
            other.train_config = new
        else:
            other.data_info = new
        assert fp.fingerprint(other) != base, f"{part}.{f.name}"


def test_the_device_is_not_content(trained):
    loaded = copy_of(trained)
    assert (trained.train_config.device, loaded.train_config.device) == ("auto", "cpu")
    assert fp.fingerprint(loaded) == fp.fingerprint(trained)


def test_changes_with_the_data_identity_variant_and_shapes(demo, trained):
    record = trained.data_info.provenance
    for key in ("test_digest", "n_train", "path", "origin"):
        other = shallow(trained)
        other.data_info = replace(trained.data_info, provenance={**record, key: changed(record[key])})
        assert fp.fingerprint(other) != fp.fingerprint(trained), key
    base = fp.fingerprint(demo)
    other = shallow(demo)
    other.variant = "beta-vae"
    assert fp.fingerprint(other) != base
    for attr in ("input_shape", "value_range"):
        other = shallow(demo)
        setattr(other.model, attr, (*getattr(demo.model, attr)[:-1], getattr(demo.model, attr)[-1] + 1))
        assert fp.fingerprint(other) != base, attr


def test_current_hashes_once_per_state(demo, monkeypatch):
    """Keying on every rerun costs no hashing: `current` hashes when the state changed, not per call."""
    run = copy_of(demo)
    calls = []
    real = fp.fingerprint
    monkeypatch.setattr(fp, "fingerprint", lambda *a: calls.append(1) or real(*a))
    keys = {fp.current(run) for _ in range(50)}
    assert len(keys) == 1 and len(calls) == 1
    run.train_config = replace(run.train_config, lr=run.train_config.lr / 2)   # Resume with a lower rate
    assert fp.current(run) not in keys and len(calls) == 2


def test_current_follows_training_steps_and_restores():
    """The fused Adam step leaves torch's version counters alone (the step count tells); a divergence restore or a
    Ray snapshot copies weights in place without a new step (the version counters tell)."""
    with one_thread():
        data = make_images()
        run = new_run(data, variant_config("vae", latent_dim=2), TrainConfig(epochs=1, batch_size=32))
        for _ in fit(run, data, max_steps=2):
            pass
        before = fp.current(run)
        saved = _snapshot(run.model, step=run.step)
        for _ in fit(run, data, max_steps=1):
            pass
        after_step = fp.current(run)
        assert after_step != before and after_step == fp.fingerprint(run)
        _restore(run.model, saved)                  # the last good weights, the step count unchanged
        assert fp.current(run) == before == fp.fingerprint(run)
        run.model.load_state_dict({k: v + 1 for k, v in run.model.state_dict().items()})
        assert fp.current(run) not in (before, after_step) and fp.current(run) == fp.fingerprint(run)


def test_a_snapshot_has_the_runs_key(demo):
    """A training run's views use a copy: the same weights give the same key as the run itself."""
    model, _ = snapshot(demo)
    assert fp.fingerprint(demo, model) == fp.current(demo)


def test_a_conv_model_is_keyed_too():
    with one_thread():
        run, _ = trained_run("vae", latent_dim=3, epochs=1, architecture="conv", hidden=(8, 16))
    other = copy_of(run)
    assert fp.current(other) == fp.current(run)
    with torch.no_grad():
        other.model.decoder.state_dict()[next(iter(other.model.decoder.state_dict()))].view(-1)[0] += 1e-3
    assert fp.current(other) != fp.current(run)
