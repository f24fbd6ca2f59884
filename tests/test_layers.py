"""The two layers stay apart: every module of aecore imports without streamlit (STYLE.md, section 1).

One guard for the whole package, walked with pkgutil, so a new module is covered the day it is added.
It runs in a fresh process, because this one has imported streamlit for the page tests.
"""
from __future__ import annotations

import json
import subprocess
import sys

from helpers import ROOT

IMPORT_EVERYTHING = """
import importlib, json, pkgutil, sys
import aecore
names = [m.name for m in pkgutil.walk_packages(aecore.__path__, "aecore.")]
for name in names:
    importlib.import_module(name)
print(json.dumps({"modules": names, "streamlit": sorted(m for m in sys.modules if m.split(".")[0] == "streamlit")}))
"""


def test_no_aecore_module_imports_streamlit():
    out = subprocess.run([sys.executable, "-c", IMPORT_EVERYTHING], cwd=ROOT, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert {"aecore.cli.options", "aecore.config", "aecore.train"} <= set(report["modules"])   # the walk found them
    assert report["streamlit"] == []
