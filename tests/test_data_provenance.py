"""Provenance: every Dataset records where it came from, the record survives JSON, and reloading finds the same data
or says in one line that only different data is here."""
from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
import torch
from helpers import shared_dataset as shared

from aecore.data import DataError, Provenance, load_dataset, reload_dataset

CORPUS = Path(__file__).parent / "corpus"
pytestmark = pytest.mark.usefixtures("isolated")   # conftest: no user data, no network


def roundtrip(record: Provenance) -> Provenance:
    return Provenance.from_dict(json.loads(json.dumps(record.to_dict())))


def test_builtins_record_their_origin_sizes_and_test_digest():
    folder = shared("ecg5000")
    ecg = load_dataset("ecg5000", data_dir=str(folder.parent)).provenance
    assert (ecg.name, ecg.origin, ecg.path, ecg.n_train, ecg.n_test) == ("ecg5000", "local", str(folder), 500, 4500)
    assert len(ecg.test_digest) == 16 and ecg.title == "ECG5000 heartbeats"
    sines = load_dataset("sines").provenance
    assert (sines.origin, sines.path, sines.n_test) == ("generated", "", 500)
    subset = load_dataset("mnist", allow_download=False).provenance
    assert (subset.origin, subset.title, subset.n_train, subset.n_test) == ("embedded", "MNIST (5k offline subset)", 4000, 1000)
    assert roundtrip(ecg) == ecg and roundtrip(subset) == subset


def test_a_users_file_records_its_path():
    ds = load_dataset(str(CORPUS / "good.csv"))
    assert (ds.provenance.origin, ds.provenance.path) == ("file", str(CORPUS / "good.csv"))
    assert (ds.provenance.n_train, ds.provenance.n_test) == (40, 10)


def test_the_digest_is_of_the_test_split_samples_and_labels():
    ds = load_dataset("sines")
    assert load_dataset("sines").provenance.test_digest == ds.provenance.test_digest
    other_labels = replace(ds, provenance=None, y_test=1 - ds.y_test)
    other_samples = replace(ds, provenance=None, x_test=ds.x_test + 1e-3)
    digests = {d.provenance.test_digest for d in (ds, other_labels, other_samples)}
    assert len(digests) == 3


def test_derived_datasets_keep_the_loaded_datas_provenance():
    ds = load_dataset("sines")
    assert replace(ds, title="sines, normal: 0", x_train=ds.x_train[:10]).provenance == ds.provenance


def test_a_record_from_a_later_version_still_reads_and_a_bad_one_is_refused():
    record = {**load_dataset("sines").provenance.to_dict(), "added_in_v2": 1}
    assert Provenance.from_dict(record).name == "sines"
    with pytest.raises(DataError, match="not a dataset provenance record"):
        Provenance.from_dict({"title": "x"})
    with pytest.raises(DataError, match="origin must be one of"):
        Provenance.from_dict({"name": "x", "origin": "the internet"})


def test_reload_uses_the_recorded_folder_first(tmp_path):
    folder = tmp_path / "elsewhere" / "ecg5000"
    shutil.copytree(shared("ecg5000"), folder)
    record = load_dataset("ecg5000", data_dir=str(folder)).provenance.to_dict()
    again = reload_dataset(record)  # no data_dir given: only the record knows where it was
    assert again.source == f"local:{folder}" and again.provenance.test_digest == record["test_digest"]


def test_reload_falls_back_to_the_usual_search_when_the_folder_moved(tmp_path):
    record = replace(load_dataset("ecg5000", data_dir=str(shared("ecg5000"))).provenance, path=str(tmp_path / "gone"))
    assert reload_dataset(record, data_dir=str(shared("ecg5000").parent)).source == f"local:{shared('ecg5000')}"


def test_reload_refuses_the_offline_subset_for_a_run_trained_on_full_mnist():
    full = Provenance("mnist", "local", "MNIST", "/no/such/folder", 60000, 10000, "0123456789abcdef")
    with pytest.raises(DataError) as err:
        reload_dataset(full.to_dict(), allow_download=False)
    line = str(err.value)
    assert line == ("this run was trained on MNIST [60,000 train / 10,000 test, local], but only MNIST (5k offline "
                    "subset) [4,000 train / 1,000 test, embedded] is here; fetch it with "
                    "`python -m aecore datasets --fetch mnist`")
    assert "downloading is off" in err.value.details


def test_reload_a_users_file_checks_it_is_unchanged(tmp_path):
    path = tmp_path / "mine.csv"
    shutil.copy(CORPUS / "good.csv", path)
    record = load_dataset(str(path)).provenance
    assert torch.equal(reload_dataset(record).x_test, load_dataset(str(path)).x_test)
    path.write_text(path.read_text().replace("dog", "cat", 3))
    with pytest.raises(DataError, match=r"trained on mine.csv .* but only mine.csv .* is here; open or upload"):
        reload_dataset(record)
    path.unlink()
    with pytest.raises(DataError, match="but it is not on this computer; open or upload that same file again"):
        reload_dataset(record)


@pytest.mark.slow
def test_full_mnist_is_found_again_and_told_apart_from_the_subset():
    folder = shared("mnist")
    record = load_dataset("mnist", data_dir=str(folder.parent)).provenance
    assert (record.origin, record.path, record.n_train, record.n_test) == ("local", str(folder), 60000, 10000)
    assert reload_dataset(record).provenance == record
    assert not record.same_data(load_dataset("mnist", allow_download=False).provenance)
