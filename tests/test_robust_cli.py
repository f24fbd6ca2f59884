"""Every bad checkpoint through `python -m aecore eval` (and `sample`): exit code 2, the message on stderr,
no traceback. As a zip given directly and, for the zips, unpacked into a run folder. The data corpus through
`train --dataset FILE` is tests/test_cli.py's; this file covers the checkpoints.

The subprocess tests are slow (a torch import each); `test_every_checkpoint_in_process` runs the same
calls through `aecore.cli.main` in a second or two for the quick loop.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from aecore import cli

ROOT = Path(__file__).resolve().parents[1]
CHECKPOINTS = ROOT / "tests" / "corpus" / "checkpoints"
EXPECTED = json.loads((CHECKPOINTS / "EXPECTED.json").read_text())
# Unpacked into a folder, a file keeps its message unless the zip itself was the problem.
FOLDER_EXPECTED = {
    **{n: m for n, m in EXPECTED.items() if n.endswith(".zip") and n != "corrupt_member.zip"},   # (only a zip has a CRC)
    "random_bytes.zip": "config.json is missing",      # not a zip: the folder gets it as junk weights only
    "torch_save_renamed.zip": "config.json is missing",
    "bomb.zip": "config.json is missing",              # the bomb is never unpacked
}


def env() -> dict:
    e = dict(os.environ)
    e["PYTHONPATH"] = os.pathsep.join([str(ROOT), e.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    e["OMP_NUM_THREADS"] = "1"
    return e


def run_cli(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "aecore", *args], cwd=cwd, env=env(), capture_output=True,
                          text=True, timeout=180)


def unpack_raw(name: str, into: Path) -> Path:
    """A run folder holding the zip's small members, copied without the CRC check so a corrupted member
    arrives corrupted (the bomb's member stays packed); for a file that is no zip, its bytes as the weights."""
    folder = into / name.removesuffix(".zip")
    folder.mkdir(parents=True, exist_ok=True)
    try:
        zf = zipfile.ZipFile(CHECKPOINTS / name)
    except zipfile.BadZipFile:
        (folder / "model.safetensors").write_bytes((CHECKPOINTS / name).read_bytes())
        return folder
    with zf:
        for info in zf.infolist():
            if info.file_size >= 2**20:
                continue
            with zf.open(info) as f:
                f._expected_crc = None   # read what is there, damage included
                try:
                    blob = f.read()
                except Exception:   # a stream too damaged to inflate: an empty file
                    blob = b""
            (folder / Path(info.filename).name).write_bytes(blob)
    return folder


def assert_refused(result: subprocess.CompletedProcess | tuple[int, str], message: str) -> None:
    code, stderr = (result.returncode, result.stderr) if hasattr(result, "returncode") else result
    assert code == 2, stderr
    assert stderr.startswith("error: ") and message in stderr, stderr
    assert "Traceback" not in stderr


@pytest.fixture(scope="module")
def folders(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("ckpt-folders")
    for name in FOLDER_EXPECTED:
        unpack_raw(name, root)
    return root


def test_every_checkpoint_in_process(capsys, folders):
    """`aecore.cli.main` on each file and folder: returns 2 with the message, raises nothing."""
    for name, message in EXPECTED.items():
        code = cli.main(["eval", str(CHECKPOINTS / name), "--device", "cpu"])
        assert_refused((code, capsys.readouterr().err), message)
    for name, message in FOLDER_EXPECTED.items():
        code = cli.main(["eval", str(folders / name.removesuffix(".zip")), "--device", "cpu"])
        assert_refused((code, capsys.readouterr().err), message)


@pytest.fixture(scope="module")
def eval_results(folders) -> dict[str, subprocess.CompletedProcess]:
    """`eval FILE` and `eval FOLDER` for every case, three processes at a time (each is mostly a torch import)."""
    calls = {f"file:{n}": ["eval", str(CHECKPOINTS / n)] for n in EXPECTED}
    calls |= {f"folder:{n}": ["eval", str(folders / n.removesuffix(".zip"))] for n in FOLDER_EXPECTED}
    calls |= {f"sample:{n}": ["sample", str(CHECKPOINTS / n), "--out", "s.npy"] for n in ("pickled.pt", "bomb.zip")}
    with ThreadPoolExecutor(max_workers=3) as pool:
        return dict(zip(calls, pool.map(lambda args: run_cli(args, folders), calls.values())))


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_eval_refuses_a_bad_checkpoint_file(eval_results, name):
    assert_refused(eval_results[f"file:{name}"], EXPECTED[name])


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(FOLDER_EXPECTED))
def test_eval_refuses_a_bad_run_folder(eval_results, name):
    assert_refused(eval_results[f"folder:{name}"], FOLDER_EXPECTED[name])


@pytest.mark.slow
@pytest.mark.parametrize("name", ["pickled.pt", "bomb.zip"])
def test_sample_refuses_a_bad_checkpoint(eval_results, folders, name):
    assert_refused(eval_results[f"sample:{name}"], EXPECTED[name])
    assert not (folders / "s.npy").exists()
