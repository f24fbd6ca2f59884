"""Run inside a server by scripts/memory_after_sessions.py --probe (on SIGUSR1): what holds its memory once every
session left. Writes one JSON object to /tmp/latent-lab-memory-probe.json: resident MB, then the app's objects
still alive (workspaces, runs, jobs, tensors), then the same after gc.collect() and after glibc's malloc_trim(0)."""
import ctypes
import gc
import json
import os


def rss_mb() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 2**20


def alive() -> dict:
    import torch
    from streamlit.runtime import Runtime

    from aecore.train import Run
    from face.workspace import Workspace
    objects = gc.get_objects()
    tensors = [o for o in objects if isinstance(o, torch.Tensor)]
    return {"rss_mb": rss_mb(), "workspaces": sum(isinstance(o, Workspace) for o in objects),
            "runs": sum(isinstance(o, Run) for o in objects), "tensors": len(tensors),
            "tensor_mb": round(sum(t.nelement() * t.element_size() for t in tensors) / 2**20, 1),
            "sessions": len(Runtime.instance()._session_mgr.list_sessions())}


def describe(o) -> str:
    if isinstance(o, dict):
        return f"dict{sorted(map(str, o))[:6]}"
    if isinstance(o, (list, tuple)):
        return f"{type(o).__name__}[{len(o)}]"
    return type(o).__qualname__ + (f" {o.__qualname__}" if hasattr(o, "__qualname__") and callable(o) else "")


def holders(cls_path: str, depth: int = 6) -> list[str]:
    """Chains of what refers to the first surviving object of a class, `depth` hops up (frames and the probe's
    own lists left out)."""
    module, name = cls_path.rsplit(".", 1)
    cls = getattr(__import__(module, fromlist=[name]), name)
    found = next((o for o in gc.get_objects() if isinstance(o, cls)), None)
    chains, frontier, seen = [], [(found, describe(found))] if found is not None else [], set()
    for _ in range(depth):
        nxt = []
        for obj, path in frontier:
            for r in gc.get_referrers(obj):
                if id(r) in seen or r is frontier or r is nxt or type(r).__name__ == "frame":
                    continue
                seen.add(id(r))
                nxt.append((r, path + " <- " + describe(r)))
        frontier = nxt[:12]
        chains = [p for _, p in frontier]
    return chains


out = {"before": alive(), "workspace_held_by": holders("face.workspace.Workspace")}
out["collected"] = gc.collect()
out["after_gc"] = alive()
out["run_held_by"] = holders("aecore.train.Run")
ctypes.CDLL("libc.so.6").malloc_trim(0)
out["after_trim_rss_mb"] = rss_mb()
with open("/tmp/latent-lab-memory-probe.json", "w") as f:
    json.dump(out, f)
