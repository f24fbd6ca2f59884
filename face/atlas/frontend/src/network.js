// The whole autoencoder in the browser, from the spec aecore/decoder_export.export_network writes: the encoder's
// op list, the code (a VAE's head split into mu, sigma and z), then the decoder's, each run by the ops of ops.js.
// run() returns every layer's activations in network order, named as aecore/activations.layer_activations names
// them: "input", the encoder's layers, "code" (or "mu", "sigma", "z"), the decoder's layers, "reconstruction".

import { checkFormat, float32Weights } from "./decoder.js";
import { compile, setOneHot, sigmoid } from "./ops.js";

/** A network: run(x, label, eps) -> [{name, shape, values}], values valid until the next run. */
export function makeNetwork(spec, weights) {
  checkFormat(spec);
  if (!spec.encoder) throw new Error("this spec holds a decoder only: export it with export_network");
  const W = float32Weights(weights), k = spec.latent_dim, nc = spec.n_classes || 0;
  const ctx = { onehot: new Float64Array(nc) }, input = new Float64Array(spec.shape.reduce((a, b) => a * b, 1));
  const encoder = compile(spec.encoder, W, spec.shape, ctx);
  const decoder = compile(spec.ops, W, [k + nc], ctx);
  const head = encoder[encoder.length - 1].shape[0];
  if (head !== (spec.variational ? 2 * k : k)) throw new Error(`the encoder ends in ${head} values, not the code`);
  const mu = new Float64Array(k), sigma = new Float64Array(k), z = new Float64Array(k + nc);
  const named = (steps) => steps.filter((s) => s.name).map(({ name, shape }) => ({ name, shape }));
  const code = spec.variational ? ["mu", "sigma", "z"] : [];   // a plain model's head is the encoder's "code"
  const layers = [{ name: "input", shape: spec.shape }, ...named(encoder),
    ...code.map((name) => ({ name, shape: [k] })), ...named(decoder), { name: "reconstruction", shape: spec.shape }];
  const squash = spec.output === "sigmoid";

  function through(steps, x, out) {
    for (const { step, name } of steps) {
      x = step(x);
      if (name) out.push(x);
    }
    return x;
  }
  return {
    spec,
    layers,
    /**
     * Every layer for sample x (prod(shape) values); a VAE's z = mu + sigma * eps (eps omitted: the mean). `code`,
     * when given, replaces the code the encoder wrote (a person dragging a code unit): the decoder runs from it.
     */
    run(x, label = 0, eps = null, code = null) {
      input.set(x);
      setOneHot(ctx.onehot, label);
      const out = [input], h = through(encoder, input, out);
      if (spec.variational) {
        for (let i = 0; i < k; i++) {
          mu[i] = h[i]; sigma[i] = Math.exp(0.5 * h[k + i]); z[i] = mu[i] + sigma[i] * (eps ? eps[i] : 0);
        }
        out.push(mu, sigma, z.subarray(0, k));
      } else z.set(h);   // the head is the layer named "code": already in out
      if (code) {
        z.set(code.subarray ? code.subarray(0, k) : code.slice(0, k));
        if (!spec.variational) h.set(z.subarray(0, k));   // the code layer shows the code decoded
      }
      z.set(ctx.onehot, k);
      const raw = through(decoder, z, out);
      if (squash) for (let i = 0; i < raw.length; i++) raw[i] = sigmoid(raw[i]);
      out.push(raw);
      return layers.map((layer, i) => ({ ...layer, values: out[i] }));
    },
  };
}

/**
 * The first encoder layer's incoming weights, one picture per unit: {layer (its name), shape, of(j)} where of(j) is
 * unit j's weights (a dense unit's over the input, a label's left out; a feature map's kernel, (cin, k, k)).
 * Null when the first layer has no picture per unit (an LSTM: its weights mix four gates over time).
 */
export function firstLayerWeights(spec, weights) {
  const W = float32Weights(weights), at = spec.encoder.findIndex((op) => op.op === "linear" || op.op === "conv");
  if (at < 0 || spec.encoder.slice(0, at).some((op) => op.op.startsWith("lstm"))) return null;
  const op = spec.encoder[at], layer = spec.encoder.slice(at).find((o) => o.name).name;
  if (op.op === "conv") {
    const n = op.cin * op.k * op.k;
    return { layer, shape: [op.cin, op.k, op.k], of: (j) => W.subarray(op.w + j * n, op.w + (j + 1) * n) };
  }
  const n = spec.shape.reduce((a, b) => a * b, 1);
  return { layer, shape: spec.shape, of: (j) => W.subarray(op.w + j * op.in, op.w + j * op.in + n) };
}
