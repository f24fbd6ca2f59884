// Entry point: one component, three modes: "scatter" (Latent space), "sliders" (Generate) or "network" (Inside the
// network), chosen by args.mode.
// window.atlas exposes counters (first draw, frames, hover latencies, clicks) to the browser tests and benchmark.

import { Inside } from "./inside.js";
import { Payloads } from "./payloads.js";
import { Outbox, connect, setFrameHeight } from "./protocol.js";
import { Scatter } from "./scatter.js";
import { Sliders } from "./sliders.js";

const root = document.getElementById("root");
const payloads = new Payloads();
const outbox = new Outbox();
const stats = { renders: 0, sent: 0, scriptAt: performance.now() };   // ms since this frame's navigation
let widget = null;
const WIDGETS = { scatter: Scatter, sliders: Sliders, network: Inside };

const post = outbox.post;
outbox.post = (value) => { stats.sent++; post(value); };
window.atlas = { stats, outbox, get widget() { return widget; } };

function onRender({ args, theme }) {
  if (!stats.renders++) stats.firstRenderAt = performance.now();
  outbox.ack(args.ack && args.ack.nonce);
  payloads.update(args.payloads, args);
  // presenter view: type, pictures and hit areas grow with the page around the frame (index.html's var(--s))
  document.documentElement.style.setProperty("--s", String(args.scale || 1));
  if (!widget) widget = new (WIDGETS[args.mode] || Scatter)(root, outbox, stats);
  widget.render(args, payloads, theme);
  // ask for what this frame lacks once the points are on screen: pictures and weights come second
  requestAnimationFrame(() => setTimeout(askMissing, 0));
}

/** One request at a time: the render that acknowledges it carries the bytes, and only then do we ask again. */
function askMissing() {
  const missing = payloads.missing();
  if (missing.length && !outbox.queue.some((e) => e.need)) outbox.push({ need: missing }, "need");
}

new ResizeObserver(() => setFrameHeight(document.documentElement.scrollHeight)).observe(root);
connect(onRender);
