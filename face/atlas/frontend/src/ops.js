// Every op of the op list aecore/network.py derives from a model (linear, act, conv, convT, lstm, lstm_seq, last,
// flatten, concat_label), each written once: the decoder (decoder.js) and the whole network (network.js) run these.
// An op's factory takes the op, the float32 weight buffer W, the shape of its input and a context ({onehot}: the
// label of a conditional model) and returns [step, output shape]; step(x) -> y, a Float64Array that stays valid
// until the step runs again (so activations match PyTorch's float32 to ~1e-6).

export const sigmoid = (x) => 1 / (1 + Math.exp(-x));
const ACTS = { relu: (x) => (x > 0 ? x : 0), tanh: Math.tanh, sigmoid, identity: null };
const size = (shape) => shape.reduce((a, b) => a * b, 1);

function act(op, W, shape) {
  const fn = ACTS[op.fn];
  if (fn === undefined) throw new Error(`unknown activation ${op.fn}`);
  return [(x) => {
    if (fn) for (let i = 0; i < x.length; i++) x[i] = fn(x[i]);
    return x;
  }, shape];
}

// y[r, o] = b[o] + W[o, :] . x[r, :] for every row r: a Linear layer over the last axis
function linear(op, W, shape) {
  const n = op.in, m = op.out, w = W.subarray(op.w, op.w + n * m), b = W.subarray(op.b, op.b + m);
  let y = new Float64Array(m);
  const step = (x) => {
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
  return [step, [...shape.slice(0, -1), m]];
}

// Every (input pixel, output pixel, kernel position) a convolution links; a transposed convolution is the same
// relation read the other way: output (conv) or input (convT) pixel r maps to r * stride + kernel offset - pad.
function links(op, transposed) {
  const { k, stride, pad, h, w_in: wi, h_out: ho, w_out: wo } = op;
  const [sh, sw, th, tw] = transposed ? [h, wi, ho, wo] : [ho, wo, h, wi];
  const out = [];
  for (let r = 0; r < sh; r++) {
    for (let c = 0; c < sw; c++) {
      for (let kh = 0; kh < k; kh++) {
        for (let kw = 0; kw < k; kw++) {
          const tr = r * stride + kh - pad, tc = c * stride + kw - pad;
          if (tr < 0 || tr >= th || tc < 0 || tc >= tw) continue;
          const [src, dst] = [r * sw + c, tr * tw + tc];
          out.push(transposed ? src : dst, transposed ? dst : src, kh * k + kw);
        }
      }
    }
  }
  return Int32Array.from(out);
}

// A (transposed) convolution as sums over its links, the output channels innermost over weights laid out
// (cin, k*k, cout): one contiguous loop per link and input channel, skipping the zeros a ReLU leaves, about 3x
// faster than a per-pixel gather. Input and output are (C, H, W); the sums build in (H, W, C) and are turned back.
function convolution(transposed) {
  return (op, W) => {
    const { cin, cout, k, h, w_in: wi, h_out: ho, w_out: wo } = op;
    const kk = k * k, plane = ho * wo, inPlane = h * wi, pairs = links(op, transposed);
    const w = W.subarray(op.w, op.w + cin * cout * kk), bias = W.subarray(op.b, op.b + cout);
    const wT = new Float32Array(cin * kk * cout);
    for (let ci = 0; ci < cin; ci++) {
      for (let co = 0; co < cout; co++) {
        const from = transposed ? (ci * cout + co) * kk : (co * cin + ci) * kk;
        for (let p = 0; p < kk; p++) wT[(ci * kk + p) * cout + co] = w[from + p];
      }
    }
    const acc = new Float64Array(plane * cout), y = new Float64Array(cout * plane);
    const step = (x) => {
      acc.fill(0);
      for (let l = 0; l < pairs.length; l += 3) {
        const src = pairs[l], ob = pairs[l + 1] * cout, p = pairs[l + 2];
        for (let ci = 0; ci < cin; ci++) {
          const v = x[ci * inPlane + src];
          if (v === 0) continue;
          for (let co = 0, wb = (ci * kk + p) * cout; co < cout; co++) acc[ob + co] += v * wT[wb + co];
        }
      }
      for (let o = 0; o < plane; o++) {
        for (let co = 0; co < cout; co++) y[co * plane + o] = acc[o * cout + co] + bias[co];
      }
      return y;
    };
    return [step, [cout, ho, wo]];
  };
}

// gates (4H) = W_ih x + b_ih + b_hh, for one input vector x (at offset xo)
function inputGates(W, p, x, xo, n, H, g) {
  for (let j = 0; j < 4 * H; j++) {
    let s = W[p.bias_ih + j] + W[p.bias_hh + j];
    for (let i = 0, wo = p.weight_ih + j * n; i < n; i++) s += W[wo + i] * x[xo + i];
    g[j] = s;
  }
}

// One LSTM layer from zero state over T steps; the first layer of a decoder sees the same input at every step
function lstmLayer(W, p, x, n, H, T, repeat, out, { g, g0, h, c }) {
  h.fill(0); c.fill(0);
  if (repeat) inputGates(W, p, x, 0, n, H, g0);   // the same input at every step: once is enough
  for (let t = 0; t < T; t++) {
    if (repeat) g.set(g0); else inputGates(W, p, x, t * n, n, H, g);
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
}

// A stacked LSTM: over the code repeated at every step (the decoder's "lstm") or over the sequence ("lstm_seq");
// the last layer's hidden state at every step, (T, H)
function lstmOver(repeat) {
  return (op, W) => {
    const { hidden: H, steps: T } = op;
    const f64 = (n) => new Float64Array(n), bufs = { g: f64(4 * H), g0: f64(4 * H), h: f64(H), c: f64(H) };
    const outs = op.layers.map(() => new Float64Array(T * H));
    const step = (x) => {
      op.layers.forEach((p, l) => {
        const input = l === 0 ? x : outs[l - 1];
        lstmLayer(W, p, input, l === 0 ? op.in : H, H, T, repeat && l === 0, outs[l], bufs);
      });
      return outs[outs.length - 1];
    };
    return [step, [T, H]];
  };
}

// The last row of a (T, H) sequence: what an LSTM encoder keeps
function last(op, W, shape) {
  const H = shape[shape.length - 1];
  return [(x) => x.subarray(x.length - H), [H]];
}

const flatten = (op, W, shape) => [(x) => x, [size(shape)]];

// The features followed by the one-hot label of a conditional model (ctx.onehot, set before each run)
function concatLabel(op, W, shape, ctx) {
  const n = size(shape), y = new Float64Array(n + op.n_classes);
  return [(x) => { y.set(x.subarray(0, n)); y.set(ctx.onehot, n); return y; }, [n + op.n_classes]];
}

export const OPS = {
  act, linear, conv: convolution(false), convT: convolution(true), lstm: lstmOver(true), lstm_seq: lstmOver(false),
  last, flatten, concat_label: concatLabel,
};

/** The steps of an op list, each with its op's name (or undefined) and output shape; unknown ops throw. */
export function compile(ops, W, shape, ctx) {
  return ops.map((op) => {
    if (!OPS[op.op]) throw new Error(`this browser bundle cannot run op ${op.op}`);
    const [step, out] = OPS[op.op](op, W, shape, ctx);
    shape = out;
    return { step, name: op.name, shape: out };
  });
}

/** A one-hot vector of n classes for `label` (clamped into range). */
export function setOneHot(onehot, label) {
  onehot.fill(0);
  if (onehot.length) onehot[Math.max(0, Math.min(onehot.length - 1, label | 0))] = 1;
  return onehot;
}
