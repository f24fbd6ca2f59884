// Drawing one sample: an image (C = 1 or 3 channels) scaled up with crisp pixels, or a sequence / vector as a
// small line plot. Used for hover thumbnails (uint8) and decoded outputs (floats in the data's value range).

const LINE_COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"];
const scratch = new Map();   // "w x h" -> {canvas, image}: one small canvas per tile size

function tileCanvas(w, h) {
  const key = `${w}x${h}`;
  if (!scratch.has(key)) {
    const canvas = new OffscreenCanvas(w, h);
    scratch.set(key, { canvas, ctx: canvas.getContext("2d"), image: new ImageData(w, h) });
  }
  return scratch.get(key);
}

/** An image whose pixel k of channel c is value(c * h * w + k) in 0..255, into the box (x, y, bw, bh). */
export function drawPixels(ctx, value, channels, h, w, box) {
  const t = tileCanvas(w, h), d = t.image.data, plane = h * w;
  for (let k = 0; k < plane; k++) {
    const r = value(k), g = channels === 3 ? value(plane + k) : r, b = channels === 3 ? value(2 * plane + k) : r;
    d[4 * k] = r; d[4 * k + 1] = g; d[4 * k + 2] = b; d[4 * k + 3] = 255;
  }
  t.ctx.putImageData(t.image, 0, 0);
  const [x, y, bw, bh] = fitBox(box, w, h);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(t.canvas, x, y, bw, bh);
}

/** F lines over T steps; value(t, f) in 0..1 (0 at the bottom of the box). */
export function drawLines(ctx, value, steps, features, box, background = "#f6f6f6") {
  const [x, y, w, h] = box;
  ctx.fillStyle = background;
  ctx.fillRect(x, y, w, h);
  ctx.lineWidth = 1.5;
  for (let f = 0; f < features; f++) {
    ctx.strokeStyle = LINE_COLORS[f % LINE_COLORS.length];
    ctx.beginPath();
    for (let t = 0; t < steps; t++) {
      const px = x + 3 + ((w - 6) * t) / Math.max(1, steps - 1), py = y + h - 3 - (h - 6) * value(t, f);
      if (t === 0) ctx.moveTo(px, py); else ctx.lineTo(px, py);
    }
    ctx.stroke();
  }
}

/** The largest box of aspect w:h centred in `box`. */
function fitBox([x, y, bw, bh], w, h) {
  const s = Math.min(bw / w, bh / h);
  return [x + (bw - w * s) / 2, y + (bh - h * s) / 2, w * s, h * s];
}

/** A decoded sample (values in spec.value_range) drawn by the shape of the data: image, sequence or vector. */
export function drawDecoded(ctx, values, spec, box) {
  const [lo, hi] = spec.value_range, span = hi - lo || 1, shape = spec.shape;
  const unit = (v) => Math.min(1, Math.max(0, (v - lo) / span));
  ctx.clearRect(...box);
  if (shape.length === 3 && (shape[0] === 1 || shape[0] === 3)) {
    drawPixels(ctx, (k) => 255 * unit(values[k]), shape[0], shape[1], shape[2], box);
  } else if (shape.length === 2) {
    drawLines(ctx, (t, f) => unit(values[t * shape[1] + f]), shape[0], shape[1], box);
  } else {
    drawLines(ctx, (t) => unit(values[t]), values.length, 1, box);
  }
}
