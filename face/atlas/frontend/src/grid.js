// A uniform grid over the data box: each cell lists its points (counting sort), so hover, box and lasso look at
// the few cells they touch rather than every point. Built once per data set; pan and zoom never rebuild it.

export class GridIndex {
  constructor(xy, box, perCell = 4) {
    const n = xy.length / 2;
    const [x0, y0, x1, y1] = box;
    this.xy = xy;
    this.x0 = x0;
    this.y0 = y0;
    this.side = Math.max(1, Math.min(2048, Math.ceil(Math.sqrt(n / perCell))));
    this.cw = (x1 - x0) / this.side || 1;
    this.ch = (y1 - y0) / this.side || 1;
    const cells = this.side * this.side, cellOf = new Int32Array(n);
    this.start = new Int32Array(cells + 1);
    for (let i = 0; i < n; i++) {
      cellOf[i] = this.cell(xy[2 * i], xy[2 * i + 1]);
      this.start[cellOf[i] + 1]++;
    }
    for (let c = 0; c < cells; c++) this.start[c + 1] += this.start[c];
    const fill = this.start.slice(0, cells);
    this.items = new Int32Array(n);
    for (let i = 0; i < n; i++) this.items[fill[cellOf[i]]++] = i;
  }

  col(x) {
    return Math.max(0, Math.min(this.side - 1, Math.floor((x - this.x0) / this.cw)));
  }

  row(y) {
    return Math.max(0, Math.min(this.side - 1, Math.floor((y - this.y0) / this.ch)));
  }

  cell(x, y) {
    return this.row(y) * this.side + this.col(x);
  }

  /** Call fn(i) for every point in the cells overlapping [x0, x1] x [y0, y1]. */
  visit(x0, y0, x1, y1, fn) {
    const c0 = this.col(x0), c1 = this.col(x1), r0 = this.row(y0), r1 = this.row(y1);
    for (let r = r0; r <= r1; r++) {
      for (let c = c0; c <= c1; c++) {
        const cell = r * this.side + c;
        for (let k = this.start[cell]; k < this.start[cell + 1]; k++) fn(this.items[k]);
      }
    }
  }

  /** The accepted point nearest (x, y) within `radius` (data units), or -1. */
  nearest(x, y, radius, accept = () => true) {
    let best = -1, bestD = radius * radius;
    this.visit(x - radius, y - radius, x + radius, y + radius, (i) => {
      const dx = this.xy[2 * i] - x, dy = this.xy[2 * i + 1] - y, d = dx * dx + dy * dy;
      if (d <= bestD && accept(i)) { bestD = d; best = i; }
    });
    return best;
  }

  /** Accepted points inside the rectangle, ascending. */
  inRect(x0, y0, x1, y1, accept = () => true) {
    const [ax, bx] = x0 < x1 ? [x0, x1] : [x1, x0], [ay, by] = y0 < y1 ? [y0, y1] : [y1, y0];
    const out = [];
    this.visit(ax, ay, bx, by, (i) => {
      const x = this.xy[2 * i], y = this.xy[2 * i + 1];
      if (x >= ax && x <= bx && y >= ay && y <= by && accept(i)) out.push(i);
    });
    return out.sort((a, b) => a - b);
  }

  /** Accepted points inside the polygon (flat [x, y, x, y, ...] in data units), ascending. */
  inPolygon(poly, accept = () => true) {
    if (poly.length < 6) return [];
    const b = [Infinity, Infinity, -Infinity, -Infinity];
    for (let k = 0; k < poly.length; k += 2) {
      b[0] = Math.min(b[0], poly[k]); b[2] = Math.max(b[2], poly[k]);
      b[1] = Math.min(b[1], poly[k + 1]); b[3] = Math.max(b[3], poly[k + 1]);
    }
    return this.inRect(...b, accept).filter((i) => insidePolygon(this.xy[2 * i], this.xy[2 * i + 1], poly));
  }
}

/** Even-odd rule: does a ray to the right of (x, y) cross the polygon's edges an odd number of times? */
export function insidePolygon(x, y, poly) {
  let inside = false;
  for (let i = 0, j = poly.length - 2; i < poly.length; j = i, i += 2) {
    const xi = poly[i], yi = poly[i + 1], xj = poly[j], yj = poly[j + 1];
    if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}
