"""One settings module (issue 21, item 4): every AECORE_* variable is read in aecore/settings.py, named in its
table and in the README, and a bad value gets one clear message naming the variable."""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from aecore import jobs, settings
from aecore.budget import ModelLimits
from aecore.data.dataset import DataError
from aecore.data.limits import DataLimits
from aecore.runs.store import WorkspaceStore

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = [p for folder in ("aecore", "face", "pages") for p in (ROOT / folder).rglob("*.py")] + [ROOT / "app.py"]
NAME = re.compile(r"AECORE_[A-Z0-9_]+")


def test_every_variable_the_product_names_is_a_setting_and_in_the_readme():
    named = {name for path in PRODUCT for name in NAME.findall(path.read_text())}
    readme = set(NAME.findall((ROOT / "README.md").read_text()))
    assert named <= set(settings.SETTINGS), sorted(named - set(settings.SETTINGS))
    assert set(settings.SETTINGS) <= readme, sorted(set(settings.SETTINGS) - readme)
    assert len(settings.SETTINGS) >= 16


def test_only_the_settings_module_reads_the_environment_for_them():
    """Other variables (numba's, the LATENT_LAB_* knobs of scripts and tests) may be read where they are used."""
    readers = [f"{path.relative_to(ROOT)}:{n}" for path in PRODUCT if path.name != "settings.py"
               for n, line in enumerate(path.read_text().splitlines(), 1)
               if re.search(r"os\.environ|getenv", line) and not re.search(r"NUMBA|LATENT_LAB_", line)]
    assert not readers, readers


@pytest.mark.parametrize("value", ["lots", "0", "-3", "nan", "1e-400"])
def test_a_bad_number_names_the_variable_and_what_it_must_be(monkeypatch, value):
    monkeypatch.setenv("AECORE_STORE_MB", value)
    with pytest.raises(settings.SettingError, match=f"AECORE_STORE_MB must be a number of MB above 0, got '{value}'"):
        WorkspaceStore()


@pytest.mark.parametrize("value", ["two", "1.5", "0", "-1"])
def test_a_bad_whole_number_names_the_variable(monkeypatch, value):
    monkeypatch.setenv("AECORE_MAX_JOBS", value)
    with pytest.raises(ValueError, match=f"AECORE_MAX_JOBS must be a whole number of at least 1, got '{value}'"):
        jobs.default_max_jobs()


def test_limits_on_data_and_models_stay_data_errors_the_pages_show(monkeypatch):
    monkeypatch.setenv("AECORE_MAX_PARAMS", "many")
    with pytest.raises(DataError, match="AECORE_MAX_PARAMS must be a number above 0, got 'many'"):
        ModelLimits.from_env()
    monkeypatch.setenv("AECORE_MAX_DATA_MB", "0")
    with pytest.raises(DataError, match="AECORE_MAX_DATA_MB must be a number of MB above 0"):
        DataLimits.from_env()


def test_good_values_and_blanks(monkeypatch):
    monkeypatch.setenv("AECORE_MAX_JOBS", " 3 ")
    monkeypatch.setenv("AECORE_MAX_UPLOAD_MB", "1.5")
    monkeypatch.setenv("AECORE_RAY_CPUS_PER_JOB", "")
    assert jobs.default_max_jobs() == 3
    assert DataLimits.from_env().max_bytes == int(1.5 * 2**20)
    assert settings.number("AECORE_RAY_CPUS_PER_JOB", 1.0) == 1.0
    with pytest.raises(KeyError, match="AECORE_TYPO is not a setting"):
        settings.text("AECORE_TYPO")


def test_the_cores_a_server_may_use_share_out_its_training_threads(monkeypatch):
    """AECORE_CPUS: a replica (or a test worker) sharing a machine trains with its part of the cores."""
    from aecore.jobs import runtime
    monkeypatch.setenv("AECORE_CPUS", "8")
    assert runtime.cores() == 8 and runtime.threads_per_job(2) == 4
    monkeypatch.setenv("AECORE_CPUS", "1")
    assert runtime.threads_per_job(2) == 1
    monkeypatch.delenv("AECORE_CPUS")
    assert runtime.cores() == (os.cpu_count() or 1)
    monkeypatch.setenv("AECORE_CPUS", "0")
    with pytest.raises(settings.SettingError, match="AECORE_CPUS"):
        runtime.cores()
