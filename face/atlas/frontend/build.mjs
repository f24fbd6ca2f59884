// Build the component: src/main.js -> DIST/atlas.js (one minified file, no source map: byte-for-byte the same
// on every machine, so scripts/check_bundle.sh can compare it with the committed copy), plus index.html.
//   node build.mjs [DIST]   (default: dist/)
import { build } from "esbuild";
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const dist = resolve(process.argv[2] || join(here, "dist"));
mkdirSync(dist, { recursive: true });
await build({
  entryPoints: [join(here, "src", "main.js")],
  outfile: join(dist, "atlas.js"),
  bundle: true,
  minify: true,
  format: "iife",
  target: "es2022",
  legalComments: "none",
  charset: "utf8",
  logLevel: "warning",
});
copyFileSync(join(here, "src", "index.html"), join(dist, "index.html"));
