// "Inside the network": a gallery of samples, and for the one under the mouse every layer of the autoencoder, left
// to right, computed in the browser (network.js) and drawn in a form fitted to its shape (layers.js). A hover
// redraws all layers within a frame; window.atlas.stats.hoverMs holds each hover's event-to-drawn time.

import { layerForm, paintLayer, unitAt } from "./layers.js";
import { firstLayerWeights, makeNetwork } from "./network.js";
import { applyTheme, el } from "./panel.js";
import { buildCodeMap } from "./codemap.js";
import { unitSources } from "./unitviews.js";

const DRAG_PER_PX = 0.03;   // code units per pixel dragged: 100 px moves a unit by 3, a VAE prior's 3 sigma
const LAYER_HEIGHT = 150, MIN_HEIGHT = 56, GALLERY_COLS = 8, GALLERY_CELL = 30;
const isPicture = (name) => name === "input" || name === "reconstruction";
const pixelated = "image-rendering: pixelated; display: block; background: transparent";

/** The unit of a layer's view (of n values) under a mouse event, or -1. */
function unitUnder(view, e, n) {
  const r = view.canvas.getBoundingClientRect(), f = view.form;
  return unitAt(f, ((e.clientX - r.left) / r.width) * f.width, ((e.clientY - r.top) / r.height) * f.height, n);
}

export class Inside {
  constructor(root, outbox, stats) {
    Object.assign(this, { root, outbox, key: null, current: -1, pending: null });
    this.stats = Object.assign(stats, { hovers: 0, drawn: 0, hoverMs: [], current: -1, layers: 0, error: null,
      weightsUnit: -1, dragged: 0, unit: null, firing: -1 });
  }

  render(args, payloads, theme) {
    applyTheme(theme);
    const p = args.payloads || {}, weights = payloads.get(p.weights), samples = payloads.get(p.samples);
    // the units' pictures come second (lazy payloads): their arrival redraws the view with them
    const held = [p.paints, p.top, p.unit_samples].map((h) => (payloads.get(h) ? h : "")).join("/");
    const key = [p.weights, p.samples, p.targets, held, args.scale].join("/");
    if (!weights || !samples || key === this.key) return;
    this.key = key;
    try {
      this.net = makeNetwork(args.network, new Float32Array(weights));
    } catch (err) {   // a spec this bundle cannot run: say so; the page shows the server's layers instead
      this.stats.error = err.message;
      this.root.textContent = `This model's layers cannot be computed in the browser: ${err.message}`;
      return;
    }
    const targets = payloads.get(p.targets);
    Object.assign(this, { samples: new Float32Array(samples), labels: args.labels || null, range: args.value_range,
      targets: targets && new Float32Array(targets), fire: args.fire ?? null });
    this.weights = firstLayerWeights(args.network, new Float32Array(weights));
    this.sources = unitSources(args.units, { paints: payloads.get(p.paints), top: payloads.get(p.top),
      samples: payloads.get(p.unit_samples) }, this.weights, this.range);
    this.size = this.net.layers[0].shape.reduce((a, b) => a * b, 1);
    this.build(args);
    // a new snapshot while training keeps the sample under study
    this.show(Math.min(this.current >= 0 ? this.current : args.index || 0, this.count - 1));
  }

  build(args) {
    this.root.textContent = "";
    this.count = this.samples.length / this.size;
    this.scale = args.scale || 1;   // presenter view: the layers, the gallery and the unit's picture grow
    // the network first, across the whole width; below it the gallery to hover and what a hovered unit stands for
    const row = el("div", { class: "layers", style: "display: flex; gap: 10px; flex-wrap: wrap" }, this.root);
    const side = el("div", { style: "display: flex; gap: 12px; align-items: flex-start; margin-top: 8px" },
      this.root);
    this.buildGallery(el("figure", { class: "gallery" }, side));
    const map = args.code_map;
    this.codeMap = map && buildCodeMap(side, map.points, map.labels, this.scale, (i) => this.hover(i));
    this.views = this.net.layers.map(({ name, shape }) => {
      const form = layerForm(shape, isPicture(name)), figure = el("figure", { "data-layer": name }, row);
      const canvas = el("canvas", { width: form.width, height: form.height }, figure);
      const text = name === "input" && this.targets ? "input (noisy)" : `${name} ${shape.join("×")}`;
      const caption = el("figcaption", { text, title: `${name}: ${shape.join(" × ")} values` }, figure);
      const image = new ImageData(form.width, form.height);
      return { name, form, canvas, caption, ctx: canvas.getContext("2d"), image };
    });
    if (this.targets) this.views.push(this.buildTarget(row));
    this.row = row;
    this.buildUnits(side);
    this.buildDrag();
    this.fit();
    new ResizeObserver(() => this.fit()).observe(row);
    this.stats.layers = this.views.length;
    this.caption = el("div", { class: "message" }, this.root);
    if (args.caption) this.caption.textContent = args.caption;
  }

  buildGallery(figure) {
    const rows = Math.ceil(this.count / GALLERY_COLS), { name, shape } = this.net.layers[0];
    const [width, height] = [GALLERY_COLS * GALLERY_CELL, rows * GALLERY_CELL];
    const canvas = el("canvas", { width, height }, figure);
    const css = `width: ${width * this.scale}px; height: ${height * this.scale}px`;
    canvas.setAttribute("style", `${pixelated}; ${css}; cursor: crosshair`);
    this.galleryCaption = el("figcaption", { text: "hover a sample" }, figure);
    const ctx = canvas.getContext("2d"), form = layerForm(shape, isPicture(name));
    const tile = new OffscreenCanvas(form.width, form.height), tctx = tile.getContext("2d");
    const image = new ImageData(form.width, form.height);
    ctx.imageSmoothingEnabled = false;
    for (let i = 0; i < this.count; i++) {
      image.data.set(paintLayer(this.sample(i), form, this.range));
      tctx.putImageData(image, 0, 0);
      ctx.drawImage(tile, (i % GALLERY_COLS) * GALLERY_CELL + 1, Math.floor(i / GALLERY_COLS) * GALLERY_CELL + 1,
        GALLERY_CELL - 2, GALLERY_CELL - 2);
    }
    canvas.addEventListener("mousemove", (e) => {
      const cell = GALLERY_CELL * this.scale, col = Math.floor(e.offsetX / cell);
      const i = Math.floor(e.offsetY / cell) * GALLERY_COLS + col;
      if (col >= 0 && col < GALLERY_COLS) this.hover(i);
    });
  }

  /** Sample i is under the mouse (in the gallery or the code map): the latest hover wins; a frame draws it once. */
  hover(i) {
    if (i < 0 || i >= this.count || i === this.current) return;
    this.stats.hovers++;
    this.current = i;
    if (!this.pending) requestAnimationFrame(() => this.drawPending());
    this.pending = { i, at: performance.now() };
  }

  /** Every layer at one height, as tall as lets the row fit its width (at most LAYER_HEIGHT), wide ones capped. */
  fit() {
    const width = (v, h) => Math.min(v.form.width * (h / v.form.height), 2.5 * h);
    const room = this.row.clientWidth - 40 * this.views.length;   // gaps, padding, and room for the captions
    const tallest = LAYER_HEIGHT * this.scale, natural = this.views.reduce((sum, v) => sum + width(v, tallest), 0);
    const height = Math.max(MIN_HEIGHT, Math.min(tallest, (tallest * room) / natural));
    for (const v of this.views) {
      // a strip (a sequence of one feature) keeps a readable band, not a 2-pixel line
      const w = width(v, height), h = Math.max(Math.min(height, (w * v.form.height) / v.form.width), height / 3);
      v.canvas.setAttribute("style", `${pixelated}; width: ${w}px; height: ${h}px`);
      v.canvas.parentNode.style.maxWidth = `${Math.max(w, 60) + 12}px`;   // a long caption is cut, not widening
    }
  }

  /** The clean target a denoiser is asked for, beside its reconstruction of the noisy input. */
  buildTarget(row) {
    const shape = this.net.layers[0].shape, form = layerForm(shape, true), figure = el("figure", {
      "data-layer": "target" }, row);
    const canvas = el("canvas", { width: form.width, height: form.height }, figure);
    el("figcaption", { text: "clean target", title: "what the denoiser is trained to give back" }, figure);
    const image = new ImageData(form.width, form.height);
    return { name: "target", form, canvas, ctx: canvas.getContext("2d"), image };
  }

  /** Hover a unit: the first layer's shows its weights, the painting layer's what it paints, others their top 9. */
  buildUnits(side) {
    this.stats.unit = null;   // a rebuilt view (a new snapshot) shows the next hovered unit afresh
    if (!Object.keys(this.sources).length) return;
    const figure = el("figure", { class: "weights" }, side), canvas = el("canvas", { width: 1, height: 1 }, figure);
    const caption = el("figcaption", { text: "hover a unit of a layer: what it stands for" }, figure);
    const ctx = canvas.getContext("2d");
    this.net.layers.forEach(({ name, shape }, j) => {
      const source = this.sources[name], view = this.views[j], n = shape.reduce((a, b) => a * b, 1);
      if (!source) return;
      view.canvas.style.cursor = "crosshair";
      view.canvas.addEventListener("mousemove", (e) => {
        const unit = unitUnder(view, e, n), shown = this.stats.unit;
        if (unit < 0 || (shown && shown.layer === name && shown.unit === unit)) return;
        const found = source(unit);
        if (!found) return;
        const { width, height, rgba } = found.picture, scale = (150 * this.scale) / Math.max(width, height);
        Object.assign(canvas, { width, height });
        canvas.setAttribute("style", `${pixelated}; width: ${width * scale}px; height: ${height * scale}px`);
        ctx.putImageData(new ImageData(rgba, width, height), 0, 0);
        caption.textContent = found.text;
        this.stats.unit = { layer: name, unit, kind: found.kind };
        if (found.kind === "weights") this.stats.weightsUnit = unit;
      });
    });
  }

  sample(i) {
    return this.samples.subarray(i * this.size, (i + 1) * this.size);
  }

  drawPending() {
    const { i, at } = this.pending;
    this.pending = null;
    this.show(i);
    this.stats.hoverMs.push(performance.now() - at);
  }

  /** Drag a code unit up or down: the decoder's layers and the output follow (the encoder's stay the sample's). */
  buildDrag() {
    const j = this.net.layers.findIndex((l) => l.name === "z" || l.name === "code"), view = this.views[j];
    const k = this.net.layers[j].shape[0];
    view.canvas.style.cursor = "ns-resize";
    view.canvas.title = "drag a code unit up or down: the decoder redraws";
    view.canvas.addEventListener("pointerdown", (e) => {
      const unit = unitUnder(view, e, k);
      if (unit < 0) return;
      view.canvas.setPointerCapture(e.pointerId);
      this.drag = { unit, y0: e.clientY, v0: this.code[unit] };
    });
    view.canvas.addEventListener("pointermove", (e) => {
      if (!this.drag) return;
      this.code[this.drag.unit] = this.drag.v0 + (this.drag.y0 - e.clientY) * DRAG_PER_PX;
      if (!this.dragPending) {
        this.dragPending = true;
        requestAnimationFrame(() => { this.dragPending = false; this.show(this.current, this.code); });
      }
    });
    const end = () => { if (this.drag) this.stats.dragged++; this.drag = null; };
    view.canvas.addEventListener("pointerup", end);
    view.canvas.addEventListener("pointercancel", end);
    this.codeLayer = j;
  }

  /** Run the network on sample i (from `code` instead of the encoder's, when given) and draw every layer. */
  show(i, code = null) {
    this.current = i;
    const layers = this.net.run(this.sample(i), this.labels ? this.labels[i] : 0, null, code);
    if (!code) this.code = Float64Array.from(layers[this.codeLayer].values);
    if (this.targets) layers.push({ values: this.targets.subarray(i * this.size, (i + 1) * this.size) });
    layers.forEach((layer, j) => {
      const v = this.views[j];
      paintLayer(layer.values, v.form, this.range, v.image.data);
      v.ctx.putImageData(v.image, 0, 0);
    });
    if (this.fire !== null) this.showFiring(layers[this.codeLayer].values);
    this.galleryCaption.textContent = `sample ${i + 1} of ${this.count}: hover another`;
    if (this.codeMap) this.codeMap.mark(i);
    Object.assign(this.stats, { drawn: this.stats.drawn + 1, current: i });
    this.stats.firstDrawAt ??= performance.now();
  }

  /** A sparse code: how many of its units fire (|value| at least the threshold), in the code's caption. */
  showFiring(code) {
    const view = this.views[this.codeLayer];
    let firing = 0;
    for (let u = 0; u < code.length; u++) if (Math.abs(code[u]) >= this.fire) firing++;
    view.caption.textContent = `${view.name}: ${firing} of ${code.length} fire`;
    view.caption.title = `units with |value| ≥ ${this.fire} fire; the others are near 0 (white)`;
    this.stats.firing = firing;
  }
}
