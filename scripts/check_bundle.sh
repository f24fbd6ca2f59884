#!/usr/bin/env bash
# Rebuild the atlas component (face/atlas/frontend) into a temporary folder with the pinned esbuild, and fail if
# the result differs from the bundle in face/atlas/frontend/dist: the app serves dist/, so it must be the source.
set -euo pipefail
frontend="$(cd "$(dirname "$0")/../face/atlas/frontend" && pwd)"
fresh="$(mktemp -d)"
trap 'rm -rf "$fresh"' EXIT
"$frontend/build.sh" "$fresh"
if ! diff -rq "$fresh" "$frontend/dist" >&2; then
    echo "face/atlas/frontend/dist differs from its source: run face/atlas/frontend/build.sh and commit dist/" >&2
    exit 1
fi
echo "face/atlas/frontend/dist matches its source"
