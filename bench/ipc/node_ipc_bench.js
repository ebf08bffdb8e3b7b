#!/usr/bin/env node
'use strict';
// Node's peer for bench/ipc: child_process.fork with serialization:'advanced'
// (V8 serialization over the IPC pipe), the same cases as ipc_bench:
//   ping   the child sends {seq, text:'ping'}, the parent sends it back; the
//          child times each round trip (N timed after a warm-up);
//   send   the child sends N one-way {seq}, then 'done'; the parent counts
//          (and checks the order) and answers 'ack'; messages/s in the child
//          from the first send to the ack, median of REPS;
//   echo   1 MiB and 8 MiB Uint8Array: the child sends it, the parent sends
//          the received array back; time per round trip.
// With $BENCH_CHILD_CPU set, the child is started pinned to that CPU
// (fork's execPath is taskset: `taskset -c CPU node this-file child`).
// Prints one JSON object. Usage: node node_ipc_bench.js [N] [SEND_N] [REPS]

const { fork } = require('child_process');

const IS_CHILD = process.argv[2] === 'child';
const ARGS = process.argv.slice(IS_CHILD ? 3 : 2);
const N = Number(ARGS[0] || 20000);
const WARMUP = Math.min(2000, N);
const SEND_N = Number(ARGS[1] || 200000);
const REPS = Number(ARGS[2] || 3);
const ECHO = [
  { size: 1 << 20, iters: 300, warmup: 10 },
  { size: 8 << 20, iters: 60, warmup: 5 },
];

function stats(xs) {
  const s = Float64Array.from(xs).sort();
  const at = (q) => s[Math.min(s.length - 1, Math.round(q * (s.length - 1)))];
  let sum = 0;
  for (const x of s) sum += x;
  return {
    count: s.length, median_us: at(0.5), p90_us: at(0.9), p99_us: at(0.99),
    max_us: s[s.length - 1], min_us: s[0], mean_us: sum / s.length,
  };
}

const nowUs = () => Number(process.hrtime.bigint()) / 1e3;

// ---- child --------------------------------------------------------------
function child() {
  const queue = [];
  let waiter = null;
  process.on('message', (m) => {
    if (waiter) {
      const w = waiter;
      waiter = null;
      w(m);
    } else {
      queue.push(m);
    }
  });
  const next = () => (queue.length ? Promise.resolve(queue.shift())
    : new Promise((resolve) => { waiter = resolve; }));

  (async () => {
    const out = {};
    // ping
    const lat = [];
    for (let i = 0; i < WARMUP + N; i++) {
      const msg = { seq: i, text: 'ping' };
      const t0 = nowUs();
      process.send(msg);
      const r = await next();
      const t1 = nowUs();
      if (r.seq !== i) throw new Error(`ping ${i}: got ${JSON.stringify(r)}`);
      if (i >= WARMUP) lat.push(t1 - t0);
    }
    Object.assign(out, Object.fromEntries(Object.entries(stats(lat)).map(([k, v]) => [`small_${k}`, v])));

    // send throughput
    const rates = [];
    let ok = true;
    for (let rep = 0; rep < REPS; rep++) {
      const t0 = nowUs();
      for (let i = 0; i < SEND_N; i++) process.send({ seq: i });
      process.send({ done: true });
      const ack = await next();
      const t1 = nowUs();
      if (ack.count !== SEND_N || !ack.inOrder) ok = false;
      rates.push(SEND_N / ((t1 - t0) / 1e6));
    }
    out.send_msgs_per_s = stats(rates).median_us;
    out.send_rates = rates.map(Math.round);
    out.send_ok = ok;

    // echo
    for (const e of ECHO) {
      const src = new Uint8Array(e.size);
      for (let i = 0; i < src.length; i++) src[i] = (i * 31 + 7) & 0xff;
      const t = [];
      for (let i = 0; i < e.warmup + e.iters; i++) {
        const t0 = nowUs();
        process.send({ echo: src });
        const r = await next();
        const t1 = nowUs();
        const back = r.echo;
        if (!(back instanceof Uint8Array) || back.length !== e.size ||
            back[e.size - 1] !== src[e.size - 1]) throw new Error('echo came back wrong');
        if (i >= e.warmup) t.push(t1 - t0);
      }
      Object.assign(out, Object.fromEntries(
        Object.entries(stats(t)).map(([k, v]) => [`echo_${e.size}_${k}`, v])));
    }
    try {
      const status = require('fs').readFileSync('/proc/self/status', 'utf8');
      out.child_cpus_allowed = (status.match(/Cpus_allowed_list:\s*(\S+)/) || [])[1];
    } catch (e) { /* not Linux */ }
    process.send({ result: out });
    process.disconnect();
  })().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}

// ---- parent -------------------------------------------------------------
function parent() {
  const cpu = process.env.BENCH_CHILD_CPU;
  const options = { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] };
  if (cpu) {
    options.execPath = 'taskset';
    options.execArgv = ['-c', cpu, process.execPath];
  }
  const c = fork(__filename, ['child', String(N), String(SEND_N), String(REPS)], options);
  let count = 0;
  let inOrder = true;
  let result = null;
  c.on('message', (m) => {
    if (m.seq !== undefined && m.text === undefined) {  // one-way send
      if (m.seq !== count) inOrder = false;
      count++;
    } else if (m.text !== undefined) {                   // ping
      c.send(m);
    } else if (m.done) {
      c.send({ count, inOrder });
      count = 0;
      inOrder = true;
    } else if (m.echo) {
      c.send({ echo: m.echo });
    } else if (m.result) {
      result = m.result;
    }
  });
  c.on('exit', (code) => {
    const ok = code === 0 && result !== null;
    console.log(JSON.stringify({
      case: 'node', node: process.version, v8: process.versions.v8,
      serialization: 'advanced', child_cpu: cpu || null, ...result, ok,
    }));
    process.exitCode = ok ? 0 : 1;
  });
}

if (IS_CHILD) {
  child();
} else {
  parent();
}
