#!/usr/bin/env node
'use strict';
// Node's own V8 as a live oracle for the JS codec (property-based).
//
//   node oracle_test.js [--codec path] [--cases N] [--seed S] [--case K] [--verbose]
//
// For each seeded random value tree v (random_values.js):
//   1. encode(v, {form: 'node'}) must equal v8.serialize(v) byte for byte;
//   2. decode(v8.serialize(v), {form: 'node'}) must be util.isDeepStrictEqual
//      to v8.deserialize of the same bytes, with the same sharing and cycles;
//   3. decode(encode(v, {form: 'valence'})) must deep-equal v, views keeping
//      their offsets and shared buffers.
// Also with values made in another realm (vm context). Environment:
// VALENCE_ORACLE_SEED / VALENCE_ORACLE_CASES as for the C++ oracle.
// Prints "N passed, N failed"; exits 1 on any failure.

const fs = require('fs');
const path = require('path');
const util = require('util');
const v8 = require('v8');
const vm = require('vm');
const { makeGenerator } = require('./random_values.js');

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

const here = __dirname;
const codecPath = arg('--codec', path.join(here, '../../src/web_extension/js/v8_codec.js'));
const load = (file) => vm.runInThisContext(fs.readFileSync(file, 'utf8'), { filename: file });
const codec = load(codecPath);
const runner = load(path.join(here, 'conformance_runner.js'));

const seed = Number(arg('--seed', process.env.VALENCE_ORACLE_SEED || String(Date.now() % 1e9))) >>> 0;
const cases = Number(arg('--cases', process.env.VALENCE_ORACLE_CASES || '3000'));
const onlyCase = arg('--case', undefined);
const verbose = process.argv.includes('--verbose');
console.log('oracle seed ' + seed + ', ' + cases + ' cases (rerun one with --seed ' + seed +
            ' --case K)');

let passed = 0;
let failed = 0;
const hex = (bytes) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');

function report(k, value, problem) {
  failed++;
  if (failed > 10) return;
  console.log('FAIL case ' + k + ': ' + problem);
  console.log('  value: ' + util.inspect(value, { depth: 6, breakLength: 120 }).slice(0, 2000));
}

function firstDifference(a, b) {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

function runCase(k, value) {
  let theirs;
  try {
    theirs = new Uint8Array(v8.serialize(value));
  } catch (err) {
    // Node refuses it (e.g. an error whose cause is itself cannot be read
    // back, but that is only on the reading side): then we must refuse too.
    let ours = null;
    try {
      ours = codec.encode(value, { form: 'node' });
    } catch (e) {
      passed++;
      return;
    }
    report(k, value, 'node refuses (' + err.message + ') but encode gave ' + hex(ours).slice(0, 200));
    return;
  }
  // 1. Byte-exact encoding.
  let ours;
  try {
    ours = codec.encode(value, { form: 'node' });
  } catch (err) {
    report(k, value, 'encode threw ' + err.message);
    return;
  }
  if (!runner.sameBytes(ours, theirs)) {
    const at = firstDifference(ours, theirs);
    report(k, value, 'encode differs at byte ' + at + ': ours ' +
           hex(ours.subarray(Math.max(0, at - 8), at + 16)) + ' vs node ' +
           hex(theirs.subarray(Math.max(0, at - 8), at + 16)) +
           (verbose ? '\n  ours ' + hex(ours) + '\n  node ' + hex(theirs) : ''));
    return;
  }
  if (verbose) console.log('case ' + k + ': ' + hex(ours).slice(0, 400));
  // 2. Decoding what node wrote.
  let expected;
  let readable = true;
  try {
    expected = v8.deserialize(Buffer.from(theirs));
  } catch (err) {
    readable = false;  // the error-cause-is-itself case: node writes but cannot read it
  }
  if (readable) {
    let decoded;
    try {
      decoded = codec.decode(theirs, { form: 'node' });
    } catch (err) {
      report(k, value, 'decode threw ' + err.message);
      return;
    }
    // isDeepStrictEqual is not reflexive for every value (an invalid Date is
    // not equal to itself): use it only when node agrees with itself.
    const reflexive = util.isDeepStrictEqual(v8.deserialize(Buffer.from(theirs)), expected);
    if (reflexive && !util.isDeepStrictEqual(decoded, expected)) {
      report(k, value, 'decode is not isDeepStrictEqual to v8.deserialize: ' +
             util.inspect(decoded, { depth: 4 }).slice(0, 600));
      return;
    }
    const d = runner.deepEqual(decoded, expected, { views: 'bytes' });
    if (d) {
      report(k, value, 'decode vs v8.deserialize: ' + d);
      return;
    }
  }
  // 3. The valence form round trip.
  try {
    const round = codec.decode(codec.encode(value, { form: 'valence' }), { form: 'valence' });
    const d = runner.deepEqual(round, value, { views: 'shared' });
    if (d) {
      report(k, value, 'valence round trip: ' + d);
      return;
    }
  } catch (err) {
    report(k, value, 'valence round trip threw ' + err.stack);
    return;
  }
  passed++;
}

// Values from this realm.
for (let k = 0; k < cases; k++) {
  if (onlyCase !== undefined && String(k) !== onlyCase) continue;
  const next = makeGenerator((seed + Math.imul(k, 0x9e3779b1)) >>> 0);
  runCase(k, next());
}

// Values from another realm: brand checks must not depend on this realm's
// prototypes. The generator runs inside a fresh context.
if (onlyCase === undefined) {
  const context = vm.createContext({ require, console });
  const makeThere = vm.runInContext(
    '(function (file) { const code = require("fs").readFileSync(file, "utf8");' +
    ' const module = { exports: {} };' +
    ' (new Function("module", "exports", "require", code))(module, module.exports, require);' +
    ' return module.exports.makeGenerator; })', context)(path.join(here, 'random_values.js'));
  const realmCases = Math.max(1, Math.floor(cases / 10));
  for (let k = 0; k < realmCases; k++) {
    const next = makeThere((seed ^ 0x5bd1e995) + k, {});
    runCase('realm-' + k, next());
  }
}

// Byte strings node writes differently or never: UTF-8 strings ('S', with
// ill-formed sequences: V8 replaces them with U+FFFD as WHATWG does), padding
// before any tag, older versions. decode must read them as v8.deserialize does.
if (onlyCase === undefined) {
  const { makeRandom } = require('./random_values.js');
  const random = makeRandom(seed ^ 0x2545f491);
  const int = (n) => Math.floor(random() * n);
  const edgy = [0x00, 0x41, 0x7f, 0x80, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4,
                0xf5, 0xff, 0xa0, 0x9f, 0x90, 0x8f];
  const utf8Cases = Math.max(100, cases);
  for (let k = 0; k < utf8Cases; k++) {
    const body = [];
    const n = 1 + int(10);
    for (let i = 0; i < n; i++) body.push(random() < 0.7 ? edgy[int(edgy.length)] : int(256));
    const bytes = Buffer.from([0xff, 0x0f, 0x53, n, ...body]);
    const theirs = v8.deserialize(bytes);
    let ours;
    try {
      ours = codec.decode(new Uint8Array(bytes), { form: 'node' });
    } catch (err) {
      ours = 'threw ' + err.message;
    }
    if (ours === theirs) {
      passed++;
    } else {
      report('utf8-' + k, bytes.toString('hex'), 'UTF-8 string: ' + JSON.stringify(ours) + ' vs ' +
             JSON.stringify(theirs));
    }
  }
  // Padding before tags and versions 13/14, on encodings of random values.
  for (let k = 0; k < Math.floor(cases / 10); k++) {
    const value = makeGenerator((seed + 77 + k) >>> 0)();
    let bytes;
    try {
      bytes = [...v8.serialize(value)];
    } catch (err) {
      continue;
    }
    if (k % 3 === 0) bytes[1] = 14;  // no view records in node's form: same layout
    if (k % 3 === 1) bytes[1] = 13;
    const padded = bytes.slice(0, 2).concat(Array(1 + int(3)).fill(0), bytes.slice(2));
    let theirs;
    try {
      theirs = v8.deserialize(Buffer.from(padded));
    } catch (err) {
      continue;  // e.g. an error that is its own cause
    }
    try {
      const ours = codec.decode(new Uint8Array(padded), { form: 'node' });
      const d = runner.deepEqual(ours, theirs, { views: 'bytes' });
      if (d) report('padded-' + k, value, 'padded/older version: ' + d);
      else passed++;
    } catch (err) {
      report('padded-' + k, value, 'padded/older version threw ' + err.message);
    }
  }
}

console.log(passed + ' passed, ' + failed + ' failed');
process.exit(failed === 0 ? 0 : 1);
