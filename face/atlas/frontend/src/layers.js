// How the network view draws a layer, in a form fitted to its shape, as RGBA pixels a canvas can take at once
// (putImageData, then CSS scaling with image-rendering: pixelated): an image (C of 1 or 3, H, W) as itself in grey
// or colour, feature maps (C, H, W) as tiles, a sequence (T, F) as a heat map with time left to right, and a
// vector of units as a near-square grid of cells. Pure functions, so node tests them and the page only blits.

const GAP = 1;   // pixels between feature-map tiles

/** The form and pixel size of a layer of `shape`; `picture`: the layer is in data space (input, reconstruction). */
export function layerForm(shape, picture = false) {
  if (shape.length === 3 && picture && (shape[0] === 1 || shape[0] === 3)) {
    return { form: "image", width: shape[2], height: shape[1], channels: shape[0] };
  }
  if (shape.length === 3) {
    const [c, h, w] = shape, cols = Math.ceil(Math.sqrt(c * h / w)), rows = Math.ceil(c / cols);
    return { form: "maps", cols, rows, tile: [h, w], width: cols * (w + GAP) - GAP, height: rows * (h + GAP) - GAP };
  }
  if (shape.length === 2) return { form: "sequence", width: shape[0], height: shape[1] };
  const n = shape[0], cols = n <= 16 ? 1 : Math.ceil(Math.sqrt(n));   // a small code: one column of units
  return { form: "units", cols, width: cols, height: Math.ceil(n / cols) };
}

/** The colour of an activation v in [-1, 1] (already scaled): blue below 0, white at 0, orange-red above. */
function diverging(v, out, o) {
  const t = Math.min(1, Math.abs(v));
  const [r, g, b] = v >= 0 ? [255, 255 - 155 * t, 255 - 230 * t] : [255 - 225 * t, 255 - 135 * t, 255];
  out[o] = r; out[o + 1] = g; out[o + 2] = b; out[o + 3] = 255;
}

/** The pixel (x, y) of value i of a layer drawn in `form`. */
function place(form, i) {
  if (form.form === "maps") {
    const [h, w] = form.tile, c = Math.floor(i / (h * w)), r = i % (h * w);
    const x0 = (c % form.cols) * (w + GAP), y0 = Math.floor(c / form.cols) * (h + GAP);
    return [x0 + (r % w), y0 + Math.floor(r / w)];
  }
  if (form.form === "sequence") return [Math.floor(i / form.height), i % form.height];
  return [i % form.width, Math.floor(i / form.width)];
}

/**
 * The RGBA pixels (Uint8ClampedArray, width * height * 4) of a layer's values. An image maps `range` ([lo, hi],
 * the data's value range) to black..white; any other form scales by the layer's own largest |value|, so a layer of
 * small activations still shows its pattern. Pixels no value lands on (between tiles) stay transparent.
 */
export function paintLayer(values, form, range = [0, 1], out = null) {
  const rgba = out || new Uint8ClampedArray(form.width * form.height * 4);
  rgba.fill(0);
  if (form.form === "image") {
    const [lo, hi] = range, plane = form.width * form.height, span = hi - lo || 1, rgb = form.channels === 3;
    for (let p = 0; p < plane; p++) {
      for (let ch = 0; ch < 3; ch++) rgba[4 * p + ch] = (255 * (values[(rgb ? ch * plane : 0) + p] - lo)) / span;
      rgba[4 * p + 3] = 255;
    }
    return rgba;
  }
  let top = 0;
  for (let i = 0; i < values.length; i++) top = Math.max(top, Math.abs(values[i]));
  const scale = top > 0 ? 1 / top : 0;
  for (let i = 0; i < values.length; i++) {
    const [x, y] = place(form, i);
    diverging(values[i] * scale, rgba, 4 * (y * form.width + x));
  }
  return rgba;
}

/** The unit (or feature map) of a layer of `n` values drawn in `form` at pixel (x, y), or -1 (a gap, a sequence). */
export function unitAt(form, x, y, n) {
  x = Math.floor(x); y = Math.floor(y);
  if (x < 0 || y < 0 || x >= form.width || y >= form.height) return -1;
  if (form.form === "units") {
    const i = y * form.width + x;
    return i < n ? i : -1;
  }
  if (form.form === "maps") {
    const [h, w] = form.tile, col = Math.floor(x / (w + GAP)), row = Math.floor(y / (h + GAP));
    const inside = x % (w + GAP) < w && y % (h + GAP) < h, c = row * form.cols + col;
    return inside && c < n / (h * w) ? c : -1;
  }
  return -1;
}
