"""aecore/jobs/ in one shape (issue 21, item 2): the backend chosen in backend.py only, both pools meeting one
`Pool` protocol, no module reading another's private state, and imports that run one way (no circle)."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from aecore import jobs
from aecore.jobs.protocol import JobHandle, Pool

JOBS = Path(jobs.__file__).parent
MODULES = sorted(p.stem for p in JOBS.glob("*.py") if p.stem != "__init__")


def _type_checking_only(node: ast.AST, parents: dict) -> bool:
    """True for an import inside `if TYPE_CHECKING:` (for annotations only: never run)."""
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            return True
    return False


def imports_within_jobs(module: str) -> set[str]:
    """The jobs modules `module` imports when it runs (at its top or inside a function)."""
    tree = ast.parse((JOBS / f"{module}.py").read_text())
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    found = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom) or node.level != 1 or _type_checking_only(node, parents):
            continue
        found |= {node.module} if node.module else {alias.name for alias in node.names}
    return found & set(MODULES)


def test_the_jobs_modules_import_one_way():
    graph = {m: imports_within_jobs(m) for m in MODULES}
    assert graph["backend"] >= {"pool"}            # the choice imports the backends ...
    assert "backend" not in graph["pool"] | graph["runtime"] | graph["cluster"] | graph["worker"]   # ... not back
    done, path = set(), []

    def visit(module: str) -> None:
        assert module not in path, f"import circle: {' -> '.join(path[path.index(module):] + [module])}"
        if module in done:
            return
        path.append(module)
        for imported in sorted(graph[module]):
            visit(imported)
        path.pop()
        done.add(module)

    for module in MODULES:
        visit(module)


def test_no_module_reads_a_jobs_private_state():
    """A job says it was told to stop through its public `stopping`, and a pool starts it with `launch`: no module
    reads another object's private attributes (a pool's own, in pool_of beside its class, excepted)."""
    for module in MODULES:
        tree = ast.parse((JOBS / f"{module}.py").read_text())
        reads = [f"{ast.unparse(node)} (line {node.lineno})" for node in ast.walk(tree)
                 if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__")
                 and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))
                 and not (module == "pool" and ast.unparse(node.value) == "pool")
                 and not ast.unparse(node.value).startswith("self.job")]   # remote.ReaderLock: its own RayJob
        assert not reads, f"{module}.py reads private state: {reads}"


@pytest.mark.slow
@pytest.mark.parametrize("module", MODULES)
def test_each_jobs_module_imports_alone_in_a_fresh_interpreter(module):
    if module in ("cluster", "remote"):
        pytest.importorskip("ray")
    out = subprocess.run([sys.executable, "-c", f"import aecore.jobs.{module}"], capture_output=True, text=True,
                         cwd=JOBS.parents[1], timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]


def members(protocol) -> set[str]:
    return {name for name in vars(protocol) if not name.startswith("_")} - {"run", "lock"}   # those two: per job


def test_the_in_process_pool_and_job_meet_their_protocols():
    with jobs.pool_of(1) as pool:
        assert isinstance(pool, Pool) and not isinstance(object(), Pool)
        assert members(Pool) == {"max_jobs", "counts", "start_job", "active_job", "position", "owned"}
    assert all(hasattr(jobs.Job, name) for name in members(JobHandle)), members(JobHandle)


def test_the_ray_pool_and_job_have_every_member_of_their_protocols():
    pytest.importorskip("ray")
    from aecore.jobs.cluster import RayPool
    from aecore.jobs.remote import RayJob
    for protocol, cls in ((Pool, RayPool), (JobHandle, RayJob)):
        missing = sorted(name for name in members(protocol) if not hasattr(cls, name))
        assert not missing, f"{cls.__name__} lacks {missing} of {protocol.__name__}"
