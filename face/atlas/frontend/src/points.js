// A data set as the scatter keeps it: the grid index (original order) and the GPU's copy in a shuffled order,
// with the rank of each point in it (to mark a selection), and how many points each label has (the legend).

import { GridIndex } from "./grid.js";
import { bounds } from "./view.js";

/** A fixed shuffle (mulberry32), so screenshots repeat and no label is always drawn last. */
function shuffle(n, seed = 1) {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  let a = seed;
  for (let i = n - 1; i > 0; i--) {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    const j = Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

export function preparePoints(pos, labels) {
  const n = labels.length, box = bounds(pos), order = shuffle(n);
  const rank = new Uint32Array(n), gpos = new Float32Array(2 * n), glab = new Uint8Array(n);
  order.forEach((i, k) => {
    rank[i] = k;
    gpos[2 * k] = pos[2 * i];
    gpos[2 * k + 1] = pos[2 * i + 1];
    glab[k] = labels[i];
  });
  const counts = new Array(256).fill(0);
  labels.forEach((l) => counts[l]++);
  return { n, pos, labels, box, grid: new GridIndex(pos, box), rank, gpos, glab, counts };
}
