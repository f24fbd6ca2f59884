"""The suite's own shape: what tests share lives in helpers.py, page_helpers.py and fixtures, so no test module
imports conftest or another test module (an import runs that module's fixtures and parametrizations twice, and
ties one test's file to another's)."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent


def imported_modules(path: Path) -> set[str]:
    """Every module name an `import` or `from ... import` in the file names, at any depth (function bodies too)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
        elif isinstance(node, ast.ImportFrom) and node.level:   # from . import test_x / from .conftest import ...
            names |= {node.module or "", *(alias.name for alias in node.names)}
    return names


def forbidden(name: str) -> bool:
    last = name.rsplit(".", 1)[-1]
    return last == "conftest" or last.startswith("test_")


def test_no_test_imports_conftest_or_another_test():
    modules = sorted(TESTS.rglob("*.py"))
    assert len(modules) > 60 and TESTS / "helpers.py" in modules   # the walk found the suite
    bad = {str(p.relative_to(TESTS)): sorted(n for n in imported_modules(p) if forbidden(n)) for p in modules}
    assert not {p: names for p, names in bad.items() if names}


def test_the_guard_sees_each_kind_of_import(tmp_path):
    """It would catch what it forbids, written any way: plain, from, relative, inside a function."""
    for source in ("from conftest import make_images", "import test_jobs", "from test_data import shared",
                   "def f():\n    from tests.conftest import ROOT", "from . import test_network",
                   "from .conftest import ws"):
        path = tmp_path / "t.py"
        path.write_text(source + "\n")
        assert any(forbidden(n) for n in imported_modules(path)), source
    (tmp_path / "t.py").write_text("from helpers import make_images\nimport page_helpers\nfrom aecore import train\n")
    assert not any(forbidden(n) for n in imported_modules(tmp_path / "t.py"))


def test_under_two_workers_a_test_runs_in_its_files_group(request):
    """conftest.py's groups must reach xdist: its hook reads them into each test's id, and when ours ran after it
    no group took effect (every test was its own unit: the browser tests' trained session was set up in both
    workers, and the claim files trained their recipes twice)."""
    if not hasattr(request.config, "workerinput"):
        pytest.skip("runs in one process (-n 0): no groups to check")
    assert request.node.nodeid.endswith("@test_suite_imports.py"), request.node.nodeid
