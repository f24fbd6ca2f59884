#!/usr/bin/env bash
# Install the pinned build tool (package-lock.json) and build the component into dist/ (or the folder given).
set -euo pipefail
cd "$(dirname "$0")"
[ -x node_modules/.bin/esbuild ] || npm ci --no-audit --no-fund --loglevel=error
node build.mjs "$@"
