// What a hovered unit shows (src/unitviews.js): the top samples land in a 3 x 3 grid in order, drawn from bytes over
// the value range; each layer gets one source, the first layer's weights before anything else.
import assert from "node:assert/strict";
import { test } from "node:test";

import { topPicture, unitSources } from "../src/unitviews.js";

test("top samples: a 3 x 3 grid of pictures, highest first, bytes read over the value range", () => {
  const shape = [1, 2, 2], samples = new Uint8Array(4 * 10);
  for (let s = 0; s < 10; s++) samples.fill(s * 25, 4 * s, 4 * s + 4);   // sample s: flat grey s * 25
  const { width, height, rgba } = topPicture(samples, shape, [9, 0, 4, 1, 2, 3, 5, 6, 7], [-1, 1]);
  assert.deepEqual([width, height], [3 * 2 + 2, 3 * 2 + 2]);
  const grey = (x, y) => rgba[4 * (y * width + x)];
  assert.equal(grey(0, 0), 225);     // first: sample 9, 225 / 255 of the range, drawn at its own grey
  assert.equal(grey(3, 1), 0);       // second: sample 0, black
  assert.equal(grey(6, 0), 100);     // third: sample 4
  assert.equal(rgba[4 * (0 * width + 2) + 3], 0);   // the gap between pictures stays transparent
  const strips = topPicture(new Uint8Array(5 * 3), [5, 1], [0, 1, 2], [0, 1]);   // sequences: one strip per row
  assert.deepEqual([strips.width, strips.height], [5, 3 * 1 + 2]);
});

test("each layer's hover source: weights first, then what it paints, then its top samples", () => {
  const first = { layer: "encoder.1", shape: [1, 2, 2], of: () => new Float32Array([1, -1, 0, 0.5]) };
  const units = { paint_layer: "decoder.2", paint_shape: [1, 2, 2], sample_shape: [1, 2, 2],
    top: { "encoder.2": [0, 2, 3], code: [6, 1, 3], "encoder.1": [9, 1, 3] } };
  const bytes = { paints: new Float32Array(8).fill(2).buffer, top: new Int32Array([0, 1, 2, 2, 1, 0, 1, 1, 1]).buffer,
    samples: new Uint8Array(12).buffer };
  const sources = unitSources(units, bytes, first, [0, 1]);
  assert.deepEqual(Object.keys(sources).sort(), ["code", "decoder.2", "encoder.1", "encoder.2"]);
  assert.equal(sources["encoder.1"](0).kind, "weights");
  const painted = sources["decoder.2"](1);
  assert.equal(painted.kind, "paints");
  assert.deepEqual([...painted.picture.rgba.subarray(0, 4)], [255, 100, 25, 255]);   // +2 of a largest 2: full red
  const top = sources["encoder.2"](1);
  assert.equal(top.kind, "top");
  assert.match(top.text, /the 3 samples that excite encoder.2 unit 2/);
  assert.equal(sources.code(1), false);   // the code has one unit here
});

test("code map: both axes on one scale, y up, and a hover picks the nearest dot within reach", async () => {
  const { nearestPoint, placePoints } = await import("../src/codemap.js");
  const placed = placePoints([[0, 0], [2, 1], [1, 0.5]], 100, 10);
  assert.deepEqual(placed[0], [10, 70]);    // x spans 0..2 over 80 px; y's 0..1 is 40 px, centred, upwards
  assert.deepEqual(placed[1], [90, 30]);
  assert.deepEqual(placed[2], [50, 50]);
  assert.equal(nearestPoint(placed, 52, 52, 12), 2);
  assert.equal(nearestPoint(placed, 88, 35, 12), 1);
  assert.equal(nearestPoint(placed, 30, 10, 12), -1);   // nothing near: the current sample stays
});
