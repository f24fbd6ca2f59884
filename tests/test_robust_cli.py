"""Every bad checkpoint through `python -m aecore eval` (and `sample`): exit code 2, the message on stderr,
no traceback. As a zip given directly and, for the zips, unpacked into a run folder. Runs whose training data is
gone (tests/corpus/runs) are refused the same way, never evaluated on other data. The data corpus through
`train --dataset FILE` is tests/test_cli.py's; this file covers the checkpoints.

The calls run in this process (`aecore.cli.main`, see helpers.run_cli); one runs `python -m aecore` in a
fresh process, marked slow (a torch import).
"""
from __future__ import annotations

import json
import subprocess
import zipfile
from pathlib import Path

import pytest

from helpers import ROOT, CliResult, run_cli, run_module

CHECKPOINTS = ROOT / "tests" / "corpus" / "checkpoints"
EXPECTED = json.loads((CHECKPOINTS / "EXPECTED.json").read_text())
RUNS = ROOT / "tests" / "corpus" / "runs"   # good runs whose training data cannot be found again
RUNS_EXPECTED = json.loads((RUNS / "EXPECTED.json").read_text())
# Unpacked into a folder, a file keeps its message unless the zip itself was the problem.
FOLDER_EXPECTED = {
    **{n: m for n, m in EXPECTED.items() if n.endswith(".zip") and n != "corrupt_member.zip"},   # (only a zip has a CRC)
    "random_bytes.zip": "config.json is missing",      # not a zip: the folder gets it as junk weights only
    "torch_save_renamed.zip": "config.json is missing",
    "bomb.zip": "config.json is missing",              # the bomb is never unpacked
}


def unpack_raw(name: str, into: Path, corpus: Path = CHECKPOINTS) -> Path:
    """A run folder holding the zip's small members, copied without the CRC check so a corrupted member
    arrives corrupted (the bomb's member stays packed); for a file that is no zip, its bytes as the weights."""
    folder = into / name.removesuffix(".zip")
    folder.mkdir(parents=True, exist_ok=True)
    try:
        zf = zipfile.ZipFile(corpus / name)
    except zipfile.BadZipFile:
        (folder / "model.safetensors").write_bytes((corpus / name).read_bytes())
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


def assert_refused(result: CliResult | subprocess.CompletedProcess, message: str) -> None:
    code, stderr = result.returncode, result.stderr
    assert code == 2, stderr
    assert stderr.startswith("error: ") and message in stderr, stderr
    assert "Traceback" not in stderr


@pytest.fixture(scope="module")
def folders(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("ckpt-folders")
    for name in FOLDER_EXPECTED:
        unpack_raw(name, root)
    return root


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_eval_refuses_a_bad_checkpoint_file(name):
    assert_refused(run_cli("eval", CHECKPOINTS / name), EXPECTED[name])


@pytest.mark.parametrize("name", sorted(FOLDER_EXPECTED))
def test_eval_refuses_a_bad_run_folder(folders, name):
    assert_refused(run_cli("eval", folders / name.removesuffix(".zip")), FOLDER_EXPECTED[name])


@pytest.mark.parametrize("name", ["pickled.pt", "bomb.zip"])
def test_sample_refuses_a_bad_checkpoint(folders, name):
    assert_refused(run_cli("sample", CHECKPOINTS / name, "--out", "s.npy", cwd=folders), EXPECTED[name])
    assert not (folders / "s.npy").exists()


@pytest.mark.parametrize("name", sorted(RUNS_EXPECTED))
def test_a_run_whose_data_is_gone_is_refused_and_nothing_is_written(tmp_path, name):
    """Never other data under the same name: eval, encode and reconstruct exit 2 with one line, and write nothing."""
    folder = unpack_raw(name, tmp_path, RUNS)
    for run in (RUNS / name, folder):
        assert_refused(run_cli("eval", run, cwd=tmp_path), RUNS_EXPECTED[name])
        assert_refused(run_cli("encode", run, "--out", "codes.npy", cwd=tmp_path), RUNS_EXPECTED[name])
        result = run_cli("reconstruct", run, "--out", "r.npy", cwd=tmp_path)
        assert_refused(result, RUNS_EXPECTED[name])
        assert result.stderr.count("\n") == 1 and "pass --dataset" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == [folder.name]


@pytest.mark.slow
def test_python_m_aecore_refuses_a_bad_checkpoint(folders):
    """One through a real process: exit code 2 and the message reach the shell, with no traceback."""
    assert_refused(run_module("eval", CHECKPOINTS / "pickled.pt", cwd=folders), EXPECTED["pickled.pt"])
