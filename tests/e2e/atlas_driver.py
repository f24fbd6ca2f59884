"""Driving the atlas component in chromium: open it, find its points on the page, hover, click, drag, and read
what the frame (window.atlas.stats) and Python (the demo's event log) saw. Shared by tests/e2e/test_atlas.py and
scripts/bench_atlas.py, so the test and the benchmark measure the same thing.
"""
from __future__ import annotations

import json
import statistics
import time

COMPONENT = 'iframe[src*="/component/face.atlas.atlas/"]'

# "drawn" for plotly: every point in _fullData and pixels on its WebGL canvas (copied through a 2-D canvas)
PLOTLY_DRAWN = """(n) => {
  const gd = document.querySelector('.js-plotly-plot');
  if (!gd || !gd._fullData) return false;
  if (gd._fullData.reduce((s, t) => s + (t.x ? t.x.length : 0), 0) < n) return false;
  const c = gd.querySelector('canvas.gl-canvas-context');
  if (!c || !c.width) return false;
  const t = document.createElement('canvas');
  t.width = c.width; t.height = c.height;
  const ctx = t.getContext('2d');
  ctx.drawImage(c, 0, 0);
  const d = ctx.getImageData(0, 0, t.width, t.height).data;
  let k = 0;
  for (let i = 3; i < d.length; i += 4 * 31) if (d[i]) k++;
  return k > 100 ? Date.now() : false;
}"""


def open_atlas(page, url: str, query: str = "", timeout_ms: float = 300_000):
    """Navigate to the demo app and return the component's frame once its points are drawn."""
    page.goto(f"{url}/?{query}")
    return wait_frame(page, timeout_ms)


def wait_frame(page, timeout_ms: float = 300_000, nth: int = 0):
    """The frame of the page's nth atlas component (a scatter or sliders) once it has drawn."""
    component = page.locator(COMPONENT).nth(nth)
    component.wait_for(timeout=timeout_ms)
    frame = component.element_handle().content_frame()
    frame.wait_for_function("() => window.atlas && window.atlas.stats.firstDrawAt", timeout=timeout_ms)
    return frame


def stats(frame) -> dict:
    return frame.evaluate("() => window.atlas.stats")


def to_page(page, frame_xy: tuple[float, float]) -> tuple[float, float]:
    """Page coordinates of a point given in the frame's own (CSS pixel) coordinates (of the page's first atlas)."""
    box = page.locator(COMPONENT).first.bounding_box()
    return box["x"] + frame_xy[0], box["y"] + frame_xy[1]


def point_xy(page, frame, i: int) -> tuple[float, float]:
    """Page coordinates of point i as drawn now."""
    return to_page(page, frame.evaluate("(i) => window.atlas.widget.screenOf(i)", i))


def python_events(page) -> list[dict]:
    """The demo app's log of events Python received, in order."""
    text = page.get_by_test_id("stCode").last.inner_text()
    return json.loads(text)["events"]


def wait_events(page, n: int, timeout_s: float = 60.0) -> list[dict]:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            events = python_events(page)
        except Exception:   # the code block is being redrawn
            events = []
        if len(events) >= n or time.monotonic() > deadline:
            return events
        page.wait_for_timeout(200)


def spread_points(frame, count: int, seed: int = 0) -> list[int]:
    """Indices of `count` points that sit apart from their neighbours on screen (a hover picks them, not another)."""
    return frame.evaluate("""([count, seed]) => {
      const s = window.atlas.widget, out = [];
      let a = seed + 1;
      for (let tries = 0; out.length < count && tries < 20000; tries++) {
        a = (a * 16807) % 2147483647;
        const i = a % s.n, [x, y] = s.view.toScreen(s.pos[2 * i], s.pos[2 * i + 1]);
        if (x < 20 || y < 20 || x > s.view.width - 20 || y > s.view.height - 20) continue;
        if (s.pointAt(x, y) === i) out.push(i);
      }
      return out;
    }""", [count, seed])


def hover_latencies(page, frame, indices: list[int]) -> dict:
    """Hover each point; per hover, the frame's latency (mouse event to the next frame after the picture was drawn)
    and the round trip seen from here (mouse move sent to the picture reported)."""
    in_frame, round_trip, shown = [], [], 0
    for i in indices:
        page.mouse.move(10, 10)   # off the plot, so each hover starts from nothing
        before = len(stats(frame)["hovers"])
        x, y = point_xy(page, frame, i)
        t0 = time.perf_counter()
        page.mouse.move(x, y)
        frame.wait_for_function("(n) => window.atlas.stats.hovers.length > n", arg=before, timeout=10_000)
        round_trip.append(1000 * (time.perf_counter() - t0))
        hover = stats(frame)["hovers"][-1]
        in_frame.append(hover["ms"])
        shown += frame.evaluate("""() => { const c = document.querySelector('canvas.hover');
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            for (let k = 3; k < d.length; k += 4) if (d[k]) return 1; return 0; }""")
    return {"median_ms": statistics.median(in_frame), "max_ms": max(in_frame),
            "median_round_trip_ms": statistics.median(round_trip), "pictures": shown, "hovers": len(indices)}


def drag(page, path: list[tuple[float, float]], seconds: float = 0.0, modifier: str | None = None) -> None:
    """Press at path[0], move through the rest (spread over `seconds`), release at the end."""
    page.mouse.move(*path[0])
    if modifier:
        page.keyboard.down(modifier)
    page.mouse.down()
    pause = seconds / max(1, len(path) - 1)
    for xy in path[1:]:
        page.mouse.move(*xy)
        if pause:
            page.wait_for_timeout(pause * 1000)
    page.mouse.up()
    if modifier:
        page.keyboard.up(modifier)


STEPS = 12   # mouse moves per sweep across the slider


def slider_fps(page, frame, seconds: float = 2.0) -> dict:
    """Drag the first slider back and forth for `seconds`: decoded frames per second during the drag, mouse
    events sent, and whether the picture changed before the mouse was released."""
    box = frame.locator('input[type="range"]').first.bounding_box()
    x0, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2   # Playwright boxes are in page coordinates
    picture = "() => document.querySelector('.sliders canvas').toDataURL()"
    first = frame.evaluate(picture)
    page.mouse.move(x0, y)
    page.mouse.down()
    t_start, moves, changed = frame.evaluate("() => performance.now()"), 0, False
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for dx in (0.4, -0.4):   # steps: Playwright sends the moves itself, quicker than one call per move
            page.mouse.move(x0 + dx * box["width"], y, steps=STEPS)
            moves += STEPS
            if moves == STEPS:   # once, mid-drag: reading the canvas costs a round trip
                changed = frame.evaluate(picture) != first
    t_end = frame.evaluate("() => performance.now()")
    times = frame.evaluate("() => window.atlas.stats.frameTimes")
    decode = frame.evaluate("() => window.atlas.stats.decodeMs")
    page.mouse.up()
    frames = sum(t_start <= t <= t_end for t in times)
    seconds_in_frame = (t_end - t_start) / 1000
    return {"fps": frames / seconds_in_frame, "frames": frames, "moves_per_s": moves / seconds_in_frame,
            "changed_during_drag": changed, "decode_ms_median": statistics.median(decode[-frames:] or [0]),
            "fps_input_at_250hz": synthetic_fps(frame)}


def synthetic_fps(frame, seconds: float = 1.5) -> float:
    """Frames per second when the slider gets an input event every 4 ms (faster than any mouse): what the frame
    itself can do, not what Playwright can send. Bounded by the display's frame rate (one decode a frame)."""
    return frame.evaluate("""async (seconds) => {
      const input = document.querySelector('input[type="range"]'), s = window.atlas.stats;
      const lo = +input.min, hi = +input.max, f0 = s.frames, t0 = performance.now();
      await new Promise((done) => {
        const timer = setInterval(() => {
          const t = (performance.now() - t0) / 1000;
          input.value = lo + (hi - lo) * (0.5 + 0.45 * Math.sin(6 * t));
          input.dispatchEvent(new Event('input'));
          if (t > seconds) { clearInterval(timer); done(); }
        }, 4);
      });
      return (s.frames - f0) / ((performance.now() - t0) / 1000);
    }""", seconds)


def pan_zoom_gaps(page, frame, seconds: float = 2.0) -> dict:
    """Pan by dragging, then zoom with the wheel: frames drawn and the longest gap between two of them."""
    box = frame.locator("canvas.over").bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    frame.evaluate("() => { window.atlas.stats.gaps.length = 0; window.atlas.stats.frames0 = window.atlas.stats.frames; }")
    t0 = time.monotonic()
    path = [(cx + 150 * ((k % 40) / 20 - 1), cy + 60 * ((k % 20) / 10 - 1)) for k in range(200)]
    drag(page, path, seconds=seconds / 2)
    page.mouse.move(cx, cy)
    for k in range(20):
        page.mouse.wheel(0, -120 if k < 10 else 120)
        page.wait_for_timeout(seconds * 25)
    elapsed = time.monotonic() - t0
    s = stats(frame)
    gaps = s["gaps"] or [0]
    return {"fps": (s["frames"] - s["frames0"]) / elapsed, "worst_gap_ms": max(gaps),
            "median_gap_ms": statistics.median(gaps), "points_per_frame_min": s.get("budgetMin")}


def synthetic_pan(frame, seconds: float = 2.0) -> dict:
    """Pan by a few pixels every animation frame for `seconds`, from inside the frame (no driver in the way):
    frames per second while the view moves, the longest gap, and the JavaScript time of a frame's drawing."""
    return frame.evaluate("""async (seconds) => {
      const s = window.atlas.widget, st = window.atlas.stats, f0 = st.frames, t0 = performance.now();
      st.gaps.length = 0;
      let draw = 0, frames = 0;
      const original = s.frame.bind(s);
      s.frame = (t) => { const a = performance.now(); original(t); draw += performance.now() - a; frames++; };
      await new Promise((done) => {
        const step = () => {
          s.view.panBy(3, 1);
          s.moved();
          if (performance.now() - t0 < seconds * 1000) requestAnimationFrame(step); else done();
        };
        requestAnimationFrame(step);
      });
      s.frame = original;
      const gaps = [...st.gaps].sort((a, b) => a - b);
      return {fps: (st.frames - f0) / ((performance.now() - t0) / 1000), worst_gap_ms: gaps.at(-1) || 0,
              median_gap_ms: gaps[gaps.length >> 1] || 0, js_ms_per_frame: draw / Math.max(1, frames),
              points_per_frame_min: st.budgetMin};
    }""", seconds)


def hover_gallery(page, frame, cells: list[int], columns: int = 8) -> None:
    """Move the mouse over cells of the Inside view's gallery, waiting for each to be drawn in every layer."""
    canvas = frame.locator("figure.gallery canvas").bounding_box()   # in the page's coordinates
    cell_px = canvas["width"] / columns   # 30 px, times the presenter view's scale
    for i in cells:
        x, y = canvas["x"] + (i % columns + 0.5) * cell_px, canvas["y"] + (i // columns + 0.5) * cell_px
        page.mouse.move(x, y, steps=3)
        frame.wait_for_function("(i) => window.atlas.stats.current === i", arg=i, timeout=10_000)
