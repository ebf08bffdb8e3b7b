#!/usr/bin/env bash
# Builds valence and runs the demo: a rich value goes from C++ to a real
# Node.js process over Node's IPC channel and back (V8 wire format).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh build test
build="${VALENCE_BUILD_DIR:-build}"
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc)" --target codec_roundtrip
exec "$build/examples/codec_roundtrip/codec_roundtrip"
