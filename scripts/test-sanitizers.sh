#!/usr/bin/env bash
# The unit tier under ASan+UBSan (clang), the web tier with the main process
# under ASan+UBSan (leak checking off there: GTK and WebKit keep process-lifetime
# caches), the unit and multiprocess tiers under ThreadSanitizer (every class
# states a thread rule; this checks the ones that cross threads), and the
# fuzzers (decoder, frame parser, message layer) for a bounded time:
#   scripts/test-sanitizers.sh [fuzz-seconds]   (default 60; 0 skips it)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh build test fuzz web
build="${VALENCE_ASAN_BUILD_DIR:-build-asan}"
seconds="${1:-60}"
CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
  -DVALENCE_SANITIZER=address,undefined -DVALENCE_BUILD_FUZZ=ON -DVALENCE_BUILD_BENCH=OFF \
  -DVALENCE_WERROR="${VALENCE_WERROR:-OFF}" >/dev/null
cmake --build "$build" -j"$(nproc)"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ctest --test-dir "$build" --output-on-failure -j"$(nproc)" -L 'unit|multiprocess|oracle|tools'
# The web tier with main under ASan+UBSan. WebKit's web process cannot load
# an instrumented extension (no ASan runtime there), so the pages use the
# extension from the regular build (the same one scripts/test.sh builds).
if [ -d "$build/tests/web" ] && command -v xvfb-run >/dev/null; then
  regular="${VALENCE_BUILD_DIR:-build}"
  cmake -S . -B "$regular" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DVALENCE_WERROR="${VALENCE_WERROR:-OFF}" >/dev/null
  cmake --build "$regular" -j"$(nproc)" --target valence_web_extension
  VALENCE_WEB_EXTENSION_DIR="$(cd "$regular" && pwd)/web-extension" ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
    ctest --test-dir "$build" --output-on-failure -j"$(nproc)" -L web -E walkthrough --timeout 300
fi
# ThreadSanitizer: the core (no GTK: the unit and multiprocess tiers do not
# need it, and GLib's own threads are not built with TSan).
tsan="${VALENCE_TSAN_BUILD_DIR:-build-tsan}"
CC=clang CXX=clang++ cmake -S . -B "$tsan" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DVALENCE_SANITIZER=thread -DVALENCE_WITH_WEBKIT=OFF -DVALENCE_BUILD_BENCH=OFF \
  -DVALENCE_WERROR="${VALENCE_WERROR:-OFF}" >/dev/null
cmake --build "$tsan" -j"$(nproc)"
TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1" \
  ctest --test-dir "$tsan" --output-on-failure -j"$(nproc)" -L 'unit|multiprocess' --timeout 600
if [ "$seconds" != 0 ]; then
  fuzz/run_fuzz.sh "$build" "$seconds"
  mkdir -p "$build/fuzz/frame_corpus"
  "$build/fuzz/frame_parser_fuzzer" -max_total_time=$((seconds / 2)) -max_len=8192 \
    -print_final_stats=1 "$build/fuzz/frame_corpus" 2>&1 | tail -n 12
  # The message layer after framing, seeded with one frame of each kind.
  mkdir -p "$build/fuzz/message_corpus"
  "$build/fuzz/message_fuzzer" -max_total_time=$((seconds / 2)) -max_len=4096 -rss_limit_mb=2048 \
    -print_final_stats=1 "$build/fuzz/message_corpus" fuzz/message_seeds 2>&1 | tail -n 12
fi
