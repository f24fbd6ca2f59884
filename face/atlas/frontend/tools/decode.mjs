// Decode codes with the browser's decoder under node, for tests/test_decoder_export.py:
//   node tools/decode.mjs DIR   reads DIR/spec.json, DIR/weights.bin, DIR/inputs.json ({codes, labels}),
//                               writes DIR/out.bin: every decoded sample, float64 little-endian, one after another
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeDecoder } from "../src/decoder.js";

const dir = process.argv[2];
const spec = JSON.parse(readFileSync(join(dir, "spec.json"), "utf8"));
const raw = readFileSync(join(dir, "weights.bin"));
const weights = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
const { codes, labels } = JSON.parse(readFileSync(join(dir, "inputs.json"), "utf8"));
const decoder = makeDecoder(spec, weights);
const out = new Float64Array(codes.length * decoder.size);
codes.forEach((z, i) => out.set(decoder.decode(z, labels ? labels[i] : 0), i * decoder.size));
writeFileSync(join(dir, "out.bin"), Buffer.from(out.buffer));
