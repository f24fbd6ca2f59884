"""Regenerate the bad-checkpoint corpus and its EXPECTED.json (the message substring each file must produce).

Run `python tests/corpus/checkpoints/make_checkpoints.py` from the repository root; the output is
deterministic (fixed seed, fixed zip timestamps), so rerunning leaves git clean. The files are committed, so
the page, CLI and security tests use them without running this. Every file starts from one real, tiny run
(an MLP with 8 hidden units on 8x8 images: a 5 KB safetensors file) and breaks one thing.

It also writes tests/corpus/runs/: runs that load, but whose training data cannot be found again, so `eval`
must refuse them (exit 2) rather than use other data; its EXPECTED.json holds the message substrings.
"""
from __future__ import annotations

import io
import json
import pickle
import sys
import zipfile
from dataclasses import replace
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))   # the repository root, for aecore

import numpy as np  # noqa: E402
import torch  # noqa: E402
from safetensors.torch import save as save_safetensors  # noqa: E402

from aecore.config import TrainConfig  # noqa: E402
from aecore.data.dataset import Dataset, Provenance  # noqa: E402
from aecore.models import variant_config  # noqa: E402
from aecore.runs.checkpoint import run_files  # noqa: E402
from aecore.train import fit, new_run  # noqa: E402

DATE = (2024, 1, 1, 0, 0, 0)   # fixed zip timestamps keep the files byte-identical across runs

# Each bad checkpoint -> a substring its CheckpointError message must contain (pages and `eval` alike).
EXPECTED = {
    "mismatched_config.zip": "does not match config.json",       # config says bottleneck 3, weights have 2
    "truncated_safetensors.zip": "damaged or truncated",          # model.safetensors cut in half
    "pickled.pt": "pickled checkpoints are not accepted",         # a real torch.save file
    "torch_save_renamed.zip": "config.json is missing",           # torch.save's zip under a .zip name
    "no_config.zip": "config.json is missing",                    # weights and history only
    "random_bytes.zip": "is not a zip archive",
    "corrupt_member.zip": "cannot be read",                       # a deflate stream with garbage in it
    "bad_json.zip": "config.json is not valid JSON",
    "not_latent_lab.zip": "not a Latent Lab run config",          # somebody else's config.json
    "bad_step.zip": "config.json",                                # "step": "many"
    "negative_shape.zip": "config.json",                          # input_shape [-1, 8, 8]
    "huge_model.zip": "does not match config.json",               # a config for a 100-billion-weight model
    "nan_weights.zip": "NaN or infinite",
    "bad_history.zip": "history.json is damaged",                 # losses that are not numbers
    "bomb.zip": "limit",                                          # config.json declares 1 GiB from 1 KB
}


RUNS = HERE.parent / "runs"
# Each run whose data is gone -> a substring of the one-line message `eval` exits 2 with.
RUNS_EXPECTED = {
    "data_missing.zip": "is not on this computer",     # trained on a file that is no longer where it was
    "data_changed.zip": "but only Sine waves",         # the same name, other samples (another generator version)
}
GONE = "/nonexistent/latent-lab-corpus/bars.npz"


def tiny_data() -> Dataset:
    g = torch.Generator().manual_seed(0)
    x = torch.rand(40, 1, 8, 8, generator=g)
    return Dataset("bars", "Bars (synthetic)", x[:32], None, x[32:], None, "image", (), (0.0, 1.0), "generated")


def tiny_files() -> dict[str, bytes]:
    data = tiny_data()
    run = new_run(data, variant_config("vanilla", latent_dim=2, hidden=(8,)), TrainConfig(epochs=1, batch_size=16, seed=0))
    run.id = "corpus01"
    for _ in fit(run, data):
        pass
    run.history = [replace(s, samples_per_s=1000.0, eta_s=0.0) for s in run.history]   # timings vary per run
    return run_files(run)


def zipped(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        for name, blob in members.items():
            zf.writestr(zipfile.ZipInfo(name, DATE), blob, compress_type=compression)
    return buf.getvalue()


def with_config(files: dict[str, bytes], **changes) -> dict[str, bytes]:
    config = json.loads(files["config.json"])
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(config.get(key), dict):
            config[key] = {**config[key], **value}
        else:
            config[key] = value
    return {**files, "config.json": json.dumps(config, indent=2).encode()}


def bomb() -> bytes:
    """config.json of 1 GiB of spaces, bzip2-compressed to about a kilobyte."""
    info = zipfile.ZipInfo("config.json", DATE)
    info.compress_type = zipfile.ZIP_BZIP2
    buf, chunk = io.BytesIO(), b" " * 2**24
    with zipfile.ZipFile(buf, "w") as zf, zf.open(info, "w", force_zip64=True) as f:
        for _ in range(64):
            f.write(chunk)
    return buf.getvalue()


def corrupt_member(files: dict[str, bytes]) -> bytes:
    """A valid zip whose model.safetensors deflate stream has 64 garbage bytes in the middle."""
    blob = bytearray(zipped(files))
    with zipfile.ZipFile(io.BytesIO(bytes(blob))) as zf:
        info = zf.getinfo("model.safetensors")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)   # the local header is 30 bytes + name
    mid = start + info.compress_size // 2
    blob[mid:mid + 64] = bytes(range(64))
    return bytes(blob)


# --- hostile runs that are legal files, generated at test time (issue 18: budgets before work) -----------------------
def declared_model(files: dict[str, bytes], input_shape: list[int], value_range=(0.0, 1.0),
                   **model) -> dict[str, bytes]:
    """A run whose config.json declares another model, with matching weights: built on the meta device and written
    as zeros, so a model whose one sample is 16 GiB fits in a few KB of zip."""
    from aecore.config import ModelConfig, from_dict
    from aecore.models import Autoencoder

    config = with_config(files, model=model, input_shape=input_shape, value_range=list(value_range))
    cfg = from_dict(ModelConfig, json.loads(config["config.json"])["model"])
    with torch.device("meta"):
        shell = Autoencoder(cfg, tuple(input_shape), tuple(value_range))
    weights = {k: torch.zeros(v.shape) for k, v in shell.state_dict().items()}
    return {**config, "model.safetensors": save_safetensors(weights)}


def huge_conv(files: dict[str, bytes], side: int = 65536) -> dict[str, bytes]:
    """A conv VAE of 1 x side x side images: 16 one-channel stride-2 layers take 65536 down to 1x1, so few weights."""
    depth = max(1, side.bit_length() - 1)
    return declared_model(files, [1, side, side], architecture="conv", hidden=[1] * depth, variational=True,
                          loss="bce", output="sigmoid")


def long_lstm(files: dict[str, bytes], steps: int = 50_000_000) -> dict[str, bytes]:
    """An LSTM VAE of sequences `steps` long: its weights do not grow with the length, its decoding time does."""
    return declared_model(files, [steps, 1], (-1.0, 1.0), architecture="lstm", hidden=[8], variational=True,
                          loss="mse", output="identity")


def long_history(files: dict[str, bytes], megabytes: float) -> dict[str, bytes]:
    """A history.json of about `megabytes` MB of varied steps (it compresses ~60:1, under the bomb ratio)."""
    rng = np.random.default_rng(0)
    n = int(megabytes * 2**20 / 157)   # bytes per step, as json.dumps writes these
    losses = rng.integers(9000, 9999, (n, 2)) / 100   # two decimals, as a loss chart would show them
    steps = [{"n": i + 1, "epoch": i / 469, "losses": {"loss": float(a), "recon": float(b)}, "samples_per_s": 1000.0,
              "eta_s": 0.0, "phase": "train", "test": None} for i, (a, b) in enumerate(losses)]
    return {**files, "history.json": json.dumps({"steps": steps, "test": []}).encode()}


def duplicated(files: dict[str, bytes], name: str, copies: int, size: int) -> bytes:
    """A zip holding `name` `copies` times, each `size` bytes that deflate ~50:1 (under the bomb ratio)."""
    import warnings

    rng = np.random.default_rng(0)
    blob = (rng.integers(0, 256, 2**12, dtype=np.uint8).tobytes() + bytes(2**17)) * (size // (2**17 + 2**12) + 1)
    buf = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        warnings.simplefilter("ignore")   # zipfile warns on the duplicate names this file is made of
        for member, content in files.items():
            zf.writestr(zipfile.ZipInfo(member, DATE), content, compress_type=zipfile.ZIP_DEFLATED)
        for _ in range(copies):
            zf.writestr(zipfile.ZipInfo(name, DATE), blob[:size], compress_type=zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def build() -> dict[str, bytes]:
    torch.manual_seed(0)
    torch.set_num_threads(1)   # the same float sums on every machine
    files = tiny_files()
    weights = files["model.safetensors"]
    out: dict[str, bytes] = {}
    out["mismatched_config.zip"] = zipped(with_config(files, model={"latent_dim": 3}))
    out["truncated_safetensors.zip"] = zipped({**files, "model.safetensors": weights[:len(weights) // 2]})
    buf = io.BytesIO()
    torch.save({"state_dict": {"w": torch.zeros(2, 2)}}, buf)
    out["pickled.pt"] = buf.getvalue()
    out["torch_save_renamed.zip"] = buf.getvalue()
    out["no_config.zip"] = zipped({k: v for k, v in files.items() if k != "config.json"})
    out["random_bytes.zip"] = bytes(torch.randint(0, 256, (4096,), generator=torch.Generator().manual_seed(1),
                                                  dtype=torch.uint8).tolist())
    out["corrupt_member.zip"] = corrupt_member(files)
    out["bad_json.zip"] = zipped({**files, "config.json": b'{"format": "latent-lab-run", '})
    out["not_latent_lab.zip"] = zipped({**files, "config.json": json.dumps({"model_type": "bert"}).encode()})
    out["bad_step.zip"] = zipped(with_config(files, step="many"))
    out["negative_shape.zip"] = zipped(with_config(files, input_shape=[-1, 8, 8]))
    out["huge_model.zip"] = zipped(with_config(files, input_shape=[1, 100_000, 100_000]))
    tensors = {k: v.clone() for k, v in sorted(_load(weights).items())}
    tensors["head.weight"].view(-1)[0] = float("nan")
    out["nan_weights.zip"] = zipped({**files, "model.safetensors": save_safetensors(tensors)})
    history = json.loads(files["history.json"])
    history["steps"][0]["losses"] = "low"
    history["test"] = ["fine"]
    out["bad_history.zip"] = zipped({**files, "history.json": json.dumps(history).encode()})
    out["bomb.zip"] = bomb()
    assert set(out) == set(EXPECTED)
    assert not pickle.dumps(None).startswith(out["random_bytes.zip"][:2])   # no accidental pickle magic
    return out


def build_runs() -> dict[str, bytes]:
    """Good runs whose recorded data (config.json's data.provenance) cannot be found again."""
    files = tiny_files()
    gone = replace(tiny_data().provenance, name="bars.npz", title="bars.npz", origin="file", path=GONE)
    sines = Provenance("sines", "generated", "Sine waves (synthetic, 5% anomalies)", "", 2000, 500, "0123456789abcdef")
    out = {"data_missing.zip": zipped(with_config(files, data={"name": gone.name, "title": gone.title,
                                                               "provenance": gone.to_dict()})),
           "data_changed.zip": zipped(with_config(files, data={"provenance": sines.to_dict()}))}
    assert set(out) == set(RUNS_EXPECTED)
    return out


def _load(blob: bytes) -> dict[str, torch.Tensor]:
    from safetensors.torch import load
    return load(blob)


def main() -> None:
    for name, blob in build().items():
        (HERE / name).write_bytes(blob)
    (HERE / "EXPECTED.json").write_text(json.dumps(EXPECTED, indent=2) + "\n")
    RUNS.mkdir(exist_ok=True)
    for name, blob in build_runs().items():
        (RUNS / name).write_bytes(blob)
    (RUNS / "EXPECTED.json").write_text(json.dumps(RUNS_EXPECTED, indent=2) + "\n")


if __name__ == "__main__":
    main()
