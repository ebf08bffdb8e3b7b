#!/usr/bin/env bash
# Runs the remote-module benchmarks — web_bench --case remote: a valence App
# with one BrowserWindow (enable_remote_module), the loops in the preload
# world, each figure beside its baseline measured in the same process, rounds
# interleaved — under xvfb-run, prints a markdown block and writes it into
# docs/benchmarks.md between <!-- remote:begin --> and <!-- remote:end -->
# (inserted after the web section when the markers are not there yet).
#
#   bench/web/run_remote_bench.sh BUILD_DIR    (builds nothing: build web_bench
#                                               first, CMAKE_BUILD_TYPE=Release)
#
# Pinnings as run_web_bench.sh's IPC run: web_bench under `taskset -c 0`;
# once the page's first message arrives every thread of main is set to CPU 0
# and every thread of the web process to CPU 0 (same) or CPU 1 (split).
# Both pinnings alternate, RUNS fresh processes each; a table cell is the
# median over the runs of each run's median (p90: of each run's p90), a
# ratio the median over the runs of remote ÷ baseline within one run.
# Env: RUNS (3), ROUNDS (5), N_SMALL (5000 timed small calls per case and
#      run, over the rounds), WARMUP_SMALL (300 per round), N_MANY (10
#      10,000-proxy builds and releases per run), WARMUP_MANY (1),
#      N_MANY_TRACED (5 releases in the traced frame-count run per pinning),
#      VALENCE_REVISION (what to print as the revision; default: git HEAD),
#      WEB_BENCH_NO_DOC=1 (print only), WEB_BENCH_KEEP=DIR (keep each run's JSON).
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 BUILD_DIR" >&2
  exit 2
fi
build=$(cd "$1" && pwd)
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
bin="$build/bench/web/web_bench"

if [[ ! -x $bin ]]; then
  echo "error: $bin not found; build it: cmake --build $build --target web_bench" >&2
  exit 1
fi
command -v xvfb-run >/dev/null || { echo "error: xvfb-run not found (apt-get install xvfb)" >&2; exit 1; }
command -v taskset >/dev/null || { echo "error: taskset not found (util-linux)" >&2; exit 1; }

runs=${RUNS:-3}
rounds=${ROUNDS:-5}
n_small=${N_SMALL:-5000}
warmup_small=${WARMUP_SMALL:-300}
n_many=${N_MANY:-10}
warmup_many=${WARMUP_MANY:-1}

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
export NO_AT_BRIDGE=1

start=$(date +%s)
for ((rep = 1; rep <= runs; rep++)); do
  for pin in "${pins[@]}"; do
    name="remote_${pin}_$rep"
    echo "  $name" >&2
    if ! xvfb-run -a -s "-screen 0 1280x1024x24" taskset -c 0 "$bin" --case remote --pin "$pin" \
      --rounds "$rounds" --n-small "$n_small" --warmup-small "$warmup_small" \
      --n-many "$n_many" --warmup-many "$warmup_many" >"$tmp/$name.json" 2>"$tmp/$name.err"; then
      echo "  FAILED: $name:" >&2
      grep -v "a11y bus" "$tmp/$name.err" | sed 's/^/    /' >&2 || true
      failed=1
    fi
  done
done
# The RemoteRelease frames, counted: one more process per pinning, only the
# 10,000-proxy build and release, with VALENCE_IPC_TRACE=1 (main prints each
# frame it receives; web_bench brackets each release). Its timings are not used.
for pin in "${pins[@]}"; do
  name="frames_$pin"
  echo "  $name" >&2
  if ! VALENCE_IPC_TRACE=1 xvfb-run -a -s "-screen 0 1280x1024x24" taskset -c 0 "$bin" --case remote \
    --pin "$pin" --rounds 1 --n-many "${N_MANY_TRACED:-5}" --warmup-many 1 \
    --only preload.remote_many,preload.remote_release >"$tmp/$name.json" 2>"$tmp/$name.err"; then
    echo "  FAILED: $name:" >&2
    grep -v "a11y bus" "$tmp/$name.err" | grep -v "^\[ipc\]" | sed 's/^/    /' >&2 || true
    failed=1
  fi
done
elapsed=$(( $(date +%s) - start ))
if [[ -n ${WEB_BENCH_KEEP:-} ]]; then
  mkdir -p "$WEB_BENCH_KEEP" && cp "$tmp"/*.json "$WEB_BENCH_KEEP"/
fi
load_end=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)

build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$build/CMakeCache.txt" 2>/dev/null || true)
webkit_version=$(pkg-config --modversion webkit2gtk-4.1 2>/dev/null || echo unknown)
if [[ -n ${VALENCE_REVISION:-} ]]; then
  revision=$VALENCE_REVISION
else
  revision=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
  if [[ -n $(git -C "$root" status --porcelain -- src include 2>/dev/null) ]]; then
    revision+=" with uncommitted changes in src/ or include/"
  fi
fi

PYTHONPATH="$root/bench/support${PYTHONPATH:+:$PYTHONPATH}" \
python3 - "$tmp" "$root/docs/benchmarks.md" "${build_type:-unknown}" "$load_start" "$load_end" \
  "$elapsed" "${WEB_BENCH_NO_DOC:-0}" "$revision" "$webkit_version" "$runs" "$rounds" \
  "$n_small" "$warmup_small" "$n_many" "$warmup_many" "$failed" <<'PY'
import datetime, glob, json, os, platform, statistics, sys
from splice_doc import reflow, splice

(tmp, doc_path, build_type, load_start, load_end, elapsed, no_doc, revision, webkit_version,
 runs, rounds, n_small, warmup_small, n_many, warmup_many, failed) = sys.argv[1:17]
failed = failed == "1"


def load(path):
    try:
        return json.loads(open(path).read().strip().splitlines()[-1])
    except (OSError, ValueError, IndexError):
        return None


RUNS = {}
for pin in ("same", "split"):
    got = [load(p) for p in sorted(glob.glob(os.path.join(tmp, f"remote_{pin}_*.json")))]
    got = [g for g in got if g and g.get("results")]
    if got:
        RUNS[pin] = got
ok_all = not failed and all(g.get("ok") for v in RUNS.values() for g in v)
PIN_LABEL = {"same": "same CPU (main and the web process on CPU 0)",
             "split": "split (main on CPU 0, the web process on CPU 1)"}


def per_run(pin, key, stat="median_us"):
    out = []
    for g in RUNS.get(pin, []):
        v = g["results"].get(key)
        if v is not None and v.get(stat) is not None:
            out.append(v[stat])
    return out


def m(pin, key, stat="median_us"):
    xs = per_run(pin, key, stat)
    return statistics.median(xs) if xs else None


def mx(pin, key):
    xs = per_run(pin, key, "max_us")
    return max(xs) if xs else None


def ratio(pin, a, b):
    xs = []
    for g in RUNS.get(pin, []):
        va, vb = g["results"].get(a), g["results"].get(b)
        if va and vb and vb.get("median_us"):
            xs.append(va["median_us"] / vb["median_us"])
    return (statistics.median(xs), min(xs), max(xs)) if xs else None


def us(v):
    return "n/a" if v is None else f"{v:,.1f} µs"


def ms(v):
    return "n/a" if v is None else f"{v / 1000:,.1f} ms"


def fmt(v, unit):
    return us(v) if unit == "us" else ms(v)


def cell(pin, key, unit="us"):
    med, p90 = m(pin, key), m(pin, key, "p90_us")
    return "n/a" if med is None else f"{fmt(med, unit)} (p90 {fmt(p90, unit)})"


def rcell(r):
    if r is None:
        return "n/a"
    med, lo, hi = r
    return f"{med:.2f}" if len(RUNS_ANY) < 2 else f"{med:.2f} ({lo:.2f}–{hi:.2f})"


RUNS_ANY = next(iter(RUNS.values()), [])


# Traced runs: RemoteRelease frames (and their sizes) per release.
def traced_frames(pin):
    try:
        lines = open(os.path.join(tmp, f"frames_{pin}.err"), errors="replace").read().splitlines()
    except OSError:
        return None
    releases, cur = [], None
    for line in lines:
        if "[web_bench] release watch start" in line:
            cur = []
        elif "[web_bench] release watch end" in line:
            if cur is not None:
                releases.append(cur)
            cur = None
        elif cur is not None and "-> RemoteRelease" in line:
            size = line.rsplit("(", 1)[-1].split(" ")[0]
            cur.append(int(size) if size.isdigit() else 0)
    return releases or None


TRACED = {pin: traced_frames(pin) for pin in ("same", "split")}


def yes(ok):
    return "n/a" if ok is None else ("met" if ok else "**NOT met**")


def cpu_model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def rng(pin, key, scale=1.0, digits=0):
    xs = [x * scale for x in per_run(pin, key)]
    if not xs:
        return "n/a"
    return ", ".join(f"{x:,.{digits}f}" for x in xs)


def targets(pin):
    r1 = ratio(pin, "preload.remote_get", "page.sendSync")
    r2g = ratio(pin, "preload.remote_prop_get", "page.sendSync")
    r2s = ratio(pin, "preload.remote_prop_set", "page.sendSync")
    build, rel = m(pin, "preload.remote_many"), m(pin, "release.total")
    frames = mx(pin, "release.page_frames")
    if TRACED.get(pin):
        frames = max(len(r) for r in TRACED[pin])
    r8 = ratio(pin, "preload.remote_cb", "preload.push")
    r6 = ratio(pin, "preload.remote_async_get", "preload.invoke_int")
    r7 = ratio(pin, "preload.remote_async_chain", "preload.remote_async_get")
    return {
        "R1": None if r1 is None else r1[0] <= 1.2,
        "R2get": None if r2g is None else r2g[0] <= 1.2,
        "R2set": None if r2s is None else r2s[0] <= 1.2,
        "R4build": None if build is None else build <= 80000,
        "R4release": None if rel is None else rel <= 100000,
        "R4frames": None if frames is None else frames <= 3,
        "R8": None if r8 is None else r8[0] <= 1.1,
        "R6": None if r6 is None else r6[0] <= 1.0,
        "R7": None if r7 is None else r7[0] <= 1.5,
    }


def per_call(pin, key):
    # main's Registry::stats(): messages and operations per call of a step (runs' medians).
    msg, ops = m(pin, key + ".messages_per_call"), m(pin, key + ".operations_per_call")
    return "n/a" if msg is None or ops is None else f"{msg:.2f} message(s), {ops:.2f} operation(s) per call"


def table(pin):
    t = targets(pin)
    rows = [
        "| | remote (preload world) | baseline, same run | remote ÷ baseline | other baselines (÷) | target | |",
        "| --- | ---: | ---: | ---: | --- | --- | --- |",
    ]

    def others(key, pairs):
        return "; ".join(f"{label} {cell(pin, b)} ({rcell(ratio(pin, key, b))})" for label, b in pairs)

    sync_others = [("preload world's sendSync echo", "preload.sendSync"),
                   ("preload world's `sendSync('int-sync')`, no argument, an int back", "preload.sendSync_int")]
    rows.append(f"| R1 `counter.get()`: a method, no argument, an int back | {cell(pin, 'preload.remote_get')} | "
                f"page's sendSync echo {cell(pin, 'page.sendSync')} | {rcell(ratio(pin, 'preload.remote_get', 'page.sendSync'))} | "
                f"{others('preload.remote_get', sync_others)} | ≤ 1.2 × page sendSync | {yes(t['R1'])} |")
    rows.append(f"| R2 `counter.value` (get) | {cell(pin, 'preload.remote_prop_get')} | "
                f"page's sendSync echo | {rcell(ratio(pin, 'preload.remote_prop_get', 'page.sendSync'))} | "
                f"{others('preload.remote_prop_get', sync_others)} | ≤ 1.2 × page sendSync | {yes(t['R2get'])} |")
    rows.append(f"| R2 `counter.value = 7` (set) | {cell(pin, 'preload.remote_prop_set')} | "
                f"page's sendSync echo | {rcell(ratio(pin, 'preload.remote_prop_set', 'page.sendSync'))} | "
                f"{others('preload.remote_prop_set', sync_others)} | ≤ 1.2 × page sendSync | {yes(t['R2set'])} |")
    rows.append(f"| R4 `makeMany(10000)`: one call, 10,000 new proxies (5 properties each) | "
                f"{cell(pin, 'preload.remote_many', 'ms')} | one sendSync returning 10,000 plain objects of the same 5 fields "
                f"{cell(pin, 'preload.items_sync', 'ms')} | {rcell(ratio(pin, 'preload.remote_many', 'preload.items_sync'))} | "
                f"CPU per build: web process {ms(m(pin, 'preload.remote_many', 'web_cpu_us_per_iteration'))}, main "
                f"{ms(m(pin, 'preload.remote_many', 'main_cpu_us_per_iteration'))} (sendSync's: "
                f"{ms(m(pin, 'preload.items_sync', 'web_cpu_us_per_iteration'))}, "
                f"{ms(m(pin, 'preload.items_sync', 'main_cpu_us_per_iteration'))}) | "
                f"≤ 80 ms | {yes(t['R4build'])} |")
    rows.append(f"| R4 release: drop, `__valenceTest.gc()`, until main's `stats().exports` is back to its baseline | "
                f"{cell(pin, 'release.total', 'ms')} | of which the forced GC {cell(pin, 'release.gc', 'ms')}; main's first "
                f"destruction at {ms(m(pin, 'release.first_destroyed'))}, the last {ms(m(pin, 'release.destroying'))} later; the page "
                f"first saw proxies finalized at {ms(m(pin, 'release.page_finalized'))} and given back at "
                f"{ms(m(pin, 'release.page_sent'))} (a `setTimeout(0)` chain: 4 ms steps); main's `stats().exports`: "
                f"{rng(pin, 'release.exports_before')} before the build, {rng(pin, 'release.exports_peak')} after it, "
                f"{rng(pin, 'release.exports_after')} after the release (runs' medians) | – | – | "
                f"≤ 100 ms | {yes(t['R4release'])} |")
    fr_max = mx(pin, "release.page_frames")
    fl_max = mx(pin, "release.page_flushes")
    tr = TRACED.get(pin)
    counted = ("n/a (traced run failed)" if not tr else
               f"{', '.join(str(len(r)) for r in tr)} (traced run, per release; bytes: "
               f"{'; '.join(' + '.join(f'{b:,}' for b in r) for r in tr[:2])}{' …' if len(tr) > 2 else ''})")
    rows.append(f"| R4 release: RemoteRelease frames | {counted} | – | – | inferred in the timed runs: the page saw "
                f"{'n/a' if fl_max is None else f'{fl_max:.0f}'} flush of {'n/a' if fr_max is None else f'{fr_max:.0f}'} frames "
                f"at most; main saw the destructions in {rng(pin, 'release.main_bursts')} bursts (runs' medians) "
                f"| ≤ 3 frames | {yes(t['R4frames'])} |")
    rows.append(f"| R8 main → page `remote::Callback` call, C++ call to the JS function's entry, one way | "
                f"{cell(pin, 'preload.remote_cb')} | `webContents.send` → `ipcRenderer` listener (preload world) "
                f"{cell(pin, 'preload.push')} | {rcell(ratio(pin, 'preload.remote_cb', 'preload.push'))} | "
                f"page's listener (through the bridge) {cell(pin, 'page.push')} "
                f"({rcell(ratio(pin, 'preload.remote_cb', 'page.push'))}) | ≤ 1.1 × send → listener | {yes(t['R8'])} |")
    rows.append(f"| R6 `await remote.async(counter).get()`: one async-view call, an int back | "
                f"{cell(pin, 'preload.remote_async_get')} | `await ipcRenderer.invoke('int')` (preload world; the handler "
                f"returns 7) {cell(pin, 'preload.invoke_int')} | "
                f"{rcell(ratio(pin, 'preload.remote_async_get', 'preload.invoke_int'))} | "
                f"sync `counter.get()` {cell(pin, 'preload.remote_get')} "
                f"({rcell(ratio(pin, 'preload.remote_async_get', 'preload.remote_get'))}); main counted "
                f"{per_call(pin, 'preload.remote_async_get')} | ≤ 1.0 × invoke | {yes(t['R6'])} |")
    rows.append(f"| R7 `await av.make().next().get()`: three dependent async calls (two give remote objects), "
                f"pipelined | {cell(pin, 'preload.remote_async_chain')} | one async call (R6's) "
                f"{cell(pin, 'preload.remote_async_get')} | "
                f"{rcell(ratio(pin, 'preload.remote_async_chain', 'preload.remote_async_get'))} | "
                f"the three made synchronously, `counter.make().next().get()` {cell(pin, 'preload.remote_sync_chain')} "
                f"({rcell(ratio(pin, 'preload.remote_async_chain', 'preload.remote_sync_chain'))}); main counted "
                f"{per_call(pin, 'preload.remote_async_chain')} (sync: {per_call(pin, 'preload.remote_sync_chain')}) "
                f"| ≤ 1.5 × one async call | {yes(t['R7'])} |")
    return "\n".join(rows)


def breakdown():
    pins = list(RUNS)
    rows = ["| piece (median of the runs' medians) | " + " | ".join(pins) + " |",
            "| --- | " + " | ".join("---:" for _ in pins) + " |"]
    for label, key in (("`now()` pair (the timer, in every sample), preload world", "preload.now"),
                       ("`now()` pair, page", "page.now"),
                       ("sendSync (`stamp-sync`): way up (call → main's handler)", "preload.sendSync_up"),
                       ("sendSync: way down (handler → the call returns)", "preload.sendSync_down"),
                       ("remote `counter.stamp()`: way up (call → main's method)", "preload.remote_stamp_up"),
                       ("remote `counter.stamp()`: way down (method → the call returns)", "preload.remote_stamp_down"),
                       ("invoke (`stamp`): way up (call → main's handler)", "preload.invoke_up"),
                       ("invoke: way down (handler → the await returns)", "preload.invoke_down"),
                       ("async view `await av.stamp()`: way up (call → main's method)", "preload.remote_async_stamp_up"),
                       ("async view: way down (method → the await returns)", "preload.remote_async_stamp_down")):
        rows.append(f"| {label} | " + " | ".join(us(m(p, key)) for p in pins) + " |")
    return "\n".join(rows)


t_now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
nproc = os.cpu_count()
header = f"""### The remote module

`bench/web/run_remote_bench.sh BUILD_DIR` runs `web_bench --case remote`: one window with
`enable_remote_module`, main's module `bench` (`web_bench.cc`: a `Counter` with `get()`, `value`,
`stamp()` and `make()` (a `Link`, whose `next()` gives another and `get()` an int), `makeMany(n)`
returning n new `Item`s of 5 properties, `hold(callback)`), the loops
in the preload world (`bench/web/bench_preload.js`; remote lives there), and the baselines in the
same process, their rounds interleaved with the remote ones. Targets (issue): R1 a method call
≤ 1.2 × the page's sendSync echo; R2 a property get and set ≤ 1.2 × the same; R4 one call
returning 10,000 new proxies ≤ 80 ms, their release after a forced GC ≤ 100 ms in ≤ 3
RemoteRelease frames; R8 a main → page `remote::Callback` call ≤ 1.1 × `webContents.send` →
`ipcRenderer` listener; R6 an async-view call (`await remote.async(counter).get()`) ≤ the preload
world's `ipcRenderer.invoke` of a handler returning a small int; R7 a pipelined chain of three
dependent async calls ≤ 1.5 × one async call (and, for reference, against the three made
synchronously). The text below is generated by the script.

Measured {t_now} on {cpu_model()} ({nproc} vCPUs, Linux {platform.release()}), load average
{load_start} at start and {load_end} at the end (the machine is shared; {elapsed} s for the whole
run). valence {revision}, build type {build_type}; WebKitGTK {webkit_version}, its sandbox on.
{runs} fresh processes per pinning, the pinnings alternating; in each, {n_small} timed small
calls per case over {rounds} interleaved rounds (each after {warmup_small} untimed), and {n_many}
builds and releases of 10,000 proxies (after {warmup_many} untimed), each beside one sendSync
returning 10,000 plain objects. A cell is the median of the runs' medians (p90: of their p90s);
a ratio is remote ÷ baseline within each run, the median of the runs (their range in brackets).

**What is timed.** As the web section: `__valenceTest.now()` (`CLOCK_MONOTONIC` µs) around each
call in the web process, so each sample includes one `now()` pair. The sync baselines are the
existing cases: the page's `bench.sendSync('echo-sync', {{seq, text}})` through the
contextBridge (the brief's baseline), the preload world's `ipcRenderer.sendSync` of the same,
and `ipcRenderer.sendSync('int-sync')` with no argument and an int back (what `counter.get()`
does, as plain IPC). R4: the page's time around `bench.makeMany(10000)` (main makes the objects,
encodes the 10,000 references, the page decodes them and makes the proxies); the release starts
with `arr = null; __valenceTest.gc()` (in a task of its own) and ends when main's last `Item`
destructor runs (main's `RemoteRelease` handling destroys an object when its count reaches 0;
`Registry::stats().exports` checked back at its baseline then), both clocks the same. R8: main
stamps its clock just before `held(now)` (a `remote::Callback` of a preload function), the function
takes `now() − t`; its baseline is the web section's push: main stamps before
`webContents.send('push', t)`, the preload's `ipcRenderer` listener takes the difference. R6, R7:
`await` around each call (as the invoke loops); `av = remote.async(counter)`; the chain is
`counter.make()` → a `Link`, `.next()` → another `Link`, `.get()` → 7, the same two `Link`s every
time (made once in main, their proxies held by the preload for the whole run: the chain's answers
reuse them, so no proxy is made or released per call; R4 times that). Main's
`Registry::stats()` (operations and messages since the connection opened) is read around each
remote step: messages and operations per call.

**Frames.** Counted in one more process per pinning that runs only the builds and releases
({os.environ.get('N_MANY_TRACED', '5')} after 1 untimed) with `VALENCE_IPC_TRACE=1`: main prints
every frame it receives, `RemoteRelease` ones with their size, and `web_bench` brackets each
release on stderr; that run's timings are not used (the trace writes to the terminal). In the
timed runs, without the trace, the count is inferred twice, as a check: the page watches `__valenceTest.remoteStats()` after the GC (a `setTimeout(0)`
chain): finalized minus still pending is what was sent, each growth of it one flush of
⌈pairs ÷ 4096⌉ frames (`kMaxRemoteReleasePairs`); main stamps every destruction and counts bursts
separated by more than 25 µs (a frame's destructions follow each other within a few µs; a new
frame's decode, or a preemption, leaves a gap: an upper bound).

**Pinning.** As the web section's IPC run: `taskset -c 0`, then, at the page's first message,
every thread of main on CPU 0 and every thread of the web process on CPU 0 (*same*) or CPU 1
(*split*).
"""

out = [header, "**Targets**", "",
       "| target | " + " | ".join(PIN_LABEL[p] for p in RUNS) + " |",
       "| --- | " + " | ".join("---" for _ in RUNS) + " |"]
labels = [("R1 method call ≤ 1.2 × page sendSync", "R1"), ("R2 property get ≤ 1.2 × page sendSync", "R2get"),
          ("R2 property set ≤ 1.2 × page sendSync", "R2set"), ("R4 10,000 proxies built ≤ 80 ms", "R4build"),
          ("R4 released ≤ 100 ms after the GC starts", "R4release"), ("R4 ≤ 3 RemoteRelease frames (traced run)", "R4frames"),
          ("R8 Callback ≤ 1.1 × send → listener", "R8"), ("R6 async-view call ≤ 1.0 × invoke", "R6"),
          ("R7 pipelined chain of 3 ≤ 1.5 × one async call", "R7")]
for label, key in labels:
    out.append(f"| {label} | " + " | ".join(yes(targets(p)[key]) for p in RUNS) + " |")
out.append("")
for pin in RUNS:
    out += [f"**{PIN_LABEL[pin][0].upper() + PIN_LABEL[pin][1:]}**", "", table(pin), ""]
out += ["**Where a call's time goes** (main answers with its clock):", "", breakdown(), ""]
for pin in RUNS:
    out.append(f"Per-run medians, {pin}: `counter.get()` {rng(pin, 'preload.remote_get', 1, 1)} µs; page sendSync "
               f"{rng(pin, 'page.sendSync', 1, 1)} µs; R4 build {rng(pin, 'preload.remote_many', 0.001, 1)} ms; release "
               f"{rng(pin, 'release.total', 0.001, 1)} ms; callback {rng(pin, 'preload.remote_cb', 1, 1)} µs; push "
               f"{rng(pin, 'preload.push', 1, 1)} µs; async `get()` {rng(pin, 'preload.remote_async_get', 1, 1)} µs; "
               f"invoke int {rng(pin, 'preload.invoke_int', 1, 1)} µs; async chain "
               f"{rng(pin, 'preload.remote_async_chain', 1, 1)} µs; sync chain {rng(pin, 'preload.remote_sync_chain', 1, 1)} µs.")
    out.append("")
if not ok_all:
    out += ["**Some steps failed in this run** (see the run's output).", ""]
block = reflow("\n".join(out), keep=("|", "-"))
print(block)
if no_doc == "1":
    sys.exit(0)
splice(doc_path, "remote", block, after="web")
PY

if [[ $failed -ne 0 ]]; then
  echo "error: some benchmarks failed (see above)" >&2
  exit 1
fi
