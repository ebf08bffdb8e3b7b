#!/usr/bin/env bash
# The unit tier under ASan+UBSan (clang), and the decoder fuzzer for a bounded
# time: scripts/test-sanitizers.sh [fuzz-seconds]   (default 60; 0 skips it)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh build test fuzz
build="${VALENCE_ASAN_BUILD_DIR:-build-asan}"
seconds="${1:-60}"
CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
  -DVALENCE_SANITIZER=address,undefined -DVALENCE_BUILD_FUZZ=ON -DVALENCE_BUILD_BENCH=OFF \
  -DVALENCE_WERROR="${VALENCE_WERROR:-OFF}" >/dev/null
cmake --build "$build" -j"$(nproc)"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ctest --test-dir "$build" --output-on-failure -j"$(nproc)" -L 'unit|multiprocess|oracle|tools'
if [ "$seconds" != 0 ]; then
  fuzz/run_fuzz.sh "$build" "$seconds"
  mkdir -p "$build/fuzz/frame_corpus"
  "$build/fuzz/frame_parser_fuzzer" -max_total_time=$((seconds / 2)) -max_len=8192 \
    -print_final_stats=1 "$build/fuzz/frame_corpus" 2>&1 | tail -n 12
fi
