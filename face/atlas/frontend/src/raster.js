// Drawing points on the CPU into ImageData: the fallback where WebGL2 is missing, and the density mode (points
// binned per screen cell: the count sets opacity on a log scale, the cell's colour is its labels' mean colour).

/** The same interface as gl.js's renderer, with Canvas 2D. */
export function createRaster(canvas) {
  const ctx = canvas.getContext("2d");
  let pos = null, lab = null, sel = null, colors = null;
  let acc = null, image = null;
  return {
    kind: "Canvas 2D",
    setPoints(p, l) { pos = p; lab = l; sel = null; },
    setSelected(s) { sel = s; },
    setColors(rgba) { colors = rgba; },
    draw(view, { size, alpha, count, dpr, dim }) {
      const w = canvas.width, h = canvas.height;
      if (!acc || acc.length !== w * h * 4) { acc = new Float32Array(w * h * 4); image = ctx.createImageData(w, h); }
      acc.fill(0);
      const r = Math.max(0.5, (size * dpr) / 2), r2 = r * r, ri = Math.ceil(r);
      const n = Math.min(lab.length, count), k = view.scale * dpr;
      const ox = (view.width / 2) * dpr - view.cx * k, oy = (view.height / 2) * dpr + view.cy * k;
      for (let i = 0; i < n; i++) {
        const c = lab[i] * 4;
        if (colors[c + 3] === 0) continue;
        const px = pos[2 * i] * k + ox, py = oy - pos[2 * i + 1] * k;
        if (px < -ri || py < -ri || px > w + ri || py > h + ri) continue;
        const a = dim && sel && !sel[i] ? alpha * 0.25 : alpha;
        blendDisc(acc, w, h, px, py, r2, ri, colors[c] / 255, colors[c + 1] / 255, colors[c + 2] / 255, a);
      }
      toImage(acc, image.data);
      ctx.putImageData(image, 0, 0);
    },
  };
}

function blendDisc(acc, w, h, px, py, r2, ri, cr, cg, cb, a) {
  const x0 = Math.max(0, Math.floor(px - ri)), x1 = Math.min(w - 1, Math.ceil(px + ri));
  const y0 = Math.max(0, Math.floor(py - ri)), y1 = Math.min(h - 1, Math.ceil(py + ri));
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const dx = x + 0.5 - px, dy = y + 0.5 - py;
      if (dx * dx + dy * dy > r2 && r2 > 1) continue;
      const k = (y * w + x) * 4, keep = 1 - a;   // premultiplied "source over"
      acc[k] = cr * a + acc[k] * keep;
      acc[k + 1] = cg * a + acc[k + 1] * keep;
      acc[k + 2] = cb * a + acc[k + 2] * keep;
      acc[k + 3] = a + acc[k + 3] * keep;
    }
  }
}

function toImage(acc, out) {
  for (let k = 0; k < acc.length; k += 4) {
    const a = acc[k + 3];
    if (a === 0) { out[k + 3] = 0; continue; }
    out[k] = (acc[k] / a) * 255;
    out[k + 1] = (acc[k + 1] / a) * 255;
    out[k + 2] = (acc[k + 2] / a) * 255;
    out[k + 3] = a * 255;
  }
}

/** Density: bin the visible points into cells of `cell` device pixels, draw the bins scaled up and smoothed. */
export function drawDensity(canvas, view, pos, lab, colors, dpr, cell = 3) {
  const ctx = canvas.getContext("2d"), gw = Math.ceil(canvas.width / cell), gh = Math.ceil(canvas.height / cell);
  const count = new Float32Array(gw * gh), rgb = new Float32Array(gw * gh * 3), k = (view.scale * dpr) / cell;
  const ox = (view.width / 2) * (dpr / cell) - view.cx * k, oy = (view.height / 2) * (dpr / cell) + view.cy * k;
  for (let i = 0; i < lab.length; i++) {
    const c = lab[i] * 4;
    if (colors[c + 3] === 0) continue;
    const gx = Math.floor(pos[2 * i] * k + ox), gy = Math.floor(oy - pos[2 * i + 1] * k);
    if (gx < 0 || gy < 0 || gx >= gw || gy >= gh) continue;
    const g = gy * gw + gx;
    count[g]++;
    rgb[3 * g] += colors[c]; rgb[3 * g + 1] += colors[c + 1]; rgb[3 * g + 2] += colors[c + 2];
  }
  let max = 1;
  for (let g = 0; g < count.length; g++) if (count[g] > max) max = count[g];
  const image = new ImageData(gw, gh), d = image.data, logMax = Math.log1p(max);
  for (let g = 0; g < count.length; g++) {
    if (!count[g]) continue;
    const t = Math.log1p(count[g]) / logMax, shade = 1 - 0.45 * t;   // denser: more opaque and darker
    d[4 * g] = (rgb[3 * g] / count[g]) * shade;
    d[4 * g + 1] = (rgb[3 * g + 1] / count[g]) * shade;
    d[4 * g + 2] = (rgb[3 * g + 2] / count[g]) * shade;
    d[4 * g + 3] = 255 * (0.25 + 0.75 * t);
  }
  const small = new OffscreenCanvas(gw, gh);
  small.getContext("2d").putImageData(image, 0, 0);
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(small, 0, 0, gw * cell, gh * cell);
  return max;
}
