// Generate's sliders: one per latent dimension (or per dimension in args.dims, the others held at args.value), the
// decoded sample redrawn while a slider moves (at most once a frame, always for the latest value), and the whole
// code sent to Python when the slider is let go.

import { makeDecoder } from "./decoder.js";
import { applyTheme, el } from "./panel.js";
import { drawDecoded } from "./picture.js";

const SIZE = 240;

export class Sliders {
  constructor(root, outbox, stats) {
    this.root = root;
    this.outbox = outbox;
    this.stats = Object.assign(stats, { frames: 0, frameTimes: [], decodeMs: [], firstDrawAt: null });
    this.keys = {};
    this.decoder = null;
    this.pending = false;
  }

  render(args, payloads, theme) {
    applyTheme(theme);
    const hash = (args.payloads || {}).weights, weights = hash && payloads.get(hash);
    if (weights && hash !== this.keys.weights) {
      this.keys.weights = hash;
      this.decoder = makeDecoder(args.decoder, new Float32Array(weights));
    }
    const shape = JSON.stringify([args.decoder.latent_dim, args.ranges, args.label_names, args.dims, args.names]);
    if (shape !== this.keys.shape) { this.keys.shape = shape; this.build(args); }
    // a new revision (or, without one, a new value) moves the sliders; the same one leaves them where dragged
    const value = JSON.stringify([args.revision ?? args.value, args.label]);
    if (value !== this.keys.value) { this.keys.value = value; this.setCode(args.value, args.label); }
    this.schedule();
  }

  build(args) {
    this.root.textContent = "";
    const wrap = el("div", { class: "sliders" }, this.root), controls = el("div", { class: "controls" }, wrap);
    controls.style.maxHeight = `${args.height || SIZE + 30}px`;
    const k = args.decoder.latent_dim, ranges = args.ranges || Array.from({ length: k }, () => [-3, 3]);
    const dims = args.dims || ranges.map((_, d) => d), titles = args.names || dims.map((d) => `z${d + 1}`);
    controls.style.setProperty("--name", args.names ? "9em" : "34px");
    this.z = new Array(k).fill(0);
    this.label = 0;
    const names = args.label_names || [];
    if (args.decoder.n_classes) {
      this.select = el("select", { title: "The class the decoder is told to draw" }, controls);
      for (let c = 0; c < args.decoder.n_classes; c++) el("option", { value: c, text: names[c] ?? `class ${c}` }, this.select);
      this.select.addEventListener("change", () => { this.label = +this.select.value; this.schedule(); this.send(); });
    }
    this.inputs = new Array(k);   // the shown dimensions' sliders, by dimension
    dims.forEach((d, j) => {
      const [lo, hi] = ranges[d], row = el("label", {}, controls);
      el("span", { text: titles[j] }, row);
      const input = el("input", { type: "range", min: lo, max: hi, step: (hi - lo) / 400, value: 0, "data-dim": d }, row);
      const out = el("output", { text: "0.00" }, row);
      input.addEventListener("input", () => { this.z[d] = +input.value; out.textContent = this.z[d].toFixed(2); this.schedule(); });
      input.addEventListener("change", () => this.send());
      this.inputs[d] = { input, out };
    });
    const figure = el("figure", {}, wrap);
    this.canvas = el("canvas", { width: SIZE, height: SIZE }, figure);
    this.ctx = this.canvas.getContext("2d");
    this.caption = el("figcaption", { text: "your code, decoded in the browser" }, figure);
  }

  setCode(value, label) {
    (value || []).forEach((v, d) => {
      if (d >= this.z.length) return;
      this.z[d] = v;
      const shown = this.inputs[d];
      if (!shown) return;
      shown.input.value = v;
      shown.out.textContent = (+v).toFixed(2);
    });
    if (this.select && label != null) { this.label = label; this.select.value = label; }
  }

  send() {
    this.outbox.push({ code: [...this.z], label: this.decoder && this.decoder.spec.n_classes ? this.label : null }, "code");
  }

  schedule() {
    if (this.pending || !this.decoder) return;
    this.pending = true;
    requestAnimationFrame(() => this.draw());
  }

  draw() {
    this.pending = false;
    const t0 = performance.now(), out = this.decoder.decode(this.z, this.label);
    drawDecoded(this.ctx, out, this.decoder.spec, [0, 0, SIZE, SIZE]);
    const s = this.stats;
    s.frames++;
    s.frameTimes.push(performance.now());
    s.decodeMs.push(performance.now() - t0);
    if (s.frameTimes.length > 2000) { s.frameTimes.shift(); s.decodeMs.shift(); }
    if (!s.firstDrawAt) s.firstDrawAt = Date.now();
  }
}
