// Run the whole network in the browser's code under node, for tests/test_network_browser.py:
//   node tools/layers.mjs DIR   reads DIR/spec.json, DIR/weights.bin, DIR/inputs.json ({x, label, eps, code}),
//                               writes DIR/layers.json ([{name, shape}] in network order) and DIR/layers.bin
//                               (every layer's values, float64 little-endian, one layer after another)
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeNetwork } from "../src/network.js";

const dir = process.argv[2];
const spec = JSON.parse(readFileSync(join(dir, "spec.json"), "utf8"));
const raw = readFileSync(join(dir, "weights.bin"));
const weights = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
const { x, label, eps, code } = JSON.parse(readFileSync(join(dir, "inputs.json"), "utf8"));
const layers = makeNetwork(spec, weights).run(x, label ?? 0, eps, code);
const total = layers.reduce((n, layer) => n + layer.values.length, 0), out = new Float64Array(total);
let at = 0;
for (const layer of layers) { out.set(layer.values, at); at += layer.values.length; }
writeFileSync(join(dir, "layers.json"), JSON.stringify(layers.map(({ name, shape }) => ({ name, shape }))));
writeFileSync(join(dir, "layers.bin"), Buffer.from(out.buffer));
