// What a hovered unit stands for, from aecore/views/units.py's unit_views: a unit of the first encoder layer is its
// incoming weights, a unit of the painting layer (the last before the output) what it paints, any other unit the
// dataset samples that excite it most (3 x 3, highest first). unitPicture is pure, so node tests it.

import { layerForm, paintLayer } from "./layers.js";

const GAP = 1;   // pixels between the top samples

/** The top samples of a unit as one RGBA picture: a 3 x 3 grid of images, or a column of sequence strips. */
export function topPicture(samples, sampleShape, indices, range) {
  const form = layerForm(sampleShape, true), size = sampleShape.reduce((a, b) => a * b, 1);
  const cols = form.form === "sequence" ? 1 : 3, rows = Math.ceil(indices.length / cols);
  const width = cols * (form.width + GAP) - GAP, height = rows * (form.height + GAP) - GAP;
  const rgba = new Uint8ClampedArray(width * height * 4), tile = new Uint8ClampedArray(form.width * form.height * 4);
  const values = new Float64Array(size), [lo, hi] = range;
  indices.forEach((s, n) => {
    for (let i = 0; i < size; i++) values[i] = lo + ((hi - lo) * samples[s * size + i]) / 255;
    paintLayer(values, form, range, tile);
    const x0 = (n % cols) * (form.width + GAP), y0 = Math.floor(n / cols) * (form.height + GAP);
    for (let y = 0; y < form.height; y++) {
      rgba.set(tile.subarray(y * form.width * 4, (y + 1) * form.width * 4), ((y0 + y) * width + x0) * 4);
    }
  });
  return { width, height, rgba };
}

/** A picture of weights (a unit's incoming or outgoing): blue negative, red positive, scaled by its largest. */
export function weightPicture(values, shape) {
  const form = layerForm(shape);
  return { width: form.width, height: form.height, rgba: paintLayer(values, form) };
}

/**
 * Everything the panel can show, by layer: {layer -> (unit) -> {picture, text}}. `units` is the args' description,
 * `bytes` its payloads: paints (float32), top (int32), samples (uint8).
 */
export function unitSources(units, bytes, firstWeights, range) {
  const sources = {};
  if (firstWeights) {
    sources[firstWeights.layer] = (j) => ({ kind: "weights", picture: weightPicture(firstWeights.of(j),
      firstWeights.shape), text: `weights into ${firstWeights.layer} unit ${j + 1}` });
  }
  if (!units) return sources;
  if (units.paint_layer && bytes.paints && !sources[units.paint_layer]) {
    const paints = new Float32Array(bytes.paints), n = units.paint_shape.reduce((a, b) => a * b, 1);
    sources[units.paint_layer] = (j) => ({ kind: "paints", text: `what ${units.paint_layer} unit ${j + 1} paints`,
      picture: weightPicture(paints.subarray(j * n, (j + 1) * n), units.paint_shape) });
  }
  if (bytes.top && bytes.samples) {
    const top = new Int32Array(bytes.top), samples = new Uint8Array(bytes.samples);
    for (const [layer, [offset, count, k]] of Object.entries(units.top)) {
      if (sources[layer]) continue;
      sources[layer] = (j) => j < count && ({ kind: "top", text: `the ${k} samples that excite ${layer} unit ${j + 1}`,
        picture: topPicture(samples, units.sample_shape, top.subarray(offset + j * k, offset + (j + 1) * k), range) });
    }
  }
  return sources;
}
