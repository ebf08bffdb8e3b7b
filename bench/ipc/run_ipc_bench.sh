#!/usr/bin/env bash
# Runs the IPC benchmarks — valence (ipc_bench + ipc_bench_child), the raw
# socketpair floor (socketpair_floor) and Node's child_process.fork with
# serialization:'advanced' (node_ipc_bench.js) — in two pinnings, prints
# markdown tables and writes them into docs/benchmarks.md between
# <!-- ipc:begin --> and <!-- ipc:end -->.
#
#   bench/ipc/run_ipc_bench.sh BUILD_DIR     (builds nothing: build ipc_bench,
#                                             ipc_bench_child and socketpair_floor
#                                             first, with CMAKE_BUILD_TYPE=Release)
#
# Pinnings:
#   same   the parent runs under `taskset -c 0`; children inherit CPU 0.
#   split  the parent runs under `taskset -c 0` and BENCH_CHILD_CPU=1: every
#          C++ child (valence's, the floor's forked one) calls sched_setaffinity
#          on itself to CPU 1 first thing; Node's child is started through
#          `taskset -c 1` (fork's execPath), so all its threads are on CPU 1.
# Env: NODE (default: node on PATH), SPIN_US (default 50: the spin experiment),
#      IPC_BENCH_NO_DOC=1 (print only).
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 BUILD_DIR" >&2
  exit 2
fi
build=$(cd "$1" && pwd)
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
bin="$build/bench/ipc"
node=${NODE:-node}
spin_us=${SPIN_US:-50}

for b in ipc_bench ipc_bench_child socketpair_floor frame_parser_growth; do
  if [[ ! -x $bin/$b ]]; then
    echo "error: $bin/$b not found; build it: cmake --build $build --target ipc_bench" \
      "socketpair_floor frame_parser_growth" >&2
    exit 1
  fi
done
command -v "$node" >/dev/null || { echo "error: node not found (set NODE=)" >&2; exit 1; }
command -v taskset >/dev/null || { echo "error: taskset not found (util-linux)" >&2; exit 1; }

pins=(same)
if taskset -c 1 true 2>/dev/null; then
  pins+=(split)
else
  echo "warning: CPU 1 is not available; only the same-CPU pinning runs" >&2
fi

load_start=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0

# run PIN NAME [ENV=VALUE...] -- CMD ARGS...: one measurement, its JSON in $tmp/PIN/NAME.json.
run() {
  local pin=$1 name=$2
  shift 2
  local envs=()
  while [[ $1 != -- ]]; do envs+=("$1"); shift; done
  shift
  if [[ $pin == split ]]; then envs+=(BENCH_CHILD_CPU=1); fi
  mkdir -p "$tmp/$pin"
  echo "  $pin: $name" >&2
  if ! env -u BENCH_CHILD_CPU "${envs[@]}" taskset -c 0 "$@" >"$tmp/$pin/$name.json" 2>"$tmp/$pin/$name.err"; then
    echo "  FAILED: $pin $name:" >&2
    sed 's/^/    /' "$tmp/$pin/$name.err" >&2
    failed=1
  fi
}

start=$(date +%s)
for pin in "${pins[@]}"; do
  echo "pinning: $pin" >&2
  run "$pin" floor -- "$bin/socketpair_floor"
  run "$pin" invoke -- "$bin/ipc_bench" --case invoke
  run "$pin" node -- "$node" "$here/node_ipc_bench.js"
  run "$pin" send -- "$bin/ipc_bench" --case send
  run "$pin" echo -- "$bin/ipc_bench" --case echo
  # Diagnostic: the same echo with glibc told to keep freed memory (no
  # trimming, no mmap for big blocks), which separates page-fault churn
  # from copying. Not a library setting.
  run "$pin" echo_tuned \
    GLIBC_TUNABLES=glibc.malloc.mmap_threshold=67108864:glibc.malloc.trim_threshold=1073741824 \
    -- "$bin/ipc_bench" --case echo
  if [[ $pin == same ]]; then run "$pin" parser -- "$bin/frame_parser_growth"; fi
  run "$pin" burst -- "$bin/ipc_bench" --case burst
  run "$pin" idle -- "$bin/ipc_bench" --case idle
  run "$pin" flood -- "$bin/ipc_bench" --case flood
  # The spin experiment (benchmark-only polling before blocking): the
  # requester alone (valence: the child in get()), both sides, both without
  # sched_yield between polls.
  spin=(--spin-us "$spin_us" --n 10000 --warmup 1000)
  run "$pin" floor_spin_req -- "$bin/socketpair_floor" "${spin[@]}" --spin-yield \
    --spin-side requester --no-echo --no-stream
  run "$pin" floor_spin_both -- "$bin/socketpair_floor" "${spin[@]}" --spin-yield --no-echo --no-stream
  run "$pin" floor_spin_noyield -- "$bin/socketpair_floor" "${spin[@]}" --no-echo --no-stream
  run "$pin" invoke_spin_req -- "$bin/ipc_bench" --case invoke "${spin[@]}" --spin-yield
  run "$pin" invoke_spin_both -- "$bin/ipc_bench" --case invoke "${spin[@]}" --spin-yield \
    --main-spin-us "$spin_us"
  run "$pin" invoke_spin_noyield -- "$bin/ipc_bench" --case invoke "${spin[@]}" --main-spin-us "$spin_us"
done
elapsed=$(( $(date +%s) - start ))
load_end=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)

build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$build/CMakeCache.txt" 2>/dev/null || true)
node_version=$("$node" -p 'process.version + " (V8 " + process.versions.v8 + ")"')
revision=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ -n $(git -C "$root" status --porcelain -- src include 2>/dev/null) ]]; then
  revision+=" with uncommitted changes in src/ or include/"
fi

PYTHONPATH="$root/bench/support${PYTHONPATH:+:$PYTHONPATH}" \
python3 - "$tmp" "$root/docs/benchmarks.md" "${build_type:-unknown}" "$load_start" "$load_end" \
  "$node_version" "$spin_us" "$elapsed" "${IPC_BENCH_NO_DOC:-0}" "$revision" <<'PY'
import datetime, json, os, platform, sys
from splice_doc import reflow, splice

(tmp, doc_path, build_type, load_start, load_end, node_version, spin_us, elapsed, no_doc,
 revision) = sys.argv[1:11]
R = {}
for pin in ("same", "split"):
    d = os.path.join(tmp, pin)
    if not os.path.isdir(d):
        continue
    R[pin] = {}
    for f in sorted(os.listdir(d)):
        if not f.endswith(".json"):
            continue
        try:
            lines = open(os.path.join(d, f)).read().strip().splitlines()
            R[pin][f[:-5]] = json.loads(lines[-1])
        except (ValueError, IndexError):
            R[pin][f[:-5]] = {"ok": False}


def get(pin, name, *path):
    v = R.get(pin, {}).get(name)
    for p in path:
        if v is None:
            return None
        if isinstance(p, int):
            v = v[p] if isinstance(v, list) and len(v) > p else None
        else:
            v = v.get(p) if isinstance(v, dict) else None
    return v


def child(pin, name, key):
    return get(pin, name, "child", 0, key)


def us(v):
    return "n/a" if v is None else f"{v:,.1f} µs"


def ms(v):
    return "n/a" if v is None else f"{v / 1000:,.2f} ms"


def rate(v):
    return "n/a" if v is None else f"{v:,.0f} msg/s"


def ratio(a, b):
    return "n/a" if a is None or b is None or b == 0 else f"{a / b:.2f}"


def yes(ok):
    return "n/a" if ok is None else ("yes" if ok else "**no**")


def cpu_model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main_table(pin):
    rows = ["| case | valence | socketpair floor | node advanced | ratio to floor | ratio to node | target | met |",
            "| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |"]
    v = child(pin, "invoke", "median_us")
    f = get(pin, "floor", "small_median_us")
    n = get(pin, "node", "small_median_us")
    if pin == "same":
        target = "≤ 1.5x floor; ≥ 2x faster than node"
        ok_node = None if v is None or n is None else v * 2 <= n
    else:
        target = "≤ 1.5x floor; faster than node"
        ok_node = None if v is None or n is None else v < n
    ok_floor = None if v is None or f is None else v <= 1.5 * f
    met = "n/a" if ok_floor is None or ok_node is None else (
        "yes" if ok_floor and ok_node else
        f"floor: {yes(ok_floor)}, node: {yes(ok_node)}")
    rows.append(f"| (a) small invoke round trip, median | {us(v)} | {us(f)} | {us(n)} | "
                f"{ratio(v, f)} | {ratio(v, n)} | {target} | {met} |")
    v = child(pin, "send", "msgs_per_s")
    f = get(pin, "floor", "stream_msgs_per_s")
    n = get(pin, "node", "send_msgs_per_s")
    ok = None if v is None or n is None else v >= 4 * n
    if child(pin, "send", "all_delivered_in_order") is False:
        ok = False
    rows.append(f"| (b) one-way send, 200k small messages | {rate(v)} | {rate(f)} ¹ | {rate(n)} | "
                f"{ratio(v, f)} | {ratio(v, n)} | ≥ 4x node | {yes(ok)} |")
    for size, label in ((1 << 20, "1 MiB"), (8 << 20, "8 MiB")):
        v = child(pin, "echo", f"echo_{size}_median_us")
        f = get(pin, "floor", f"echo_{size}_median_us")
        n = get(pin, "node", f"echo_{size}_median_us")
        ok = None if v is None or f is None else v <= 1.5 * f
        rows.append(f"| (c) {label} Uint8Array invoke echo, median | {ms(v)} | {ms(f)} | {ms(n)} | "
                    f"{ratio(v, f)} | {ratio(v, n)} | ≤ 1.5x floor | {yes(ok)} |")
    b = R.get(pin, {}).get("burst", {})
    if "answered" in b:
        ok = b["answered"] == b["expected"] and b["lost"] == 0 and b["bad"] == 0
        rows.append(f"| (d) {b['outstanding_per_round']:,} invokes outstanding from {b['children']} "
                    f"children, {b['rounds']} rounds | {b['answered']:,}/{b['expected']:,} answered, "
                    f"{b['lost']} lost; median {ms(b['median_us'])}, p90 {ms(b['p90_us'])}, "
                    f"p99 {ms(b['p99_us'])}, max {ms(b['max_us'])} | – | – | – | – | "
                    f"all answered, none lost | {yes(ok)} |")
    i = R.get(pin, {}).get("idle", {})
    if "per_child_kib" in i:
        ok = i["per_child_kib"] <= 256 and i.get("all_connected")
        rows.append(f"| (e) main RSS growth per idle child ({i['children']} children) | "
                    f"{i['per_child_kib']:,.1f} KiB | – | – | – | – | ≤ 256 KiB | {yes(ok)} |")
    fl = R.get(pin, {}).get("flood", {})
    if "rss_before_kib" in fl:
        delivered = fl["received"] == fl["messages"] and fl["in_order"]
        ok = fl["after_vs_before"] <= 1.10 and delivered
        rows.append(f"| (e) main RSS, flood of {fl['messages']:,} messages: before / peak / after | "
                    f"{fl['rss_before_kib']:,} / {fl['rss_peak_kib']:,} / {fl['rss_after_kib']:,} KiB "
                    f"(after = {100 * (fl['after_vs_before'] - 1):+.1f}%); "
                    f"{fl['received']:,} received, {'in order' if fl['in_order'] else '**out of order**'} "
                    f"| – | – | – | – | after within 10%, nothing lost, order kept | {yes(ok)} |")
    return "\n".join(rows)


def latency_table():
    rows = ["| pinning | peer | median | p90 | p99 | max | count |",
            "| --- | --- | ---: | ---: | ---: | ---: | ---: |"]
    for pin in R:
        for label, src in (("valence invoke", lambda k: child(pin, "invoke", k)),
                           ("socketpair floor", lambda k: get(pin, "floor", "small_" + k)),
                           ("node advanced", lambda k: get(pin, "node", "small_" + k))):
            c = src("count")
            rows.append(f"| {pin} | {label} | {us(src('median_us'))} | {us(src('p90_us'))} | "
                        f"{us(src('p99_us'))} | {us(src('max_us'))} | {c if c is not None else 'n/a'} |")
    return "\n".join(rows)


def spin_table():
    rows = ["| pinning | peer | who spins (at most SPIN µs) | median round trip | CPU per round trip: requester + responder |",
            "| --- | --- | --- | ---: | ---: |"]
    floor_runs = (("floor", "nobody (blocking)"), ("floor_spin_req", "requester, yielding"),
                  ("floor_spin_both", "both, yielding"), ("floor_spin_noyield", "both, not yielding"))
    valence_runs = (("invoke", "nobody (blocking)"), ("invoke_spin_req", "child in get(), yielding"),
                    ("invoke_spin_both", "child and main's loop, yielding"),
                    ("invoke_spin_noyield", "child and main's loop, not yielding"))
    for pin in R:
        for name, who in floor_runs:
            m = get(pin, name, "small_median_us")
            req, resp = get(pin, name, "main_cpu_per_rt_us"), get(pin, name, "child_cpu_per_rt_us")
            cpu = "n/a" if req is None or resp is None else f"{req:.1f} + {resp:.1f} = {req + resp:.1f} µs"
            rows.append(f"| {pin} | socketpair floor | {who} | {us(m)} | {cpu} |")
        for name, who in valence_runs:
            m = child(pin, name, "median_us")
            req, resp = child(pin, name, "child_cpu_per_rt_us"), get(pin, name, "main_cpu_per_rt_us")
            cpu = "n/a" if req is None or resp is None else f"{req:.1f} + {resp:.1f} = {req + resp:.1f} µs"
            rows.append(f"| {pin} | valence invoke | {who} | {us(m)} | {cpu} |")
    return "\n".join(rows).replace("SPIN", spin_us)


def echo_table():
    rows = ["| pinning | size | valence (glibc defaults) | valence (glibc keeps freed memory) | socketpair floor |",
            "| --- | --- | ---: | ---: | ---: |"]

    def cell(pin, name, size):
        t = child(pin, name, f"echo_{size}_median_us")
        pf = child(pin, name, f"echo_{size}_child_page_faults_per_rt")
        return ms(t) + ("" if pf is None else f" ({pf:,.0f} page faults in the child per round trip)")

    for pin in R:
        for size, label in ((1 << 20, "1 MiB"), (8 << 20, "8 MiB")):
            rows.append(f"| {pin} | {label} | {cell(pin, 'echo', size)} | {cell(pin, 'echo_tuned', size)} | "
                        f"{ms(get(pin, 'floor', f'echo_{size}_median_us'))} |")
    return "\n".join(rows)


def num(pin, name, *path):
    v = get(pin, name, *path)
    return v if isinstance(v, (int, float)) else float("nan")


ok_all = all(r.get("ok") for pin in R for r in R[pin].values())
same, split = "same", "split"


def med(pin, name):
    return num(pin, name, "small_median_us") if name.startswith("floor") else \
        num(pin, name, "child", 0, "median_us")


def cpu(pin, name):
    if name.startswith("floor"):
        return num(pin, name, "main_cpu_per_rt_us") + num(pin, name, "child_cpu_per_rt_us")
    return num(pin, name, "main_cpu_per_rt_us") + num(pin, name, "child", 0, "child_cpu_per_rt_us")


def pi(key):
    v = get(same, "parser", key)
    return "n/a" if v is None else f"{v:,.0f}"


def pf(key):
    v = get(same, "parser", key)
    return "n/a" if v is None else f"{v:,.1f}"


def pms(key):
    v = get(same, "parser", key)
    return "n/a" if v is None else f"{v / 1000:,.2f} ms"


_pu, _pn = get(same, "parser", "chunk_208k_us"), get(same, "parser", "chunk_208k_page_faults")
fault_us = "n/a" if not _pu or not _pn else f"{_pu / _pn:.1f}"

e8 = num(same, "echo", "child", 0, "echo_8388608_median_us")
e8t = num(same, "echo_tuned", "child", 0, "echo_8388608_median_us")
e8f = num(same, "floor", "echo_8388608_median_us")

header = (
    f"Measured {datetime.date.today().isoformat()} on {cpu_model()} ({os.cpu_count()} vCPUs, Linux "
    f"{platform.release()}), load average {load_start} at start and {load_end} at the end "
    f"(the machine is shared; {elapsed} s for the whole run). valence {revision}, build type "
    f"{build_type}; "
    f"Node {node_version}, `child_process.fork` with `serialization: 'advanced'`. "
    "Pinning: **same** = the parent under `taskset -c 0`, children inherit CPU 0; **split** = the "
    "parent under `taskset -c 0` with `BENCH_CHILD_CPU=1`, so every C++ child (valence's "
    "`ipc_bench_child`, the floor's forked child) calls `sched_setaffinity` to CPU 1 before "
    "anything else and Node's child is started through `taskset -c 1` (fork's `execPath`). "
    "Latencies: medians of 20,000 timed round trips after 2,000 warm-up (echo: 300 x 1 MiB, "
    "60 x 8 MiB), timed in the child around a blocking `invoke(...).get()` (Node: `process.send` "
    "to the `'message'` answer); throughput: median of 3 runs of 200,000 messages, timed in the "
    "sender from the first send to the receiver's acknowledgement of the last. Ratios are "
    "valence ÷ peer: below 1 is better for times, above 1 for messages/s.")

notes = f"""
¹ The floor's one-way stream does one `send()` per 24-byte message (no batching); valence
coalesces up to 64 queued frames per `sendmsg`, so it can beat this "floor".

Small invoke round trips, all percentiles:

{latency_table()}

**Spin before blocking** (benchmark-only, no library change: the floor polls
`recv(MSG_DONTWAIT)`; valence's child polls `loop.run_once(0)` until the invoke's future is
ready, then calls `get()`; main's loop, when asked to, polls `run_once(0)` while it had a message
in the last {spin_us} µs; "yielding" = `sched_yield()` between polls. 10,000 round trips after
1,000 warm-up; CPU time from `getrusage` over the timed round trips):

{spin_table()}

Across CPUs a blocking wait costs a cross-CPU wake-up, which on this VM costs CPU as well as
time (presumably the IPI to a halted vCPU, billed as the waker's system time), so spinning saves
both there: the child's spin
alone took valence's split round trip from {med(split, 'invoke'):.1f} to
{med(split, 'invoke_spin_req'):.1f} µs ({cpu(split, 'invoke'):.1f} → {cpu(split, 'invoke_spin_req'):.1f} µs
of CPU), and spinning on both sides to {med(split, 'invoke_spin_both'):.1f} µs. On one CPU a
spinner that does not yield holds the CPU its peer needs for the whole budget
({med(same, 'invoke'):.1f} → {med(same, 'invoke_spin_noyield'):.1f} µs); with `sched_yield()`
between polls the child's spin costs little on one CPU ({med(same, 'invoke'):.1f} →
{med(same, 'invoke_spin_req'):.1f} µs). What a spin
costs is the budget itself whenever the answer takes longer than it: up to {spin_us} µs of CPU per
blocking wait (0.5% of a CPU at 100 slow waits per second).
Recommendation: **yes by default for a child's blocking waits** (`invoke(...).get()`,
`send_sync`) — a bounded spin of a few tens of µs that yields between polls and is skipped when
the process may run on one CPU only, configurable (0 = off) in `IpcRendererOptions`; **not by
default in main's loop**, which serves every renderer (and GTK) and should not burn CPU after each
message — an opt-in there.

**Large echo** — where the copies are, per 8 MiB round trip (read from
`src/transport/{{channel,frame_parser}}.cc`, `src/ipc/common/message.cc`, `src/codec`,
`src/ipc/main/child_host.cc`; confirmed with `perf record --call-graph dwarf`):

| step | child | main |
| --- | --- | --- |
| encode (`encode_message`) | `codec::encode_into` into a `std::vector`: `resize()` zero-fills (memset) then memcpy; the vector grows from 32 B, then `Buffer::append` copies it again (2 copies + 1 memset, 2 fresh 8 MiB allocations) | same for the reply |
| send | `sendmsg` copies into the socket (kernel) | same |
| receive | `recvmsg` copies out (kernel) into `FrameParser`'s large payload, which grows geometrically as bytes arrive: each step a fresh buffer and a copy of what came so far (below) | same |
| decode (`decode_message`) | `Bytes(data, size)` copies the payload into the `Value` | same |
| handler | – | `ipc_main` passes `const std::vector<Value>&`, so echoing needs `clone()` (1 copy) |

The floor does 4 kernel copies in all. valence does the same 4 plus, per direction, about 3
user-space copies and a memset, plus main's handler clone, plus the parser's re-copies — and every
one of these buffers is a fresh 8 MiB allocation that glibc returns to the kernel when freed, so
the pages are faulted in again on the next round trip (memcg-charged page faults dominate the
profile). With glibc told to keep freed memory (`GLIBC_TUNABLES` above; not a library setting),
8 MiB falls from {ms(e8)} to {ms(e8t)} (floor {ms(e8f)}):

{echo_table()}

`FrameParser` (src/transport/frame_parser.cc) collecting one 8 MiB frame read in 208 KiB pieces
(what the socket hands over per `recvmsg` with its default buffer), measured by
`frame_parser_growth`: {pi('chunk_208k_buffers')} buffers, {pf('chunk_208k_recopied_mib')} MiB copied
from one to the next, {pi('chunk_208k_page_faults')} page faults, {pms('chunk_208k_us')} — against
{pms('one_memcpy_us')} for one memcpy of 8 MiB. The copies are cheap; the fresh pages are not
(about {fault_us} µs per 4 KiB page fault on this VM).

To get within 1.5x of the floor the big payload must not be copied in user space at all:
encode into the frame `Buffer` directly, sized once and without zero-filling (or hand `sendmsg`
an iovec that points at the `ArrayBuffer` bytes); collect a large frame into one allocation of
its declared size once its first bytes have arrived; let decoded views adopt the frame buffer
instead of copying; give handlers their arguments by value (`std::vector<Value>&&`) so an echo
moves instead of cloning; or, beyond a size threshold, send big `ArrayBuffer`s as a sealed memfd
by `SCM_RIGHTS` (one copy in, a mapping out), as Chromium's Mojo does with shared buffers.
"""

out = [header, ""]
for pin in R:
    out += [f"**{'Same CPU' if pin == 'same' else 'Split: parent on CPU 0, children on CPU 1'}**", "",
            main_table(pin), ""]
if not ok_all:
    out += ["**Some checks failed in this run** (a benchmark reported ok: false).", ""]
block = "\n".join(out) + notes

block = reflow(block)
print(block)

if no_doc == "1":
    sys.exit(0)
section = (
    "## IPC\n\n"
    "`bench/ipc/run_ipc_bench.sh BUILD_DIR` runs `ipc_bench` (a valence `MainProcess` and "
    "`ipc_bench_child` renderers), `socketpair_floor` (two processes, a blocking AF_UNIX "
    "socketpair, no framing or serialization) and `bench/ipc/node_ipc_bench.js` (Node's "
    "`child_process.fork` with `serialization: 'advanced'`), each case in a fresh process, "
    "in both pinnings. The text below is generated by the script.\n\n")
splice(doc_path, "ipc", section + block)
PY

if [[ $failed -ne 0 ]]; then
  echo "error: some benchmarks failed (see above)" >&2
  exit 1
fi
