// The parts around the plot: toolbar, side pictures (hover, decoded under the mouse, pinned), legend, palette.

export const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
  "#bcbd22", "#17becf", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94", "#f7b6d2", "#c7c7c7",
  "#dbdb8d", "#9edae5"];

export function el(tag, attrs = {}, parent = null) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "text") e.textContent = v; else e.setAttribute(k, v);
  }
  if (parent) parent.appendChild(e);
  return e;
}

function hexRGB(hex) {
  const h = hex.replace("#", "");
  const v = parseInt(h.length === 3 ? h.replace(/./g, "$&$&") : h.slice(0, 6), 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
}

/** RGBA (256 x 4 bytes) by label: given colours, else the palette, then golden-angle hues; hidden labels alpha 0. */
export function colorTable(colors, hidden) {
  const rgba = new Uint8Array(256 * 4);
  for (let i = 0; i < 256; i++) {
    let rgb;
    if (colors && colors[i]) rgb = hexRGB(colors[i]);
    else if (i < PALETTE.length) rgb = hexRGB(PALETTE[i]);
    else rgb = hslRGB((i * 137.508) % 360, 0.6, 0.5);
    rgba.set([...rgb, hidden.has(i) ? 0 : 255], 4 * i);
  }
  return rgba;
}

function hslRGB(h, s, l) {
  const f = (n) => {
    const k = (n + h / 30) % 12, a = s * Math.min(l, 1 - l);
    return Math.round(255 * (l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1))));
  };
  return [f(0), f(8), f(4)];
}

/** Build the scatter's DOM under `root`; returns its named parts. */
export function layout(root) {
  const wrap = el("div", { class: "atlas" }, root);
  const bar = el("div", { class: "toolbar" }, wrap);
  const button = (name, text, title) => el("button", { "data-name": name, text, title }, bar);
  const tools = {
    pan: button("pan", "Pan", "Drag to pan, wheel to zoom, click a point to pin it"),
    box: button("box", "Box", "Drag a rectangle to select (or Shift-drag in any tool)"),
    lasso: button("lasso", "Lasso", "Draw around points to select (or Alt-drag in any tool)"),
  };
  el("span", { class: "sep" }, bar);
  const density = button("density", "Density", "Show where points pile up");
  const reset = button("reset", "Reset view", "Show all points");
  const clear = button("clear", "Clear selection", "Esc");
  const status = el("span", { class: "status" }, bar);
  const body = el("div", { class: "body" }, wrap);
  const plot = el("div", { class: "plot" }, body);
  const base = el("canvas", { class: "base" }, plot);
  const dens = el("canvas", { class: "dens" }, plot);
  const over = el("canvas", { class: "over" }, plot);
  const side = el("div", { class: "side" }, body);
  const figure = (name, caption) => {
    const f = el("figure", { class: name }, side);
    const canvas = el("canvas", { class: name, width: 184, height: 120 }, f);
    return { canvas, ctx: canvas.getContext("2d"), caption: el("figcaption", { text: caption }, f), figure: f };
  };
  const pictures = {
    hover: figure("hover", "Hover a point to see its input"),
    probe: figure("probe", "Decoded under the mouse"),
    pin: figure("pin", "Click a point to pin it"),
  };
  const legend = el("div", { class: "legend" }, wrap);
  return { wrap, tools, density, reset, clear, status, plot, base, dens, over, pictures, legend };
}

/** One legend entry per label present: colour, name, count; clicking toggles the label. */
export function fillLegend(legend, names, counts, colors, hidden, onToggle) {
  legend.textContent = "";
  counts.forEach((count, label) => {
    if (!count) return;
    const item = el("span", { "data-label": label, class: hidden.has(label) ? "off" : "" }, legend);
    const dot = el("i", {}, item);
    dot.style.background = colors[label];
    item.append(`${names[label] ?? label} (${count.toLocaleString("en")})`);
    item.addEventListener("click", () => onToggle(label));
  });
}

export function applyTheme(theme) {
  if (!theme) return;
  const s = document.documentElement.style;
  if (theme.backgroundColor) s.setProperty("--bg", theme.backgroundColor);
  if (theme.textColor) s.setProperty("--fg", theme.textColor);
  if (theme.primaryColor) s.setProperty("--accent", theme.primaryColor);
  if (theme.secondaryBackgroundColor) s.setProperty("--panel", theme.secondaryBackgroundColor);
  if (theme.font) s.setProperty("font-family", theme.font);
}
