// Unit tests of the browser-free parts, run by `npm test` (node --test) and by tests/test_atlas_frontend.py.
import assert from "node:assert/strict";
import { test } from "node:test";

import { GridIndex, insidePolygon } from "../src/grid.js";
import { Outbox } from "../src/protocol.js";
import { Payloads } from "../src/payloads.js";
import { View, bounds, pointStyle } from "../src/view.js";

function randomPoints(n, seed = 3) {
  const xy = new Float32Array(2 * n);
  let a = seed;
  for (let i = 0; i < xy.length; i++) { a = (a * 16807) % 2147483647; xy[i] = (a / 2147483647) * 10 - 5; }
  return xy;
}

test("grid nearest, rectangle and polygon agree with brute force", () => {
  const xy = randomPoints(5000), box = bounds(xy), grid = new GridIndex(xy, box);
  for (const [x, y] of [[0, 0], [4.9, -4.9], [-2.5, 1.25]]) {
    let best = -1, bestD = 0.3 * 0.3;
    for (let i = 0; i < 5000; i++) {
      const d = (xy[2 * i] - x) ** 2 + (xy[2 * i + 1] - y) ** 2;
      if (d <= bestD) { bestD = d; best = i; }
    }
    assert.equal(grid.nearest(x, y, 0.3), best);
  }
  const inRect = [];
  for (let i = 0; i < 5000; i++) if (Math.abs(xy[2 * i] - 1) <= 1 && Math.abs(xy[2 * i + 1]) <= 2) inRect.push(i);
  assert.deepEqual(grid.inRect(2, 2, 0, -2), inRect);
  const tri = [-4, -4, 4, -4, 0, 4], inTri = [];
  for (let i = 0; i < 5000; i++) if (insidePolygon(xy[2 * i], xy[2 * i + 1], tri)) inTri.push(i);
  assert.deepEqual(grid.inPolygon(tri), inTri);
  assert.ok(inTri.length > 1000 && inTri.length < 2500);
});

test("grid skips points it is told to", () => {
  const xy = new Float32Array([0, 0, 0.01, 0]), grid = new GridIndex(xy, [-1, -1, 1, 1]);
  assert.equal(grid.nearest(0, 0, 0.1), 0);
  assert.equal(grid.nearest(0, 0, 0.1, (i) => i !== 0), 1);
});

test("view maps data to screen and back, and zooms about the cursor", () => {
  const v = new View([-2, -1, 2, 1]);
  v.resize(400, 200);
  const [px, py] = v.toScreen(1.5, -0.5), [x, y] = v.toData(px, py);
  assert.ok(Math.abs(x - 1.5) < 1e-9 && Math.abs(y + 0.5) < 1e-9);
  const before = v.toData(100, 50);
  v.zoomAt(100, 50, 3);
  const after = v.toData(100, 50);
  assert.ok(Math.abs(before[0] - after[0]) < 1e-9 && Math.abs(before[1] - after[1]) < 1e-9);
  assert.ok(Math.abs(v.zoom() - 3) < 1e-9);
});

test("points grow and turn opaque as they thin out", () => {
  const v = new View([-1, -1, 1, 1]);
  v.resize(800, 600);
  const dense = pointStyle(200000, v), sparse = pointStyle(500, v);
  assert.ok(dense.size < sparse.size && dense.alpha < sparse.alpha);
  v.zoomAt(400, 300, 16);
  assert.ok(pointStyle(200000, v).size > dense.size);
});

test("outbox sends one event at a time, each until acknowledged, and repeats an unanswered one", async () => {
  const posted = [], box = new Outbox((v) => posted.push(v), 30);
  const a = box.push({ clicked: 1 }), b = box.push({ clicked: 2 });
  box.push({ selected: [1], how: "box" }, "select");
  box.push({ selected: [1, 2], how: "box" }, "select");   // replaces the queued selection
  assert.deepEqual(posted.map((v) => v.nonce), [a]);
  box.ack("someone else's nonce");
  assert.equal(posted.length, 1);
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(posted.map((v) => v.nonce), [a, a], "resent");
  box.ack(a);
  assert.equal(posted.at(-1).nonce, b);
  box.ack(b);
  assert.deepEqual(posted.at(-1).selected, [1, 2]);
  assert.ok(!("_kind" in posted.at(-1)));
  box.ack(posted.at(-1).nonce);
  clearTimeout(box.timer);
  assert.equal(box.queue.length, 0);
});

test("payloads are kept by hash, dropped when no longer named, and missing ones reported", () => {
  const p = new Payloads(), bytes = new Uint8Array([9, 1, 2, 3, 4]).subarray(1);
  assert.deepEqual(p.update({ coords: "h1", thumbs: "h2" }, { data_coords: bytes }), ["h2"]);
  assert.deepEqual([...new Uint8Array(p.get("h1"))], [1, 2, 3, 4], "an aligned copy of the view");
  assert.deepEqual(p.update({ coords: "h1", thumbs: "h2" }, {}), ["h2"], "kept without resending");
  assert.deepEqual(p.update({ coords: "h3" }, {}), ["h3"]);
  assert.equal(p.get("h1"), null);
});

test("an invertible view maps a screen spot back to a code", async () => {
  const { invert } = await import("../src/view.js");
  const z = invert({ mean: [1, 2, 3], components: [[1, 0, 0], [0, 0.6, 0.8]] }, 0.5, -2);
  assert.deepEqual(z.map((v) => +v.toFixed(9)), [1.5, 0.8, 1.4]);   // the same numbers as tests/test_atlas_wire.py
});

test("points are shuffled for drawing, and ranks find each one again", async () => {
  const { preparePoints } = await import("../src/points.js");
  const pos = randomPoints(1000), labels = new Uint8Array(1000).map((_, i) => i % 7);
  const p = preparePoints(pos, labels);
  let moved = 0;
  for (let i = 0; i < 1000; i++) {
    const k = p.rank[i];
    assert.equal(p.gpos[2 * k], pos[2 * i]);
    assert.equal(p.glab[k], labels[i]);
    moved += k !== i;
  }
  assert.ok(moved > 900, "shuffled");
  assert.equal(p.counts[0], 143);
});

test("a released payload frees its bytes but still counts as held", () => {
  const p = new Payloads();
  p.update({ thumbs: "h" }, { data_thumbs: new Uint8Array(1000) });
  p.release("h");
  assert.equal(p.get("h").byteLength, 0);
  assert.deepEqual(p.missing(), []);
});
