// A small atlas of the gallery's codes (aecore/views/units.py's code_map: a 2-number code as it is, a longer one by
// its first two principal components): hover near a dot to pick that sample, so neighbours in the code space are a
// mouse move apart. The nearest dot is found by a plain scan (a gallery holds at most 256).

import { PALETTE, el } from "./panel.js";

const SIZE = 150, PAD = 6, REACH = 12;   // CSS pixels: the square, its margin, how far from a dot a hover picks it

/** Each point's pixel position in a square of `size` (padding `pad`), both axes on one scale, centred. */
export function placePoints(points, size = SIZE, pad = PAD) {
  const xs = points.map((p) => p[0]), ys = points.map((p) => p[1]);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const span = Math.max(x1 - x0, y1 - y0) || 1, k = (size - 2 * pad) / span;
  const dx = (size - k * (x1 - x0)) / 2, dy = (size - k * (y1 - y0)) / 2;
  return points.map(([x, y]) => [dx + k * (x - x0), size - dy - k * (y - y0)]);   // y up, as in the other plots
}

/** The index of the placed point nearest (x, y) within `reach` pixels, or -1. */
export function nearestPoint(placed, x, y, reach = REACH) {
  let best = -1, bestD = reach * reach;
  placed.forEach(([px, py], i) => {
    const d = (px - x) ** 2 + (py - y) ** 2;
    if (d <= bestD) { best = i; bestD = d; }
  });
  return best;
}

/** The code map in `parent`: dots coloured by label; hovering near one calls pick(i); mark(i) rings the current. */
export function buildCodeMap(parent, points, labels, scale, pick) {
  const size = SIZE * scale, ratio = window.devicePixelRatio || 1, placed = placePoints(points, size, PAD * scale);
  const figure = el("figure", { class: "codemap" }, parent);
  const canvas = el("canvas", { width: Math.round(size * ratio), height: Math.round(size * ratio) }, figure);
  canvas.setAttribute("style", `width: ${size}px; height: ${size}px; cursor: crosshair; display: block`);
  el("figcaption", { text: "the samples' codes: hover to pick one" }, figure);
  const ctx = canvas.getContext("2d");
  function mark(current) {
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, size, size);
    placed.forEach(([x, y], i) => {
      ctx.fillStyle = labels ? PALETTE[labels[i] % PALETTE.length] : "#7f7f7f";
      ctx.beginPath();
      ctx.arc(x, y, 2.5 * scale, 0, 2 * Math.PI);
      ctx.fill();
    });
    if (current >= 0) {
      ctx.strokeStyle = "#111";
      ctx.lineWidth = 1.5 * scale;
      ctx.beginPath();
      ctx.arc(placed[current][0], placed[current][1], 5 * scale, 0, 2 * Math.PI);
      ctx.stroke();
    }
  }
  canvas.addEventListener("mousemove", (e) => {
    const i = nearestPoint(placed, e.offsetX, e.offsetY, REACH * scale);
    if (i >= 0) pick(i);
  });
  mark(-1);
  return { mark, placed, canvas };
}
