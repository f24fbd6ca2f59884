// Hover pictures: a sprite sheet (PNG, `columns` tiles a row) or raw uint8 tiles one after another (optionally
// zlib-compressed), or quantised line plots for sequences and vectors (uint8 (N, T, F), 0..255 spans the data).

import { drawLines, drawPixels } from "./picture.js";

async function inflate(buffer) {
  const stream = new Blob([buffer]).stream().pipeThrough(new DecompressionStream("deflate"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

async function pngSheet(meta, buffer) {
  const sheet = await createImageBitmap(new Blob([buffer], { type: "image/png" }));
  const [th, tw] = meta.tile, cols = meta.columns;
  return (ctx, i, box) => {
    const s = Math.min(box[2] / tw, box[3] / th);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(sheet, (i % cols) * tw, Math.floor(i / cols) * th, tw, th,
      box[0] + (box[2] - tw * s) / 2, box[1] + (box[3] - th * s) / 2, tw * s, th * s);
  };
}

/** {count, draw(ctx, i, box)} for the thumbnails described by `meta`, from their bytes. */
export async function loadThumbs(meta, buffer) {
  if (meta.kind === "image" && meta.format === "png") return { count: meta.count, draw: await pngSheet(meta, buffer) };
  const px = meta.format === "zlib" ? await inflate(buffer) : new Uint8Array(buffer);
  if (meta.kind === "image") {
    const [h, w] = meta.tile, c = meta.channels || 1, size = h * w * c;
    return {
      count: meta.count,
      // raw tiles are (h, w, c): channel-last, as images are stored
      draw: (ctx, i, box) => drawPixels(ctx, c === 3 ? (k) => px[i * size + (k % (h * w)) * 3 + Math.floor(k / (h * w))]
        : (k) => px[i * size + k], c, h, w, box),
    };
  }
  const T = meta.length, F = meta.features || 1, size = T * F;
  return { count: meta.count, draw: (ctx, i, box) => drawLines(ctx, (t, f) => px[i * size + t * F + f] / 255, T, F, box) };
}
