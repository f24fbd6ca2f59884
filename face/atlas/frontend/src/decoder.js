// The forward pass of Latent Lab's decoders (MLP, conv, LSTM) from the spec aecore/decoder_export.py writes: its op
// list run by the ops of ops.js, which the whole network (network.js) shares.

import { compile, setOneHot, sigmoid } from "./ops.js";

export const FORMAT = 1;

/** The weights as a Float32Array, from an ArrayBuffer or a Float32Array; anything else is refused. */
export function float32Weights(weights) {
  const W = weights instanceof ArrayBuffer ? new Float32Array(weights) : weights;
  if (!(W instanceof Float32Array)) throw new Error("decoder weights must be a Float32Array or an ArrayBuffer");
  return W;
}

export function checkFormat(spec) {
  if (spec.format !== FORMAT) throw new Error(`decoder format ${spec.format}, this bundle reads ${FORMAT}`);
}

/** A decoder: decode(z, label) -> Float64Array of prod(spec.shape) values in data space (valid until the next call). */
export function makeDecoder(spec, weights) {
  checkFormat(spec);
  const k = spec.latent_dim, nc = spec.n_classes || 0, input = new Float64Array(k + nc);
  const steps = compile(spec.ops, float32Weights(weights), [k + nc], {});
  const squash = spec.output === "sigmoid";
  return {
    spec,
    size: spec.shape.reduce((a, b) => a * b, 1),
    decode(z, label = 0) {
      for (let i = 0; i < k; i++) input[i] = z[i];
      if (nc) setOneHot(input.subarray(k), label);
      let x = input;
      for (const { step } of steps) x = step(x);
      if (squash) for (let i = 0; i < x.length; i++) x[i] = sigmoid(x[i]);
      return x;
    },
  };
}
