#!/usr/bin/env node
'use strict';
// The JS codec inside JavaScriptCore (WebKitGTK's engine, the one the codec
// is written for), checked from node.
//
//   node engine_test.js --host build/tests/web_js/valence_jsc_host
//                       [--codec path] [--vectors dir] [--cases N] [--seed S]
//   node engine_test.js --vm ...    (the same script in a fresh node vm context)
//
// One script runs in valence_jsc_host (jsc_host.cc). In JavaScriptCore it
//   1. runs conformance_runner.js over the 132 vectors, with values built
//      from their models (no v8 there);
//   2. makes seeded random values with random_values.js (engineNeutral) and
//      encodes them in both forms; node makes the same values and checks the
//      'node' bytes against v8.serialize and the 'valence' bytes against the
//      codec running in node; JavaScriptCore also checks the valence round
//      trip itself;
//   3. decodes what v8.serialize wrote for those values and encodes the result
//      in valence form, which must equal node's decode of the same bytes
//      encoded the same way;
//   4. does it all again after tampering with the built-ins the codec uses.
// Prints "N passed, N failed"; exits 1 on any failure.

const childProcess = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const v8 = require('v8');
const vm = require('vm');
const { makeGenerator } = require('./random_values.js');

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

const here = __dirname;
const host = arg('--host', undefined);
const inVm = process.argv.includes('--vm');
if (!host && !inVm) {
  console.error('usage: engine_test.js --host PATH_OF_valence_jsc_host | --vm');
  process.exit(2);
}
const codecPath = arg('--codec', path.join(here, '../../src/web_extension/js/v8_codec.js'));
const vectors = arg('--vectors', path.join(here, '../../../shared/conformance/v8/public'));
const seed = Number(arg('--seed', process.env.VALENCE_ORACLE_SEED || String(Date.now() % 1e9))) >>> 0;
const count = Number(arg('--cases', process.env.VALENCE_ORACLE_CASES || '1000'));
console.log((inVm ? 'node vm context' : 'JavaScriptCore') + ', seed ' + seed + ', ' + count +
            ' random cases');

const codecSource = fs.readFileSync(codecPath, 'utf8');
const runnerSource = fs.readFileSync(path.join(here, 'conformance_runner.js'), 'utf8');
const generatorSource = fs.readFileSync(path.join(here, 'random_values.js'), 'utf8');
const codec = vm.runInThisContext(codecSource, { filename: codecPath });

const hex = (bytes) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
const seedOf = (k) => (seed + Math.imul(k, 0x9e3779b1)) >>> 0;

// ---------------------------------------------------------------------------
// Inputs.

const index = JSON.parse(fs.readFileSync(path.join(vectors, 'index.json'), 'utf8'));
const cases = index.cases.map((c) => {
  const json = JSON.parse(fs.readFileSync(path.join(vectors, c.name + '.json'), 'utf8'));
  return {
    name: c.name,
    hex: fs.readFileSync(path.join(vectors, c.name + '.bin')).toString('hex'),
    model: json.value,
    canonical: json.canonical,
    buffer: c.features.includes('view:Buffer'),
  };
});

const seeds = [];
const nodeBytes = [];  // v8.serialize of each random value
const nodeValues = [];
for (let k = 0; k < count; k++) {
  const value = makeGenerator(seedOf(k), { engineNeutral: true })();
  seeds.push(seedOf(k));
  nodeValues.push(value);
  let bytes = null;
  try {
    bytes = hex(new Uint8Array(v8.serialize(value)));
  } catch (err) {
    bytes = null;
  }
  nodeBytes.push(bytes);
}

// ---------------------------------------------------------------------------
// The script JavaScriptCore runs.

function inJsc(input) {
  // Tamper-proof helpers: no methods, no typed array getters.
  const fromHex = (h) => {
    const n = h.length / 2;
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = parseInt(h.substr(2 * i, 2), 16);
    return b;
  };
  const HEX = [];  // made before the built-ins are tampered with
  for (let i = 0; i < 256; i++) HEX.push((i < 16 ? '0' : '') + i.toString(16));
  const toHex = (b) => {
    let s = '';
    for (let i = 0; b[i] !== undefined; i++) s += HEX[b[i]];
    return s;
  };
  const codec = (0, eval)(input.codecSource);
  const runner = (0, eval)(input.runnerSource);
  const module = { exports: {} };
  (new Function('module', 'exports', input.generatorSource))(module, module.exports);
  const makeGenerator = module.exports.makeGenerator;

  function run(label) {
    const out = { label };
    const cases = input.cases.map((c) => ({
      name: c.name,
      bytes: fromHex(c.hex),
      value: runner.modelToValue(c.model),
      canonical: c.canonical,
      skipEncode: c.buffer ? 'no Buffer in JavaScriptCore' : undefined,
    }));
    out.conformance = runner.runConformance(codec, cases);
    out.encoded = input.seeds.map((s) => {
      const value = makeGenerator(s, { engineNeutral: true })();
      try {
        const node = codec.encode(value, { form: 'node' });
        const valence = codec.encode(value, { form: 'valence' });
        const round = runner.deepEqual(codec.decode(valence, { form: 'valence' }), value,
                                       { views: 'shared' });
        return { node: toHex(node), valence: toHex(valence), round };
      } catch (err) {
        return { error: String(err && err.message) };
      }
    });
    out.decoded = input.nodeBytes.map((h) => {
      if (h === null) return null;
      try {
        return toHex(codec.encode(codec.decode(fromHex(h), { form: 'node' }), { form: 'valence' }));
      } catch (err) {
        return 'threw ' + err.message;
      }
    });
    return out;
  }

  const results = { plain: run('plain'), tampered: null };

  // Tamper with every built-in the codec could have used: it captured them.
  // (Plain loops from here on: iteration, push and index setters are gone.)
  const poison = function () { throw new Error('tampered built-in called'); };
  const define = Object.defineProperty;
  const setPrototypeOf = Object.setPrototypeOf;
  const TypedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype);
  const methods = [
    [Map.prototype, ['get', 'set', 'has', 'forEach', 'entries', Symbol.iterator]],
    [Set.prototype, ['add', 'has', 'forEach', 'values', Symbol.iterator]],
    [WeakMap.prototype, ['get', 'set', 'has']],
    [String.prototype, ['charCodeAt', 'slice', 'codePointAt']],
    [Object, ['keys', 'getPrototypeOf', 'hasOwn', 'freeze', 'getOwnPropertyDescriptor']],
    [Function.prototype, ['call', 'apply', 'bind']],
    [Object.prototype, ['toString', 'hasOwnProperty']],
    [Reflect, ['apply', 'ownKeys']],
    [String, ['fromCharCode']],
    [Array, ['isArray']],
    [ArrayBuffer, ['isView']],
    [TypedArrayPrototype, ['set', 'subarray']],
    [Date.prototype, ['getTime']],
    [Number.prototype, ['valueOf', 'toString']],
    [BigInt.prototype, ['valueOf', 'toString']],
    [Math, ['imul', 'floor']],
    [ArrayBuffer.prototype, ['slice']],
    [Array.prototype, ['push', 'map', 'forEach', Symbol.iterator]],
  ];
  const accessors = [
    [TypedArrayPrototype, ['length', 'buffer', 'byteLength', 'byteOffset', Symbol.toStringTag]],
    [ArrayBuffer.prototype, ['byteLength', 'resizable', 'maxByteLength', 'detached']],
    [DataView.prototype, ['buffer', 'byteLength', 'byteOffset']],
    [Map.prototype, ['size']],
    [Set.prototype, ['size']],
    [Uint8Array.prototype, ['constructor']],
    [String.prototype, ['charCodeAt']],
    // Setters and index properties on the prototypes decoded values get.
    [Object.prototype, ['a', 'b', 'name', 'value', 'message', 'foo', '0', '1', '2', '__proto__']],
    [Array.prototype, ['a', 'b', 'name', 'value', 'message', 'foo', '0', '1', '2']],
  ];
  const accessor = { __proto__: null, get: poison, set: poison, configurable: true };
  const method = { __proto__: null, value: poison, writable: true, configurable: true };
  for (let i = 0; i < accessors.length; i++) {
    for (let j = 0; j < accessors[i][1].length; j++) define(accessors[i][0], accessors[i][1][j], accessor);
  }
  for (let i = 0; i < methods.length; i++) {
    for (let j = 0; j < methods[i][1].length; j++) define(methods[i][0], methods[i][1][j], method);
  }
  try {
    // The runner needs working built-ins: compare bytes only.
    const tampered = { label: 'tampered', encoded: setPrototypeOf([], null),
                       vectors: setPrototypeOf([], null) };
    const plainEncoded = results.plain.encoded;
    for (let k = 0; k < input.seeds.length && k < 200; k++) {
      const bytes = plainEncoded[k].valence;
      if (bytes === undefined) {
        tampered.encoded[k] = null;
        continue;
      }
      try {
        tampered.encoded[k] = { valence: toHex(codec.encode(codec.decode(fromHex(bytes),
                                                                         { form: 'valence' }),
                                                            { form: 'valence' })) };
      } catch (err) {
        tampered.encoded[k] = { error: String(err && err.stack) };
      }
    }
    for (let i = 0; i < input.cases.length; i++) {
      try {
        tampered.vectors[i] = toHex(codec.encode(codec.decode(fromHex(input.cases[i].hex),
                                                              { form: 'node' }), { form: 'node' }));
      } catch (err) {
        tampered.vectors[i] = 'threw ' + String(err && err.stack);
      }
    }
    results.tampered = tampered;
  } catch (err) {
    results.tampered = { label: 'tampered', crashed: String(err && err.stack) };
  }
  return JSON.stringify([results.plain, results.tampered]);
}

const input = { codecSource, runnerSource, generatorSource, cases, seeds, nodeBytes };
const script = '(' + inJsc.toString() + ')(' + JSON.stringify(input) + ')';
let output;
if (inVm) {
  // A fresh context: its built-ins are its own to tamper with.
  output = vm.runInNewContext(script, {}, { filename: 'engine-script.js' });
} else {
  const file = path.join(os.tmpdir(), 'valence-jsc-' + process.pid + '.js');
  fs.writeFileSync(file, script);
  try {
    output = childProcess.execFileSync(host, [file], { maxBuffer: 1 << 30, encoding: 'utf8' });
  } finally {
    fs.unlinkSync(file);
  }
}
const [plain, tampered] = JSON.parse(output);

// ---------------------------------------------------------------------------
// Checks.

let passed = 0;
let failed = 0;
function check(ok, what) {
  if (ok) {
    passed++;
  } else {
    failed++;
    if (failed <= 20) console.log('FAIL ' + what);
  }
}

passed += plain.conformance.passed;
for (const f of plain.conformance.failures) check(false, 'engine conformance ' + f.name + ': ' + f.problem);

for (let k = 0; k < count; k++) {
  const got = plain.encoded[k];
  const value = nodeValues[k];
  let valence = null;
  try {
    valence = hex(codec.encode(value, { form: 'valence' }));
  } catch (err) {
    valence = null;
  }
  if (nodeBytes[k] === null || valence === null) {
    check(got.error !== undefined, 'case ' + k + ': node refuses the value but it was encoded there');
    continue;
  }
  if (got.error !== undefined) {
    check(false, 'case ' + k + ': engine encode threw ' + got.error);
    continue;
  }
  // V8 sometimes keeps an integral number as a heap number (a double field,
  // a JIT's result), which nothing in JS can see: then node's bytes differ
  // from the canonical form an engine can only make. Accepted when node's
  // own value, written canonically, is what the engine made.
  let nodeForm = nodeBytes[k];
  if (got.node !== nodeForm) {
    try {
      const canonical = hex(codec.encode(codec.decode(Buffer.from(nodeForm, 'hex'), { form: 'node' }),
                                         { form: 'node' }));
      if (canonical === got.node) nodeForm = canonical;
    } catch (err) { /* the check below reports it */ }
  }
  check(got.node === nodeForm, 'case ' + k + ' (seed ' + seeds[k] + '): node form made there differs ' +
        'from v8.serialize\n  jsc  ' + got.node.slice(0, 300) + '\n  node ' + nodeBytes[k].slice(0, 300));
  check(got.valence === valence, 'case ' + k + ': valence form made there differs from node\'s');
  check(got.round === null, 'case ' + k + ': valence round trip there: ' + got.round);
  const decoded = plain.decoded[k];
  const ours = hex(codec.encode(codec.decode(Buffer.from(nodeBytes[k], 'hex'), { form: 'node' }),
                                { form: 'valence' }));
  check(decoded === ours, 'case ' + k + ': decode there of v8.serialize bytes differs: ' +
        String(decoded).slice(0, 200));
}

if (tampered.crashed) {
  check(false, 'tampered run crashed: ' + tampered.crashed);
} else {
  tampered.encoded.forEach((got, k) => {
    if (got === null || got === undefined || plain.encoded[k].valence === undefined) return;
    check(got.valence === plain.encoded[k].valence,
          'tampered case ' + k + ': ' + (got.error || 'valence bytes differ'));
  });
  cases.forEach((c, i) => {
    if (!c.canonical || c.buffer) return;
    check(tampered.vectors[i] === c.hex, 'tampered vector ' + c.name + ': ' +
          String(tampered.vectors[i]).slice(0, 200));
  });
}

console.log(passed + ' passed, ' + failed + ' failed');
process.exit(failed === 0 ? 0 : 1);
