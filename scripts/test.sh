#!/usr/bin/env bash
# Builds valence and runs all of its tests (ctest). Installs missing Debian
# packages first. Environment:
#   VALENCE_WERROR=ON        warnings are errors (CI sets it)
#   VALENCE_BUILD_DIR=dir    build directory (default: build)
#   VALENCE_CTEST_ARGS=...   extra ctest arguments (e.g. "-L unit")
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh build test
build="${VALENCE_BUILD_DIR:-build}"
jobs="$(nproc)"
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DVALENCE_WERROR="${VALENCE_WERROR:-OFF}" >/dev/null
cmake --build "$build" -j"$jobs"
# shellcheck disable=SC2086
ctest --test-dir "$build" --output-on-failure -j"$jobs" --timeout 300 ${VALENCE_CTEST_ARGS:-}
