#!/usr/bin/env bash
# Builds valence and runs all of its tests (ctest). Installs missing Debian
# packages first. Environment:
#   VALENCE_WERROR=ON        warnings are errors (CI sets it)
#   VALENCE_BUILD_DIR=dir    build directory (default: build)
#   VALENCE_CTEST_ARGS=...   extra ctest arguments (e.g. "-L unit")
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh build test web
build="${VALENCE_BUILD_DIR:-build}"
jobs="$(nproc)"
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DVALENCE_WERROR="${VALENCE_WERROR:-OFF}" >/dev/null
cmake --build "$build" -j"$jobs"
log="$build/ctest-last.log"
set +e
# shellcheck disable=SC2086
ctest --test-dir "$build" --output-on-failure -j"$jobs" --timeout 300 ${VALENCE_CTEST_ARGS:-} \
  2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e
# ctest lists skipped tests after its summary; end with the counts instead.
summary=$(grep -E '^[0-9]+% tests passed, [0-9]+ tests failed out of [0-9]+' "$log" | tail -n 1)
if [ -n "$summary" ]; then
  failed=$(sed -E 's/.* ([0-9]+) tests failed out of ([0-9]+).*/\1/' <<<"$summary")
  total=$(sed -E 's/.* tests failed out of ([0-9]+).*/\1/' <<<"$summary")
  skipped=$(grep -cE '\((Skipped|Not Run|Disabled)\)$' "$log" || true)
  echo "$((total - failed - skipped)) passed, $failed failed, $skipped skipped"
fi
exit "$rc"
