// The forward pass of Latent Lab's decoders (MLP, conv, LSTM) from the spec aecore/decoder_export.py writes.
// Plain JavaScript: activations stay in Float64Arrays (weights are float32), so results match PyTorch to ~1e-6.

export const FORMAT = 1;

const sigmoid = (x) => 1 / (1 + Math.exp(-x));
const ACTS = { relu: (x) => (x > 0 ? x : 0), tanh: Math.tanh, sigmoid, identity: null };

function act(op) {
  const fn = ACTS[op.fn];
  if (fn === undefined) throw new Error(`unknown activation ${op.fn}`);
  return (x) => {
    if (fn) for (let i = 0; i < x.length; i++) x[i] = fn(x[i]);
    return x;
  };
}

// y[r, o] = b[o] + W[o, :] . x[r, :] for every row r: a Linear layer over the last axis
function linear(op, W) {
  const n = op.in, m = op.out, w = W.subarray(op.w, op.w + n * m), b = W.subarray(op.b, op.b + m);
  let y = new Float64Array(m);
  return (x) => {
    const rows = x.length / n;
    if (y.length !== rows * m) y = new Float64Array(rows * m);
    for (let r = 0; r < rows; r++) {
      for (let o = 0; o < m; o++) {
        let s = b[o];
        for (let i = 0, wo = o * n, xo = r * n; i < n; i++) s += w[wo + i] * x[xo + i];
        y[r * m + o] = s;
      }
    }
    return y;
  };
}

// ConvTranspose2d as a scatter: every input pixel adds its kernel, weighted, into the output (weight: cin, cout, k, k)
function convT(op, W) {
  const { cin, cout, k, stride, pad, h, w_in: wi, h_out: ho, w_out: wo } = op;
  const kk = k * k, plane = ho * wo;
  const wt = W.subarray(op.w, op.w + cin * cout * kk), bias = W.subarray(op.b, op.b + cout);
  const y = new Float64Array(cout * plane);
  return (x) => {
    for (let co = 0; co < cout; co++) y.fill(bias[co], co * plane, (co + 1) * plane);
    for (let ci = 0; ci < cin; ci++) {
      for (let ih = 0; ih < h; ih++) {
        for (let iw = 0; iw < wi; iw++) {
          const v = x[(ci * h + ih) * wi + iw];
          if (v === 0) continue;   // ReLU leaves many zeros
          for (let kh = 0; kh < k; kh++) {
            const oh = ih * stride - pad + kh;
            if (oh < 0 || oh >= ho) continue;
            for (let kw = 0; kw < k; kw++) {
              const ow = iw * stride - pad + kw;
              if (ow < 0 || ow >= wo) continue;
              const wb = ci * cout * kk + kh * k + kw, ob = oh * wo + ow;
              for (let co = 0; co < cout; co++) y[co * plane + ob] += v * wt[wb + co * kk];
            }
          }
        }
      }
    }
    return y;
  };
}

// gates (4H) = W_ih x + b_ih + b_hh, for one input vector x
function inputGates(W, p, x, xo, n, H, g) {
  for (let j = 0; j < 4 * H; j++) {
    let s = W[p.bias_ih + j] + W[p.bias_hh + j];
    for (let i = 0, wo = p.weight_ih + j * n; i < n; i++) s += W[wo + i] * x[xo + i];
    g[j] = s;
  }
}

// A multi-layer LSTM over T steps of the same input (the code, repeated), as LSTMDecoder runs it
function lstm(op, W) {
  const { hidden: H, steps: T } = op;
  const g = new Float64Array(4 * H), g0 = new Float64Array(4 * H), h = new Float64Array(H), c = new Float64Array(H);
  return (x) => {
    let seq = null;
    op.layers.forEach((p, l) => {
      const n = l === 0 ? op.in : H, out = new Float64Array(T * H);
      h.fill(0); c.fill(0);
      if (l === 0) inputGates(W, p, x, 0, n, H, g0);   // the same input at every step: once is enough
      for (let t = 0; t < T; t++) {
        if (l === 0) g.set(g0); else inputGates(W, p, seq, t * H, n, H, g);
        for (let j = 0; j < 4 * H; j++) {
          let s = 0;
          for (let i = 0, wo = p.weight_hh + j * H; i < H; i++) s += W[wo + i] * h[i];
          g[j] += s;
        }
        for (let j = 0; j < H; j++) {   // PyTorch's gate order: input, forget, cell, output
          c[j] = sigmoid(g[H + j]) * c[j] + sigmoid(g[j]) * Math.tanh(g[2 * H + j]);
          h[j] = sigmoid(g[3 * H + j]) * Math.tanh(c[j]);
        }
        out.set(h, t * H);
      }
      seq = out;
    });
    return seq;
  };
}

const OPS = { act: (op) => act(op), linear, convT, lstm };

/** A decoder: decode(z, label) -> Float64Array of prod(spec.shape) values in data space (valid until the next call). */
export function makeDecoder(spec, weights) {
  if (spec.format !== FORMAT) throw new Error(`decoder format ${spec.format}, this bundle reads ${FORMAT}`);
  const W = weights instanceof ArrayBuffer ? new Float32Array(weights) : weights;
  if (!(W instanceof Float32Array)) throw new Error("decoder weights must be a Float32Array or an ArrayBuffer");
  const steps = spec.ops.map((op) => {
    if (!OPS[op.op]) throw new Error(`unknown decoder op ${op.op}`);
    return OPS[op.op](op, W);
  });
  const k = spec.latent_dim, nc = spec.n_classes || 0, input = new Float64Array(k + nc);
  const squash = spec.output === "sigmoid";
  return {
    spec,
    size: spec.shape.reduce((a, b) => a * b, 1),
    decode(z, label = 0) {
      for (let i = 0; i < k; i++) input[i] = z[i];
      if (nc) { input.fill(0, k); input[k + Math.max(0, Math.min(nc - 1, label | 0))] = 1; }
      let x = input;
      for (const step of steps) x = step(x);
      if (squash) for (let i = 0; i < x.length; i++) x[i] = sigmoid(x[i]);
      return x;
    },
  };
}
