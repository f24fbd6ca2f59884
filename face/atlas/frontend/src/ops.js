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

// Conv2d as a gather: every output pixel sums its window of every input channel (weight: cout, cin, k, k)
function conv(op, W) {
  const { cin, cout, k, stride, pad, h, w_in: wi, h_out: ho, w_out: wo } = op;
  const kk = k * k, plane = ho * wo;
  const wt = W.subarray(op.w, op.w + cin * cout * kk), bias = W.subarray(op.b, op.b + cout);
  const y = new Float64Array(cout * plane);
  const step = (x) => {
    for (let co = 0; co < cout; co++) {
      for (let oh = 0; oh < ho; oh++) {
        for (let ow = 0; ow < wo; ow++) {
          let s = bias[co];
          for (let ci = 0; ci < cin; ci++) {
            const wb = (co * cin + ci) * kk, xb = ci * h * wi;
            for (let kh = 0; kh < k; kh++) {
              const ih = oh * stride - pad + kh;
              if (ih < 0 || ih >= h) continue;
              for (let kw = 0; kw < k; kw++) {
                const iw = ow * stride - pad + kw;
                if (iw >= 0 && iw < wi) s += wt[wb + kh * k + kw] * x[xb + ih * wi + iw];
              }
            }
          }
          y[co * plane + oh * wo + ow] = s;
        }
      }
    }
    return y;
  };
  return [step, [cout, ho, wo]];
}

// ConvTranspose2d as a scatter: every input pixel adds its kernel, weighted, into the output (weight: cin, cout, k, k)
function convT(op, W) {
  const { cin, cout, k, stride, pad, h, w_in: wi, h_out: ho, w_out: wo } = op;
  const kk = k * k, plane = ho * wo;
  const wt = W.subarray(op.w, op.w + cin * cout * kk), bias = W.subarray(op.b, op.b + cout);
  const y = new Float64Array(cout * plane);
  const step = (x) => {
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
  return [step, [cout, ho, wo]];
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
  act, linear, conv, convT, lstm: lstmOver(true), lstm_seq: lstmOver(false), last, flatten, concat_label: concatLabel,
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
