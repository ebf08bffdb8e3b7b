#!/usr/bin/env bash
# Runs the codec benchmark (valence) and the same shapes through Node's
# v8.serialize/v8.deserialize, prints a markdown table and writes it into
# docs/benchmarks.md between <!-- codec:begin --> and <!-- codec:end -->.
#
#   bench/run_codec_bench.sh BUILD_DIR      (builds nothing: build codec_bench first,
#                                            preferably with CMAKE_BUILD_TYPE=Release)
# Env: NODE (default: node on PATH), BENCH_REPETITIONS (default 5).
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 BUILD_DIR" >&2
  exit 2
fi
build=$(cd "$1" && pwd)
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bench="$build/bench/codec_bench"
node=${NODE:-node}
reps=${BENCH_REPETITIONS:-5}

if [[ ! -x $bench ]]; then
  echo "error: $bench not found; build it: cmake --build $build --target codec_bench" >&2
  exit 1
fi
command -v "$node" >/dev/null || { echo "error: node not found (set NODE=)" >&2; exit 1; }

pin=()
pinned="no"
if command -v taskset >/dev/null && taskset -c 0 true 2>/dev/null; then
  pin=(taskset -c 0)
  pinned="CPU 0 (taskset -c 0)"
fi

load=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "running codec_bench (${reps} repetitions) ..." >&2
"${pin[@]}" "$bench" --benchmark_format=json --benchmark_repetitions="$reps" \
  --benchmark_report_aggregates_only=true >"$tmp/valence.json"
echo "running node_codec_bench.js ..." >&2
"${pin[@]}" "$node" "$root/bench/node_codec_bench.js" >"$tmp/node.json"

build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$build/CMakeCache.txt" 2>/dev/null || true)

PYTHONPATH="$root/bench/support${PYTHONPATH:+:$PYTHONPATH}" \
python3 - "$tmp/valence.json" "$tmp/node.json" "$root/docs/benchmarks.md" \
  "$pinned" "${build_type:-unknown}" "$reps" "$load" <<'PY'
import json, os, platform, sys, datetime
from splice_doc import splice

valence_path, node_path, doc_path, pinned, build_type, reps, load = sys.argv[1:8]
valence = json.load(open(valence_path))
node = json.load(open(node_path))

medians = {}
sizes = {}
for b in valence["benchmarks"]:
    if b.get("aggregate_name") == "median":
        name = b["run_name"].removesuffix("/real_time")
        medians[name] = b["bytes_per_second"] / 1e6
        sizes[name] = int(b.get("encoded_bytes", 0))

# (case, target description, predicate on (valence MB/s, node MB/s))
cases = [
    ("encode/objects_10k", ">= 2x node", lambda v, n: v >= 2 * n),
    ("decode/objects_10k", ">= 4x node", lambda v, n: v >= 4 * n),
    ("encode/uint8array_8MiB", "-", None),
    ("decode/uint8array_8MiB", ">= 5 GB/s", lambda v, n: v >= 5000),
]

def cpu_model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"

rows = ["| case | valence MB/s | node MB/s | ratio | target | met |",
        "| --- | ---: | ---: | ---: | --- | --- |"]
notes = []
for name, target, ok in cases:
    v = medians.get(name)
    n = node["cases"].get(name, {}).get("mb_per_s")
    if v is None or n is None:
        rows.append(f"| {name} | {v or 'n/a'} | {n or 'n/a'} | n/a | {target} | n/a |")
        continue
    met = "-" if ok is None else ("yes" if ok(v, n) else "**no**")
    rows.append(f"| {name} | {v:,.0f} | {n:,.0f} | {v / n:.2f} | {target} | {met} |")
    nb = node["cases"][name]["bytes"]
    if sizes.get(name) and sizes[name] != nb:
        notes.append(f"encoded sizes differ for {name}: valence {sizes[name]} B, node {nb} B")

ctx = valence.get("context", {})
header = (f"Measured {datetime.date.today().isoformat()} on {cpu_model()} "
          f"({ctx.get('num_cpus', '?')} CPUs, load average {load} at start), pinned: {pinned}; "
          f"valence build type "
          f"{build_type}; Node {node['node']} (V8 {node['v8']}). MB/s = 10^6 bytes of "
          f"encoded data per second, medians (valence: Google Benchmark, "
          f"{reps} repetitions; "
          f"node: {node['runs']} runs). Ratio = valence / node.")
table = "\n".join(rows)
block = header + "\n\n" + table + "\n"
if notes:
    block += "\n" + "\n".join(f"- {n}" for n in notes) + "\n"
print(block)

new_doc = ("# Benchmarks\n\n"
           "Numbers produced by the scripts in `bench/`; rerun them on your machine "
           "rather than trusting these.\n\n"
           "## Codec\n\n"
           "`bench/run_codec_bench.sh BUILD_DIR` runs `codec_bench` (Google Benchmark) "
           "and `bench/node_codec_bench.js` (Node's `v8.serialize` / `v8.deserialize`) "
           "on the same values: (a) an array of 10,000 objects `{id, name, tags: [3 "
           "strings], created: Date}`, (b) one 8 MiB `Uint8Array`. Node's "
           "`v8.deserialize` returns typed arrays that alias the input buffer when it "
           "is aligned (no copy), while valence copies the bytes into the decoded "
           "`Value`, so (b) decode is compared with an absolute target instead.\n\n"
           "<!-- codec:begin -->\n<!-- codec:end -->\n")
splice(doc_path, "codec", block, new_doc=new_doc)
PY
