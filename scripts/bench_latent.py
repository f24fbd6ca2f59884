"""Latent atlas benchmark: the issue's targets in one run, on all 70,000 MNIST digits.

    python scripts/bench_latent.py --data-dir /work/shared/datasets/mnist [--parts umap,browser,memory]

1. UMAP: trains a quick 16-d autoencoder on real MNIST, encodes train+test, then in ONE process (so the machine's
   load is shared alike): umap-learn's default call against aecore.views.umapx, both warmed up first (compile time
   reported apart), timed unseeded and seeded, trustworthiness on a fixed 5,000-point subsample. Compile time is
   measured in fresh processes, cold cache then warm. Also the thumbnail atlas' bytes and encode time.
2. Browser (scripts/bench_atlas.py, Debian's chromium): navigation to 70,000 points drawn, the atlas component
   against st.plotly_chart(go.Scattergl); hover to picture (median); decoded frames per second while a slider drags.
3. Server memory: the real app on full MNIST; after a first session loaded the data, three sessions each open the
   Latent space page with their own bundled demo model (a lesson link): every point drawn, every hover picture
   loaded; the server's resident memory after each.
Prints readable lines, then one JSON line last.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from contextlib import ExitStack
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from aecore.config import ModelConfig, TrainConfig  # noqa: E402
from aecore.train import fit, new_run  # noqa: E402
from aecore.views import umapx  # noqa: E402
from aecore.views.atlas import FORMATS, image_atlas  # noqa: E402
from aecore.views.codes import encode_dataset, split_inputs  # noqa: E402

COMPILE_PROBE = ("import time, sys; sys.path.insert(0, sys.argv[1]); from aecore.views import umapx; t = time.time(); "
                 "umapx.import_umap(); i = time.time() - t; umapx.warm_up_umap(background=False); "
                 "print(round(i, 2), round(time.time() - t - i, 2))")


def timed(fn, *args, **kwargs):
    """(result, wall seconds, CPU seconds of this process) of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - wall, time.process_time() - cpu


def mnist_codes(data_dir: str, epochs: int, latent_dim: int = 16):
    """Codes (70,000, latent_dim) of train+test from a quickly trained MLP autoencoder, and the dataset."""
    sys.path.insert(0, str(REPO / "tests" / "e2e"))
    import harness
    data = harness.full_mnist(Path(data_dir))   # stops when they are not there: never the 5k digits instead
    print(f"data: full MNIST, {len(data.x_train) + len(data.x_test):,} digits from {data.source}", flush=True)
    torch.manual_seed(0)
    run = new_run(data, ModelConfig(latent_dim=latent_dim),
                  TrainConfig(epochs=epochs, batch_size=128, lr=2e-3, device="cpu", eval_every_epoch=False))
    last = None
    for step in fit(run, data):
        last = step
    encoded, seconds, _ = timed(encode_dataset, run.model, data, "all")
    return data, encoded, {"train_loss": round(last.losses["loss"], 2), "encode_s": round(seconds, 2)}


def compile_times() -> dict:
    """Seconds to import umap and run the warm-up in a fresh process: with an empty numba cache, then warm."""
    out = {}
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, umapx.NUMBA_CACHE_ENV: cache}
        for name in ("cold", "warm"):
            run = subprocess.run([sys.executable, "-c", COMPILE_PROBE, str(Path(__file__).resolve().parents[1])],
                                 env=env, capture_output=True, text=True, check=True)
            imported, warm_up = map(float, run.stdout.split()[-2:])
            out[f"{name}_cache_import_s"], out[f"{name}_cache_warm_up_s"] = imported, warm_up
    return out


def default_umap(codes: np.ndarray, seed: int | None = None, n_epochs: int | None = None) -> np.ndarray:
    """umap-learn's default call, the reference."""
    umap = umapx.import_umap()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return umap.UMAP(random_state=seed, n_epochs=n_epochs).fit_transform(codes)


def trust(codes: np.ndarray, coords: np.ndarray, n: int = 5000) -> float:
    from sklearn.manifold import trustworthiness
    pick = np.random.default_rng(0).choice(len(codes), size=min(n, len(codes)), replace=False)
    return round(float(trustworthiness(codes[pick], coords[pick], n_neighbors=5)), 4)


def warm_ups(codes: np.ndarray) -> dict:
    """Compile both paths in this process before timing anything (NN-descent too: 5,000 > 4,096 points)."""
    _, ours, _ = timed(umapx.warm_up_umap, background=False)
    _, default, _ = timed(default_umap, codes[:5000], n_epochs=5)
    _, seeded, _ = timed(default_umap, codes[:5000], seed=0, n_epochs=5)
    return {"warm_up_ours_s": round(ours, 1), "warm_up_default_s": round(default + seeded, 1)}


def compare(codes: np.ndarray, seed: int | None) -> dict:
    """Default call and ours on the same codes, back to back; times, CPU times, ratio and trustworthiness."""
    tag = "seeded" if seed is not None else "unseeded"
    reference, ref_s, ref_cpu = timed(default_umap, codes, seed=seed)
    marks = []
    ours, ours_s, ours_cpu = timed(umapx.umap_embed, codes, seed=seed, progress=marks.append)
    return {f"default_{tag}_s": round(ref_s, 1), f"ours_{tag}_s": round(ours_s, 1),
            f"ratio_{tag}": round(ref_s / ours_s, 2), f"cpu_ratio_{tag}": round(ref_cpu / ours_cpu, 2),
            f"trust_default_{tag}": trust(codes, reference), f"trust_ours_{tag}": trust(codes, ours),
            f"progress_calls_{tag}": len(marks)}


def atlas_costs(x: torch.Tensor) -> dict:
    """Bytes and encode seconds of the thumbnails of every image, in each format."""
    out = {}
    for fmt in FORMATS:
        atlas, seconds, _ = timed(image_atlas, x, format=fmt)
        out[f"atlas_{fmt}_bytes"], out[f"atlas_{fmt}_s"] = len(atlas.data), round(seconds, 2)
    return out


def browser_targets(repeats: int) -> dict:
    """bench_atlas on its demo app (70,000 digits): navigation against plotly, hover, slider fps."""
    sys.path.insert(0, str(REPO / "scripts"))
    import bench_atlas
    harness = bench_atlas.harness
    with ExitStack() as stack:
        urls = [stack.enter_context(harness.streamlit_server(script=f"tests/e2e/{name}_app.py", timeout_s=120,
                                                             log_path=harness.ARTIFACTS / f"bench-{name}.log"))
                for name in ("atlas", "plotly")]
        browser = harness.launch(stack.enter_context(bench_atlas.sync_playwright()))
        nav = bench_atlas.navigation(browser, *urls, repeats)
        it = bench_atlas.interaction(browser, urls[0])
    return {"drawn_atlas_s": round(nav["atlas_s"], 2), "drawn_plotly_s": round(nav["plotly_s"], 2),
            "drawn_ratio": round(nav["ratio"], 2), "hover_median_ms": round(it["hover"]["median_ms"], 1),
            "hover_pictures": f"{it['hover']['pictures']}/{it['hover']['hovers']}",
            **{f"slider_fps_{k}": round(v["fps"], 1) for k, v in it["sliders"].items()}}


LESSONS = ("vae-vs-ae-1-autoencoder", "vae-vs-ae-2-vae", "linear-ae-pca")   # one bundled demo model each


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS")) / 1024


def server_pid(url: str) -> int:
    """The streamlit server this script started on url's port (found in /proc by its command line)."""
    port = url.rsplit(":", 1)[1]
    for entry in Path("/proc").iterdir():
        try:
            cmd = (entry / "cmdline").read_bytes().split(b"\0")
        except (OSError, ValueError):
            continue
        if b"streamlit" in b" ".join(cmd) and port.encode() in cmd:
            return int(entry.name)
    raise RuntimeError(f"no streamlit server on port {port}")


def settle(pid: int, quiet_s: float = 3.0, limit_s: float = 180.0) -> None:
    """Until the server's CPU time stops growing (numba's warm-up, a UMAP...) for quiet_s."""
    def cpu() -> int:
        return sum(map(int, Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[11:13]))
    end, last, still = time.monotonic() + limit_s, cpu(), 0.0
    while still < quiet_s and time.monotonic() < end:
        time.sleep(0.5)
        now = cpu()
        still, last = (still + 0.5 if now - last < 5 else 0.0), now


def session_memory(data_dir: str) -> dict:
    """Resident memory of the real app as sessions open the Latent space page with 70,000 points each."""
    sys.path.insert(0, str(REPO / "tests" / "e2e"))
    import atlas_driver as drive
    import harness
    from playwright.sync_api import sync_playwright
    with ExitStack() as stack:
        url = stack.enter_context(harness.streamlit_server(env={"AECORE_DATA_DIR": data_dir}, timeout_s=120,
                                                           log_path=harness.ARTIFACTS / "bench-memory.log"))
        pid, browser = server_pid(url), harness.launch(stack.enter_context(sync_playwright()))
        first = browser.new_context(viewport=harness.VIEWPORT).new_page()
        harness.open_app(first, url)   # the Train page: the data is loaded (shared), numba warms up
        settle(pid)
        rss, drawn, hover = [rss_mb(pid)], [], None
        for lesson in LESSONS:
            page = browser.new_context(viewport=harness.VIEWPORT).new_page()
            harness.watch_messages(page)
            page.goto(f"{url}/latent?lesson={lesson}")   # the lesson's model on the Latent space page
            frame = drive.wait_frame(page, 300_000)
            frame.wait_for_function("() => window.atlas.stats.thumbs === 70000", timeout=300_000)
            drawn.append((drive.stats(frame)["firstDrawAt"] - page.evaluate("performance.timeOrigin")) / 1000)
            harness.wait_idle(page, 120_000)
            settle(pid)
            rss.append(rss_mb(pid))
            hover = hover or drive.hover_latencies(page, frame, drive.spread_points(frame, 20))
    steps = [round(b - a) for a, b in zip(rss, rss[1:])]
    return {"rss_mb": [round(r) for r in rss], "per_session_mb": steps, "max_session_mb": max(steps),
            "app_drawn_s": [round(d, 2) for d in drawn], "app_hover_median_ms": round(hover["median_ms"], 1)}


def umap_targets(data_dir: str, epochs: int) -> dict:
    """UMAP of 70,000 codes, ours against umap-learn's default (compile apart), and the thumbnail atlas' costs."""
    umapx.configure_numba_cache()
    report = compile_times()
    data, encoded, facts = mnist_codes(data_dir, epochs)
    report.update(facts, n=len(encoded), dim=encoded.codes.shape[1], ours_epochs=umapx.default_epochs(len(encoded)))
    report.update(warm_ups(encoded.codes))
    report.update(compare(encoded.codes, seed=None))
    report.update(compare(encoded.codes, seed=0))
    report.update(atlas_costs(split_inputs(data, "all")))
    return report


PARTS = ("umap", "browser", "memory")


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=os.environ.get("AECORE_DATA_DIR"), help="folder with MNIST's IDX files")
    parser.add_argument("--epochs", type=int, default=2, help="training epochs of the 16-d model")
    parser.add_argument("--parts", default=",".join(PARTS), help="which targets to measure: umap,browser,memory")
    parser.add_argument("--repeats", type=int, default=3, help="navigations per app (median)")
    args = parser.parse_args(argv)
    parts = {
        "umap": lambda: umap_targets(args.data_dir, args.epochs),
        "browser": lambda: browser_targets(args.repeats),   # chromium on the atlas demo app and a plotly app
        "memory": lambda: session_memory(str(Path(args.data_dir).resolve().parent)),   # the real app
    }
    report = {"load_before": round(os.getloadavg()[0], 2)}
    for name in args.parts.split(","):
        part = parts[name.strip()]()
        for key, value in part.items():   # as each part ends: a later failure keeps the numbers so far
            print(f"{key:>28}: {value}", flush=True)
        report.update(part)
    report["load_after"] = round(os.getloadavg()[0], 2)
    print(json.dumps(report))
    return report


if __name__ == "__main__":
    main()
