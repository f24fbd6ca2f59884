// Where the data sits on screen: one scale for both axes (distances in a code space mean the same both ways),
// and how big and opaque a point is, from how many pixels each point gets at this zoom.

const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));

/** Data bounds of 2N interleaved coordinates: [minX, minY, maxX, maxY] (finite values only). */
export function bounds(xy) {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (let i = 0; i < xy.length; i += 2) {
    const x = xy[i], y = xy[i + 1];
    if (x < x0) x0 = x; if (x > x1) x1 = x;
    if (y < y0) y0 = y; if (y > y1) y1 = y;
  }
  if (!(x1 >= x0)) return [-1, -1, 1, 1];
  if (x1 === x0) { x0 -= 1; x1 += 1; }
  if (y1 === y0) { y0 -= 1; y1 += 1; }
  return [x0, y0, x1, y1];
}

export class View {
  constructor(box = [-1, -1, 1, 1]) {
    this.box = box;
    this.width = 1;
    this.height = 1;
    this.fit();
  }

  resize(width, height) {
    const zoom = this.zoom();
    this.width = Math.max(1, width);
    this.height = Math.max(1, height);
    this.scale = this.fitScale() * zoom;
  }

  fitScale() {
    const [x0, y0, x1, y1] = this.box;
    return 0.94 * Math.min(this.width / (x1 - x0), this.height / (y1 - y0));
  }

  /** Show the whole data box. */
  fit() {
    const [x0, y0, x1, y1] = this.box;
    this.cx = (x0 + x1) / 2;
    this.cy = (y0 + y1) / 2;
    this.scale = this.fitScale();
  }

  zoom() {
    return this.scale / this.fitScale();
  }

  toScreen(x, y) {
    return [(x - this.cx) * this.scale + this.width / 2, this.height / 2 - (y - this.cy) * this.scale];
  }

  toData(px, py) {
    return [(px - this.width / 2) / this.scale + this.cx, (this.height / 2 - py) / this.scale + this.cy];
  }

  /** Zoom by `factor` keeping the data under (px, py) in place; zoom stays within 1/4..4096 of the fit. */
  zoomAt(px, py, factor) {
    const [x, y] = this.toData(px, py);
    const fit = this.fitScale();
    this.scale = clamp(this.scale * factor, fit / 4, fit * 4096);
    const [x2, y2] = this.toData(px, py);
    this.cx += x - x2;
    this.cy += y - y2;
  }

  panBy(dxPx, dyPx) {
    this.cx -= dxPx / this.scale;
    this.cy += dyPx / this.scale;
  }
}

/**
 * Point size (px) and opacity for n points at this zoom: pixels per point, counted over the data box on screen,
 * grow with the square of the zoom. Sparse: big opaque dots; dense: small faint ones, so piles show as depth.
 */
export function pointStyle(n, view) {
  const [x0, y0, x1, y1] = view.box;
  const area = (x1 - x0) * (y1 - y0) * view.scale * view.scale;
  const perPoint = area / Math.max(1, n);
  const size = clamp(0.6 * Math.sqrt(perPoint), 2, 10);
  const alpha = clamp(perPoint / (2 * size * size), 0.25, 0.9);
  return { size, alpha };
}

/** The code at view point (x, y) of an invertible view: z = mean + x * components[0] + y * components[1]. */
export function invert({ mean, components }, x, y) {
  return mean.map((m, k) => m + x * components[0][k] + y * components[1][k]);
}
