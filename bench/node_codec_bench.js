#!/usr/bin/env node
'use strict';
// Node's v8.serialize / v8.deserialize on the shapes of bench/codec_bench.cc
// (built identically, so the encoded bytes are the same). Prints JSON:
//   {"node": "v20...", "cases": {"encode/objects_10k": {"mb_per_s": ..., "bytes": ...}, ...}}
// MB/s = encoded bytes / 1e6 per second, median over RUNS timed runs of at
// least MIN_RUN_MS each. Usage: node node_codec_bench.js [RUNS]

const v8 = require('v8');

const RUNS = Number(process.argv[2] || 15);
const MIN_RUN_MS = 100;

function makeObjects() {
  const items = [];
  for (let i = 0; i < 10000; i++) {
    items.push({
      id: i,
      name: `user-${i}`,
      tags: [`tag-${i % 10}`, `group-${i % 100}`, 'common'],
      created: new Date(1700000000000 + i * 1000),
    });
  }
  return items;
}

function makeUint8Array() {
  const bytes = new Uint8Array(8 << 20);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31 + 7) & 0xff;
  return bytes;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

// Runs fn repeatedly; returns the median MB/s over RUNS runs.
function measure(fn, bytesPerCall) {
  let sink = 0;
  const t0 = process.hrtime.bigint();
  let calls = 0;
  while (Number(process.hrtime.bigint() - t0) < 200e6) {  // warm-up, and calibration
    sink ^= fn() ? 1 : 0;
    calls++;
  }
  const perRun = Math.max(1, Math.ceil((calls * MIN_RUN_MS) / 200));
  const rates = [];
  for (let r = 0; r < RUNS; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < perRun; i++) sink ^= fn() ? 1 : 0;
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    rates.push((bytesPerCall * perRun) / seconds / 1e6);
  }
  if (sink === 42) console.error('');  // keep sink alive
  return median(rates);
}

const cases = {};
const shapes = [['objects_10k', makeObjects()], ['uint8array_8MiB', makeUint8Array()]];
for (const [name, value] of shapes) {
  const encoded = v8.serialize(value);
  cases[`encode/${name}`] = {
    mb_per_s: measure(() => v8.serialize(value), encoded.length),
    bytes: encoded.length,
  };
  cases[`decode/${name}`] = {
    mb_per_s: measure(() => v8.deserialize(encoded), encoded.length),
    bytes: encoded.length,
  };
}

process.stdout.write(JSON.stringify({node: process.version, v8: process.versions.v8, runs: RUNS,
                                     cases}, null, 2) + '\n');
