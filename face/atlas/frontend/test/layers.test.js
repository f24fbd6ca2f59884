// The network view's layer forms and pixels (src/layers.js), run by `npm test` and tests/test_atlas_frontend.py.
import assert from "node:assert/strict";
import { test } from "node:test";

import { layerForm, paintLayer, unitAt } from "../src/layers.js";
import { firstLayerWeights } from "../src/network.js";

const pixel = (rgba, form, x, y) => [...rgba.subarray(4 * (y * form.width + x), 4 * (y * form.width + x) + 4)];

test("each layer gets a form fitted to its shape", () => {
  assert.deepEqual(layerForm([1, 28, 28], true), { form: "image", width: 28, height: 28, channels: 1 });
  const maps = layerForm([32, 14, 14]);
  assert.equal(maps.form, "maps");
  assert.equal(maps.cols * maps.rows >= 32 && (maps.cols - 1) * maps.rows < 32, true);
  assert.equal(maps.width, maps.cols * 15 - 1);
  assert.equal(layerForm([1, 28, 28]).form, "maps", "a hidden one-channel map is not a picture of the data");
  assert.deepEqual(layerForm([140, 64]), { form: "sequence", width: 140, height: 64 });
  assert.deepEqual(layerForm([2]), { form: "units", cols: 1, width: 1, height: 2 });
  assert.deepEqual(layerForm([256]), { form: "units", cols: 16, width: 16, height: 16 });
  assert.equal(layerForm([257]).height, 16);   // 17 x 16 cells hold 257 units
});

test("units are coloured by activation: blue below 0, white at 0, red above, scaled by the largest", () => {
  const form = layerForm([3]), rgba = paintLayer(new Float64Array([-2, 0, 1]), form);
  assert.deepEqual(pixel(rgba, form, 0, 0), [30, 120, 255, 255]);
  assert.deepEqual(pixel(rgba, form, 0, 1), [255, 255, 255, 255]);
  assert.deepEqual(pixel(rgba, form, 0, 2), [255, 178, 140, 255]);
  assert.deepEqual([...paintLayer(new Float64Array(3), form)].slice(0, 4), [255, 255, 255, 255], "all zero: white");
});

test("a feature map's value lands in its tile and the gaps stay clear", () => {
  const form = layerForm([2, 4, 5]), values = new Float64Array(40);
  values[20 + 2 * 5 + 3] = 1;             // channel 1, row 2, column 3
  const rgba = paintLayer(values, form);
  assert.equal(form.cols, 2);
  assert.deepEqual(pixel(rgba, form, 6 + 3, 2), [255, 100, 25, 255]);
  assert.deepEqual(pixel(rgba, form, 5, 0), [0, 0, 0, 0]);
  assert.deepEqual(pixel(rgba, form, 3, 2), [255, 255, 255, 255]);
});

test("a sequence runs left to right in time, a feature per row", () => {
  const form = layerForm([3, 2]), rgba = paintLayer(new Float64Array([0, 0, 0, 0, 0, -1]), form);
  assert.deepEqual(pixel(rgba, form, 2, 1), [30, 120, 255, 255]);
  assert.deepEqual(pixel(rgba, form, 1, 1), [255, 255, 255, 255]);
});

test("a picture is drawn in the data's value range", () => {
  const form = layerForm([1, 1, 3], true), rgba = paintLayer(new Float64Array([-1, 0, 1]), form, [-1, 1]);
  assert.deepEqual([0, 1, 2].map((x) => pixel(rgba, form, x, 0)[0]), [0, 128, 255]);
  const rgb = layerForm([3, 1, 1], true), one = paintLayer(new Float64Array([1, 0, 0.5]), rgb);
  assert.deepEqual(pixel(one, rgb, 0, 0), [255, 0, 128, 255]);
});

test("the unit under a pixel: a unit cell, a feature map's tile, nothing in a gap or past the last unit", () => {
  const units = layerForm([20]);                      // 5 x 4 cells
  assert.equal(unitAt(units, 2.5, 1.2, 20), 7);
  assert.equal(unitAt(layerForm([18]), 4, 3, 18), -1, "a cell past the last unit");
  const maps = layerForm([3, 4, 5]);                  // 2 columns of 5-pixel tiles, a 1-pixel gap
  assert.equal(unitAt(maps, 7, 1, 60), 1);
  assert.equal(unitAt(maps, 5, 1, 60), -1, "the gap");
  assert.equal(unitAt(maps, 1, 6, 60), 2);
  assert.equal(unitAt(maps, 7, 6, 60), -1, "no fourth map");
  assert.equal(unitAt(layerForm([3, 2]), 1, 1, 6), -1, "a sequence has no units to pick");
});

test("first-layer weights: a dense unit's over the input (no label), a conv map's kernel, none for an LSTM", () => {
  const W = Float32Array.from({ length: 200 }, (_, i) => i);
  const dense = firstLayerWeights({ format: 1, shape: [1, 2, 2], encoder: [{ op: "flatten" },
    { op: "concat_label", n_classes: 2 }, { op: "linear", in: 6, out: 3, w: 10, b: 28 },
    { op: "act", fn: "relu", name: "encoder.1" }] }, W);
  assert.equal(dense.layer, "encoder.1");
  assert.deepEqual([...dense.of(1)], [16, 17, 18, 19]);
  const conv = firstLayerWeights({ format: 1, shape: [2, 4, 4], encoder: [{ op: "conv", cin: 2, cout: 3, k: 2, w: 40,
    b: 64 }, { op: "act", fn: "relu", name: "encoder.1" }] }, W);
  assert.deepEqual(conv.shape, [2, 2, 2]);
  assert.deepEqual([...conv.of(2)], [56, 57, 58, 59, 60, 61, 62, 63]);
  assert.equal(firstLayerWeights({ format: 1, shape: [5, 1], encoder: [{ op: "lstm_seq", name: "encoder.lstm" },
    { op: "last" }, { op: "linear", in: 4, out: 2, w: 0, b: 8, name: "code" }] }, W), null);
});
