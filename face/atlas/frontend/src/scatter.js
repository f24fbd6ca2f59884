// The scatter: every point on one canvas (WebGL2, else Canvas 2D), the input under the mouse at once, the decoder
// under the mouse where the view can be inverted, box / lasso selection and pinning sent to Python.

import { makeDecoder } from "./decoder.js";
import { createGL } from "./gl.js";
import { attachPointer } from "./interact.js";
import { applyTheme, colorTable, fillLegend, layout } from "./panel.js";
import { drawDecoded } from "./picture.js";
import { preparePoints } from "./points.js";
import { createRaster, drawDensity } from "./raster.js";
import { loadThumbs } from "./thumbs.js";
import { View, invert, pointStyle } from "./view.js";

const BOX = [0, 0, 184, 120];   // the side pictures' canvas

export class Scatter {
  constructor(root, outbox, stats) {
    this.ui = layout(root);
    this.outbox = outbox;
    this.stats = Object.assign(stats, { points: 0, frames: 0, firstDrawAt: null, hovers: [], clicks: 0, gaps: [] });
    this.renderer = createGL(this.ui.base) || createRaster(this.ui.base);
    this.stats.renderer = this.renderer.kind;
    this.view = new View();
    Object.assign(this, { n: 0, tool: "pan", density: false, hidden: new Set(), selected: [], hovered: -1,
      pinned: -1, probe: null, drag: null, thumbs: null, decoder: null, inverse: null, keys: {} });
    this.budget = Infinity;   // points per frame while the view moves; shrinks when frames get slow
    attachPointer(this);
    new ResizeObserver(() => this.resize()).observe(this.ui.plot);
  }

  render(args, payloads, theme) {
    applyTheme(theme);
    this.ui.plot.style.height = `${args.height || 520}px`;
    this.scale = args.scale || 1;
    const p = args.payloads || {};
    this.names = args.label_names || [];
    const coords = payloads.get(p.coords), labels = p.labels ? payloads.get(p.labels) : null;
    if (coords && (p.coords !== this.keys.coords || p.labels !== this.keys.labels) && (!p.labels || labels)) {
      this.keys.coords = p.coords;
      this.keys.labels = p.labels;
      this.setData(new Float32Array(coords), labels ? new Uint8Array(labels) : new Uint8Array(coords.byteLength / 8));
    }
    const style = JSON.stringify([args.label_names, args.colors]);
    if (this.n && style !== this.keys.style) {
      this.keys.style = style;
      this.recolor(args.colors);
    }
    const thumbs = p.thumbs && payloads.get(p.thumbs);
    if (thumbs && p.thumbs !== this.keys.thumbs) {
      this.keys.thumbs = p.thumbs;
      loadThumbs(args.thumbs, thumbs).then((t) => {
        payloads.release(p.thumbs);
        Object.assign(this, { thumbs: t });
        Object.assign(this.stats, { thumbs: t.count, thumbsAt: Date.now() });
      });
    }
    const weights = p.weights && payloads.get(p.weights);
    if (weights && p.weights !== this.keys.weights) {
      this.keys.weights = p.weights;
      this.decoder = makeDecoder(args.decoder, new Float32Array(weights));
    }
    this.inverse = args.inverse || null;
    this.ui.pictures.probe.figure.style.display = this.inverse && args.decoder ? "" : "none";
    this.requestDraw();
  }

  setData(pos, labels) {
    Object.assign(this, preparePoints(pos, labels));
    this.view.box = this.box;
    this.view.fit();
    this.renderer.setPoints(this.gpos, this.glab);
    Object.assign(this, { selected: [], hovered: -1, pinned: -1, budget: Infinity, drawn: null });
    this.stats.points = this.n;
    this.keys.style = null;   // recolour: the legend counts changed
  }

  recolor(colors) {
    this.table = colorTable(colors, this.hidden);
    this.renderer.setColors(this.table);
    const css = this.counts.map((_, l) => `rgb(${this.table[4 * l]},${this.table[4 * l + 1]},${this.table[4 * l + 2]})`);
    fillLegend(this.ui.legend, this.names || [], this.counts, css, this.hidden, (label) => {
      if (this.hidden.has(label)) this.hidden.delete(label); else this.hidden.add(label);
      this.recolor(colors);
    });
    this.visible = this.counts.reduce((s, c, l) => s + (this.hidden.has(l) ? 0 : c), 0);
    this.drawn = null;
    this.requestDraw();
  }

  resize() {
    const dpr = window.devicePixelRatio || 1, w = this.ui.plot.clientWidth, h = this.ui.plot.clientHeight;
    for (const c of [this.ui.base, this.ui.dens, this.ui.over]) { c.width = Math.round(w * dpr); c.height = Math.round(h * dpr); }
    this.view.resize(w, h);
    this.drawn = null;
    this.requestDraw();
  }

  requestDraw() {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame((t) => this.frame(t));
  }

  /** The view moved: draw a sample while it keeps moving, everything once it rests. */
  moved() {
    this.movingUntil = performance.now() + 180;
    clearTimeout(this.restTimer);
    this.restTimer = setTimeout(() => this.requestDraw(), 200);
    this.requestDraw();
  }

  frame(t) {
    this.pending = false;
    if (!this.n) return;
    const moving = performance.now() < this.movingUntil, dpr = window.devicePixelRatio || 1;
    if (moving && this.lastFrame) this.adapt(t - this.lastFrame);
    this.lastFrame = moving ? t : null;
    const style = pointStyle(this.visible, this.view);
    const d = this.drawn, v = this.view;
    const current = d && d.full && d.cx === v.cx && d.cy === v.cy && d.scale === v.scale;   // only the overlay changed
    if (!current && !(moving && this.shift())) this.draw(moving ? this.budget : this.n, style, dpr);
    this.drawOverlay(style, dpr);
    if (this.probe) this.decodeProbe();
    this.stats.frames++;
    this.ui.status.textContent = `${this.n.toLocaleString("en")} points · ${this.renderer.kind}` +
      (this.selected.length ? ` · ${this.selected.length.toLocaleString("en")} selected` : "");
  }

  /** Draw `count` points (all of them, or a shuffled sample while the view moves) for the current view. */
  draw(count, style, dpr) {
    const layer = this.density ? this.ui.dens : this.ui.base;
    this.ui.dens.style.display = this.density ? "" : "none";
    this.ui.base.style.display = this.density ? "none" : "";
    if (this.density) drawDensity(this.ui.dens, this.view, this.gpos, this.glab, this.table, dpr);
    else this.renderer.draw(this.view, { ...style, count, dpr, dim: this.selected.length > 0 });
    layer.style.transform = "";
    const { cx, cy, scale } = this.view;
    this.drawn = { cx, cy, scale, layer, full: count >= this.n };
    if (!this.stats.firstDrawAt && count >= this.n) {
      this.stats.firstDrawAt = Date.now();
      this.stats.firstDrawPerf = performance.now();
    }
  }

  /**
   * While the view moves, move the last drawing instead of drawing again: a CSS transform costs the compositor
   * next to nothing, where redrawing 200,000 points in software takes tens of ms. Everything is drawn again once
   * the view rests, or sooner when the drawing has moved too far to stand in for the view (returns false).
   */
  shift() {
    const d = this.drawn, v = this.view;
    if (!d) return false;
    const k = v.scale / d.scale, tx = (d.cx - v.cx) * v.scale, ty = (v.cy - d.cy) * v.scale;
    if (k < 0.7 || k > 1.45 || Math.abs(tx) > 0.3 * v.width || Math.abs(ty) > 0.3 * v.height) return false;
    d.layer.style.transform = `translate(${tx}px, ${ty}px) scale(${k})`;
    return true;
  }

  adapt(gap) {
    this.stats.gaps.push(Math.round(gap));
    if (this.stats.gaps.length > 600) this.stats.gaps.shift();
    if (gap > 45) this.budget = Math.max(20000, Math.min(this.n, this.budget) * 0.7);
    else if (gap < 25) this.budget = Math.min(this.n, this.budget * 1.2);
    this.stats.budgetMin = Math.round(Math.min(this.stats.budgetMin || this.n, this.budget, this.n));
  }

  drawOverlay(style, dpr) {
    const ctx = this.ui.over.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, this.view.width, this.view.height);
    const ring = (i, color, width) => {
      if (i < 0) return;
      const [x, y] = this.view.toScreen(this.pos[2 * i], this.pos[2 * i + 1]);
      for (const [c, w] of [["rgba(255, 255, 255, 0.9)", width + 2], [color, width]]) {   // a halo: visible on points
        ctx.beginPath();
        ctx.arc(x, y, style.size / 2 + 4, 0, 2 * Math.PI);
        ctx.lineWidth = w;
        ctx.strokeStyle = c;
        ctx.stroke();
      }
    };
    ring(this.pinned, "#ff4b4b", 2.5);
    ring(this.hovered, getComputedStyle(document.documentElement).getPropertyValue("--fg") || "#111", 1.5);
    if (this.drag && this.drag.mode !== "pan" && this.drag.moved) {
      const d = this.drag;
      ctx.beginPath();
      if (d.mode === "box") ctx.rect(d.x0, d.y0, d.x - d.x0, d.y - d.y0);
      else for (let k = 0; k < d.path.length; k += 2) ctx.lineTo(d.path[k], d.path[k + 1]);
      ctx.closePath();
      ctx.fillStyle = "rgba(255, 75, 75, 0.08)";
      ctx.fill();
      ctx.setLineDash([4, 3]);
      ctx.strokeStyle = "#ff4b4b";
      ctx.lineWidth = 1.5;
      ctx.stroke();
      ctx.setLineDash([]);
    }
  }

  accept = (i) => !this.hidden.has(this.labels[i]);

  /** The visible point under screen position (x, y), or -1. */
  pointAt(x, y, extraPx = 0) {
    const grow = this.scale || 1;   // presenter view: a larger target for the same hand on a projector
    const [dx, dy] = this.view.toData(x, y);
    const r = (Math.max(6, pointStyle(this.visible, this.view).size / 2 + 3) + extraPx) * grow;
    return this.grid.nearest(dx, dy, r / this.view.scale, this.accept);
  }

  hoverAt(x, y, eventTime) {
    if (!this.n) return;
    const i = this.pointAt(x, y);
    if (this.inverse && this.decoder) { this.probe = this.view.toData(x, y); this.probeLabel = this.pointAt(x, y, 40); }
    if (i !== this.hovered) {
      this.hovered = i;
      this.showPoint(this.ui.pictures.hover, i, "Hover a point to see its input");
      requestAnimationFrame(() => { if (i >= 0) this.stats.hovers.push({ index: i, ms: performance.now() - eventTime }); });
    }
    this.requestDraw();
  }

  leave() {
    this.hovered = -1;
    this.requestDraw();
  }

  showPoint(picture, i, idle) {
    picture.ctx.clearRect(...BOX);
    if (i < 0) { picture.caption.textContent = idle; return; }
    if (this.thumbs) this.thumbs.draw(picture.ctx, i, BOX);
    const name = (this.names || [])[this.labels[i]] ?? this.labels[i];
    picture.caption.textContent = `#${i} · ${name}`;
  }

  decodeProbe() {
    const [x, y] = this.probe, z = invert(this.inverse, x, y);
    const label = this.probeLabel >= 0 ? this.labels[this.probeLabel] : 0;
    drawDecoded(this.ui.pictures.probe.ctx, this.decoder.decode(z, label), this.decoder.spec, BOX);
    const cond = this.decoder.spec.n_classes ? ` as ${(this.names || [])[label] ?? label}` : "";
    this.ui.pictures.probe.caption.textContent = `decoded at (${x.toFixed(2)}, ${y.toFixed(2)})${cond}`;
    this.stats.probes = (this.stats.probes || 0) + 1;
  }

  clickAt(x, y) {
    const i = this.pointAt(x, y);
    this.pinned = i;
    this.showPoint(this.ui.pictures.pin, i, "Click a point to pin it");
    if (i >= 0) { this.stats.clicks++; this.outbox.push({ clicked: i }); }
    this.requestDraw();
  }

  select(indices, how) {
    this.selected = indices;
    const mask = new Uint8Array(this.n);
    for (const i of indices) mask[this.rank[i]] = 1;
    this.renderer.setSelected(mask);
    this.drawn = null;
    this.outbox.push({ selected: indices, how }, "select");
    this.requestDraw();
  }

  selectBox(x0, y0, x1, y1) {
    const [a, b] = this.view.toData(x0, y0), [c, d] = this.view.toData(x1, y1);
    this.select(this.grid.inRect(a, b, c, d, this.accept), "box");
  }

  selectLasso(path) {
    const poly = [];
    for (let k = 0; k < path.length; k += 2) poly.push(...this.view.toData(path[k], path[k + 1]));
    this.select(this.grid.inPolygon(poly, this.accept), "lasso");
  }

  clearSelection() {
    if (this.selected.length) this.select([], "clear");
  }

  /** Where point i is, in this frame's CSS pixels (for tests and benchmarks). */
  screenOf(i) {
    const r = this.ui.over.getBoundingClientRect(), [x, y] = this.view.toScreen(this.pos[2 * i], this.pos[2 * i + 1]);
    return [r.left + x, r.top + y];
  }
}
