#!/usr/bin/env node
'use strict';
// The JS codec against the C++ codec in valence form.
//
//   node cpp_peer_test.js --peer build/tests/web_js/valence_js_peer [--codec path]
//                         [--cases N] [--seed S] [--case K]
//
// valence_peer.cc decodes each frame with Form::kValence and encodes the value
// again. For each seeded random value tree v (random_values.js), with
// js = encode(v, {form: 'valence'}):
//   - the C++ re-encoding must equal js byte for byte;
//   - decode(that, {form: 'valence'}) must deep-equal v (sharing, cycles, views
//     keeping their offsets and shared buffers).
// Plus a few hand-made cases (views sharing a buffer in every order, resizable
// buffers, depth). Prints "N passed, N failed"; exits 1 on any failure.

const childProcess = require('child_process');
const fs = require('fs');
const path = require('path');
const util = require('util');
const vm = require('vm');
const { makeGenerator } = require('./random_values.js');

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

const here = __dirname;
const codecPath = arg('--codec', path.join(here, '../../src/web_extension/js/v8_codec.js'));
const peerPath = arg('--peer', undefined);
if (!peerPath) {
  console.error('usage: cpp_peer_test.js --peer PATH_OF_valence_js_peer');
  process.exit(2);
}
const load = (file) => vm.runInThisContext(fs.readFileSync(file, 'utf8'), { filename: file });
const codec = load(codecPath);
const runner = load(path.join(here, 'conformance_runner.js'));

const seed = Number(arg('--seed', process.env.VALENCE_ORACLE_SEED || String(Date.now() % 1e9))) >>> 0;
const cases = Number(arg('--cases', process.env.VALENCE_ORACLE_CASES || '3000'));
const onlyCase = arg('--case', undefined);
console.log('C++ peer seed ' + seed + ', ' + cases + ' cases (rerun one with --seed ' + seed +
            ' --case K)');

// ---------------------------------------------------------------------------
// The peer: frames out on its stdin, frames back on its stdout.

const peer = childProcess.spawn(peerPath, [], { stdio: ['pipe', 'pipe', 'inherit'] });
let pending = Buffer.alloc(0);
const waiting = [];
peer.stdout.on('data', (chunk) => {
  pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
  while (pending.length >= 4) {
    const n = pending.readUInt32BE(0);
    if (pending.length < 4 + n) break;
    const payload = new Uint8Array(pending.subarray(4, 4 + n));
    pending = pending.subarray(4 + n);
    waiting.shift().resolve(payload);
  }
});
peer.on('exit', (code, signal) => {
  for (const w of waiting.splice(0)) w.reject(new Error('peer exited (' + (signal || code) + ')'));
});

function roundTrip(bytes) {
  return new Promise((resolve, reject) => {
    waiting.push({ resolve, reject });
    const header = Buffer.alloc(4);
    header.writeUInt32BE(bytes.length, 0);
    peer.stdin.write(header);
    peer.stdin.write(bytes);
  });
}

// ---------------------------------------------------------------------------

let passed = 0;
let failed = 0;
const hex = (b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

function report(k, value, problem) {
  failed++;
  if (failed > 10) return;
  console.log('FAIL case ' + k + ': ' + problem);
  console.log('  value: ' + util.inspect(value, { depth: 6, breakLength: 120 }).slice(0, 2000));
}

async function runCase(k, value) {
  let js;
  try {
    js = codec.encode(value, { form: 'valence' });
  } catch (err) {
    report(k, value, 'encode threw ' + err.message);
    return;
  }
  const cpp = await roundTrip(js);
  if (cpp.length > 0 && cpp[0] === 0x21) {
    report(k, value, 'C++ refused it: ' + Buffer.from(cpp.subarray(1)).toString('utf8') +
           '\n  js ' + hex(js).slice(0, 400));
    return;
  }
  if (!runner.sameBytes(cpp, js)) {
    let at = 0;
    while (at < cpp.length && at < js.length && cpp[at] === js[at]) at++;
    report(k, value, 'C++ re-encoding differs at byte ' + at + ': C++ ' +
           hex(cpp.subarray(Math.max(0, at - 8), at + 16)) + ' vs JS ' +
           hex(js.subarray(Math.max(0, at - 8), at + 16)));
    return;
  }
  try {
    const back = codec.decode(cpp, { form: 'valence' });
    const d = runner.deepEqual(back, value, { views: 'shared' });
    if (d) {
      report(k, value, 'decode of the C++ bytes: ' + d);
      return;
    }
  } catch (err) {
    report(k, value, 'decode of the C++ bytes threw ' + err.message);
    return;
  }
  passed++;
}

function handMade() {
  const ab = new ArrayBuffer(16);
  new Uint8Array(ab).forEach((_, i, a) => { a[i] = i * 7; });
  const rab = new ArrayBuffer(8, { maxByteLength: 32 });
  const deep = [];
  let cursor = deep;
  for (let i = 1; i < 1000; i++) cursor = (cursor[0] = []);
  return [
    [new Uint8Array(ab, 2, 4), new Uint16Array(ab), ab, new DataView(ab, 3)],
    [ab, new Float64Array(ab, 8, 1), new Int32Array(ab, 4)],
    { a: new BigInt64Array(ab), b: new BigUint64Array(ab, 8), c: ab },
    [new Uint8Array(rab), new Uint8Array(rab, 0, 4), new DataView(rab, 2), rab],
    new Map([[ab, new Uint8Array(ab)], [new Int8Array(ab, 1, 3), ab]]),
    deep,
    '\u0000é€😀\ud800',
    -0,
    [2 ** 31, -(2 ** 31), 2 ** 53, 1.5, NaN, 'x'],
    [10n ** 40n, -(2n ** 64n), 0n, Object(-5n)],
  ];
}

(async () => {
  const fixed = handMade();
  for (let k = 0; k < fixed.length; k++) {
    if (onlyCase === undefined) await runCase('fixed-' + k, fixed[k]);
  }
  for (let k = 0; k < cases; k++) {
    if (onlyCase !== undefined && String(k) !== onlyCase) continue;
    const next = makeGenerator((seed + Math.imul(k, 0x9e3779b1)) >>> 0);
    await runCase(k, next());
  }
  // Hostile bytes must come back as a C++ error, not a crash.
  const junk = [[0xff, 0x0f, 0x56, 0x42, 0, 4, 0], [0xff, 0x0f, 0x5c, 0x01], [0xff, 0x0f, 0x41, 0xff]];
  for (const bytes of junk) {
    const reply = await roundTrip(new Uint8Array(bytes));
    if (reply[0] === 0x21) passed++;
    else report('junk', bytes, 'C++ accepted ' + hex(new Uint8Array(bytes)));
  }
  peer.stdin.end();
  console.log(passed + ' passed, ' + failed + ' failed');
  process.exitCode = failed === 0 ? 0 : 1;
})().catch((err) => {
  console.log('FAIL ' + err.stack);
  console.log(passed + ' passed, ' + (failed + 1) + ' failed');
  process.exit(1);
});
