#!/usr/bin/env bash
# Runs decode_fuzzer for SECONDS, seeded with the conformance vectors.
#
#   fuzz/run_fuzz.sh BUILD_DIR SECONDS
#
# BUILD_DIR must be a clang build with -DVALENCE_BUILD_FUZZ=ON (ideally also
# -DVALENCE_SANITIZER=address,undefined). Seeds: every
# ../shared/conformance/v8/public/*.bin, with the 4-byte length stripped from
# *.ipc.bin frames. The grown corpus is kept in BUILD_DIR/fuzz/corpus, crash
# inputs go to BUILD_DIR/fuzz/artifacts/. Exits non-zero when the fuzzer finds
# a crash (or fails to run). Env: VALENCE_CONFORMANCE_DIR.
set -euo pipefail

if [[ $# -ne 2 ]]; then
  echo "usage: $0 BUILD_DIR SECONDS" >&2
  exit 2
fi
build=$(cd "$1" && pwd)
seconds=$2
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
vectors=${VALENCE_CONFORMANCE_DIR:-$root/../shared/conformance/v8}/public
fuzzer="$build/fuzz/decode_fuzzer"

if [[ ! -x $fuzzer ]]; then
  echo "error: $fuzzer not found; configure with CC=clang CXX=clang++ -DVALENCE_BUILD_FUZZ=ON" \
       "and build the decode_fuzzer target" >&2
  exit 1
fi
if [[ ! -d $vectors ]]; then
  echo "error: conformance vectors not found at $vectors (set VALENCE_CONFORMANCE_DIR)" >&2
  exit 1
fi

seeds="$build/fuzz/seeds"
corpus="$build/fuzz/corpus"
artifacts="$build/fuzz/artifacts"
rm -rf "$seeds"
mkdir -p "$seeds" "$corpus" "$artifacts"
count=0
for f in "$vectors"/*.bin; do
  name=$(basename "$f")
  if [[ $name == *.ipc.bin ]]; then
    tail -c +5 "$f" >"$seeds/$name"   # the payload after the 4-byte length
  else
    cp "$f" "$seeds/$name"
  fi
  count=$((count + 1))
done
echo "run_fuzz: $count seeds from $vectors, ${seconds}s" >&2

status=0
"$fuzzer" "$corpus" "$seeds" \
  -max_total_time="$seconds" -max_len=4096 -rss_limit_mb=2048 -timeout=10 \
  -artifact_prefix="$artifacts/" -print_final_stats=1 || status=$?

if [[ $status -ne 0 ]]; then
  echo "run_fuzz: FAILED (exit $status); crash inputs in $artifacts:" >&2
  ls -1 "$artifacts" >&2 || true
  exit "$status"
fi
echo "run_fuzz: no crash in ${seconds}s (corpus: $(ls "$corpus" | wc -l) files)" >&2
