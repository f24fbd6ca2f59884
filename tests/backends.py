"""Both job backends for the contract tests: `make_pool(slots)` gives an in-process JobPool, or a RayPool on a
local Ray cluster started once for the test session (2 CPUs, everything on 127.0.0.1), so the same test runs
against both. The Ray variants are marked slow: the cluster takes seconds to start, and its first worker too.

Use in a test module: `from backends import make_pool, pool  # noqa: F401` (pytest fixtures by import).
"""
from __future__ import annotations

import os
import secrets

import pytest

from aecore import jobs

RAY_CPUS = 2
BACKENDS = ["thread", pytest.param("ray", marks=pytest.mark.slow)]
TOKEN = secrets.token_hex(32)


def loopback_env() -> dict[str, str]:
    """Ray on one machine and on the loopback only (without the first variable it binds to the machine's outside
    address), with a token of this test run (without one, a new local cluster writes ~/.ray/auth_token)."""
    return {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0", "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": TOKEN}


@pytest.fixture(scope="session")
def ray_cluster(tmp_path_factory):
    """A local Ray cluster for this test process; shut down at the end of the session."""
    os.environ.update(loopback_env())   # read when ray is first imported: before it
    from aecore.jobs import cluster
    cluster.connect("local", num_cpus=RAY_CPUS, include_dashboard=False,
                    _temp_dir=str(tmp_path_factory.mktemp("ray")),
                    _system_config={"preload_python_modules": ["torch"]})
    yield cluster
    import ray
    ray.shutdown()


@pytest.fixture(params=BACKENDS)
def make_pool(request):
    """make_pool(slots) -> a backend that trains `slots` jobs at once; every job is stopped afterwards."""
    pools = []

    def make(slots: int = 2):
        if request.param == "thread":
            pool = jobs.JobPool(slots)
        else:
            pool = request.getfixturevalue("ray_cluster").RayPool(cpus=RAY_CPUS / slots)
        pools.append(pool)
        return pool

    yield make
    for pool in pools:
        stop_all(pool)


@pytest.fixture
def pool(make_pool):
    return make_pool(2)


def stop_all(pool) -> None:
    if isinstance(pool, jobs.JobPool):
        active = list(pool._running) + list(pool._queue)
        for job in active:
            job.stop()
        for job in active:
            job.wait(10)
    else:
        pool.shutdown()
