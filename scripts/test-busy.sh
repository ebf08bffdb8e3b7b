#!/usr/bin/env bash
# The busy-machine check: runs the unit and multiprocess tiers (and web, when
# the build has it) three times in a row while two CPU hogs run beside them,
# then stops the hogs. No test may depend on how fast the machine is; this
# is how to see that one does. Uses an existing build (scripts/test.sh makes
# one) and brings it up to date first.
#   scripts/test-busy.sh [BUILD_DIR]     default: $VALENCE_BUILD_DIR or build
# Environment: VALENCE_BUSY_RUNS (3), VALENCE_BUSY_HOGS (2),
#   VALENCE_BUSY_JOBS (ctest -j, default nproc), VALENCE_CTEST_ARGS (extra).
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-${VALENCE_BUILD_DIR:-build}}"
runs="${VALENCE_BUSY_RUNS:-3}"
hogs="${VALENCE_BUSY_HOGS:-2}"
jobs="${VALENCE_BUSY_JOBS:-$(nproc)}"
if [ ! -f "$build/CMakeCache.txt" ]; then
  echo "no build in $build: run scripts/test.sh (or cmake) first" >&2
  exit 2
fi
cmake --build "$build" -j"$jobs"

labels='unit|multiprocess'
if ctest --test-dir "$build" -N -L '^web$' | grep -qE 'Total Tests: [1-9]'; then
  labels='unit|multiprocess|web'
fi

hog_pids=()
stop_hogs() {
  for pid in "${hog_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${hog_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  hog_pids=()
}
trap stop_hogs EXIT
for ((i = 0; i < hogs; i++)); do
  yes >/dev/null &
  hog_pids+=("$!")
done
echo "$hogs CPU hogs running (pids ${hog_pids[*]}); tiers '$labels', $runs runs, -j$jobs"

status=0
results=()
for ((run = 1; run <= runs; run++)); do
  log="$build/ctest-busy-$run.log"
  set +e
  # shellcheck disable=SC2086
  ctest --test-dir "$build" -L "$labels" -j"$jobs" --output-on-failure \
    ${VALENCE_CTEST_ARGS:-} >"$log" 2>&1
  rc=$?
  set -e
  summary=$(grep -E '^[0-9]+% tests passed, [0-9]+ tests failed out of [0-9]+' "$log" | tail -n 1)
  results+=("run $run: ${summary:-no summary (see $log)}")
  echo "${results[-1]}"
  if [ "$rc" -ne 0 ]; then
    status=1
    sed -n '/The following tests FAILED:/,$p' "$log"
  fi
done
stop_hogs
printf '%s\n' "${results[@]}"
exit "$status"
