#!/usr/bin/env node
'use strict';
// The JS codec against the 132 byte-exact V8 vectors (shared/conformance/v8).
//
//   node conformance_test.js --codec src/web_extension/js/v8_codec.js \
//                            --vectors ../shared/conformance/v8/public
//
// Every vector: decode(NAME.bin) deep-equals v8.deserialize(NAME.bin) (or the
// value its model describes when node cannot read it back); canonical vectors:
// encode(value, {form: 'node'}) gives NAME.bin exactly; every value also makes
// a valence-form round trip (conformance_runner.js). Then must-fail.json:
// values node refuses must make encode throw a DataCloneError, byte strings
// node rejects must make decode throw (those node accepts must decode as node
// decodes them). Last, hostile input: every truncation of every vector and
// random corruptions must either decode or throw the codec's own error with a
// byte offset, never anything else, never hang.
// Prints "N passed, N failed"; exits 1 on any failure.

const fs = require('fs');
const path = require('path');
const util = require('util');
const v8 = require('v8');
const vm = require('vm');

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

const here = __dirname;
const codecPath = arg('--codec', path.join(here, '../../src/web_extension/js/v8_codec.js'));
const vectors = arg('--vectors', path.join(here, '../../../shared/conformance/v8/public'));
const load = (file) => vm.runInThisContext(fs.readFileSync(file, 'utf8'), { filename: file });
const codec = load(codecPath);
const runner = load(path.join(here, 'conformance_runner.js'));

let passed = 0;
let failed = 0;
let sectionStart = 0;
function section(name) {
  const total = passed + failed;
  console.log(name + ': ' + (total - sectionStart) + ' checks');
  sectionStart = total;
}
function check(ok, what) {
  if (ok) {
    passed++;
  } else {
    failed++;
    console.log('FAIL ' + what);
  }
}

const bytesOf = (buffer) => new Uint8Array(buffer.buffer.slice(buffer.byteOffset,
                                                                buffer.byteOffset + buffer.length));
const fromHex = (text) => new Uint8Array(text.split(/\s+/).filter(Boolean).map((h) => parseInt(h, 16)));
const OUR_DECODE_ERROR = /^invalid V8 serialized data at byte \d+: /;

// ---------------------------------------------------------------------------
// The vectors.

const index = JSON.parse(fs.readFileSync(path.join(vectors, 'index.json'), 'utf8'));
const cases = [];
for (const entry of index.cases) {
  const json = JSON.parse(fs.readFileSync(path.join(vectors, entry.name + '.json'), 'utf8'));
  const bin = fs.readFileSync(path.join(vectors, entry.name + '.bin'));
  const fromModel = runner.modelToValue(json.value, { nodeBuffer: Buffer });
  let value = fromModel;
  if (json.node_deserialize === 'ok') {
    value = v8.deserialize(bin);
    // The model builder must agree with node (it is what a page-side run uses).
    const d = runner.deepEqual(fromModel, value, { views: 'bytes' });
    check(d === null, entry.name + ': model vs v8.deserialize: ' + d);
  }
  cases.push({ name: entry.name, bytes: bytesOf(bin), value, canonical: json.canonical });
}
const result = runner.runConformance(codec, cases, { nodeBuffer: Buffer });
passed += result.passed;
failed += result.failures.length;
for (const f of result.failures) console.log('FAIL ' + f.name + ': ' + f.problem);
check(cases.length === 132, 'expected 132 vectors, found ' + cases.length);
console.log('vectors: ' + result.passed + ' of ' + cases.length + ' passed');
section('vectors and their models');

// ---------------------------------------------------------------------------
// must-fail.json.

const mustFail = JSON.parse(fs.readFileSync(path.join(vectors, 'must-fail.json'), 'utf8'));

// Values made by their `js` text, in this realm and in another one.
function makeValue(js, context) {
  const prelude = 'let ab = new ArrayBuffer(8);';
  const run = (code) => (context ? vm.runInContext(code, context) : vm.runInThisContext(code));
  try {
    return run('(() => { ' + prelude + ' return (' + js + '); })()');
  } catch (err) {
    if (!(err instanceof SyntaxError) && err.name !== 'SyntaxError') throw err;
    const statements = js.split(';').map((s) => s.trim()).filter(Boolean);
    const last = statements.pop();
    return run('(() => { ' + prelude + statements.join(';') + '; return (' + last + '); })()');
  }
}

// Not detectable from plain JavaScript: a Proxy is serialized through its traps.
const KNOWN_LIMITS = { proxy: 'a Proxy cannot be told from its target without engine help' };

for (const entry of mustFail.serialize) {
  for (const realm of ['this realm', 'another realm']) {
    let value;
    try {
      value = makeValue(entry.js, realm === 'this realm' ? undefined : vm.createContext({}));
    } catch (err) {
      if (realm === 'another realm') continue;  // e.g. structuredClone exists only here
      check(false, 'must-fail ' + entry.name + ': cannot build the value: ' + err.message);
      continue;
    }
    if (!entry.v8_serialize.throws) {
      const ours = codec.encode(value, { form: 'node' });
      check(runner.sameBytes(ours, bytesOf(v8.serialize(value))),
            'must-fail ' + entry.name + ' (' + realm + '): encodes differently from node');
      continue;
    }
    if (KNOWN_LIMITS[entry.name]) {
      console.log('note: ' + entry.name + ' not refused (' + KNOWN_LIMITS[entry.name] + ')');
      continue;
    }
    for (const form of ['node', 'valence']) {
      let error = null;
      try {
        codec.encode(value, { form, rootName: 'args[0]' });
      } catch (err) {
        error = err;
      }
      check(error !== null && error.name === 'DataCloneError' &&
            /^args\[0\][^:]*: .*could not be cloned$/.test(error.message),
            'must-fail ' + entry.name + ' (' + realm + ', ' + form + '): ' +
            (error ? error.name + ': ' + error.message : 'encode did not throw'));
    }
  }
}

for (const entry of mustFail.deserialize) {
  const bytes = fromHex(entry.hex);
  let ours;
  let error = null;
  try {
    ours = codec.decode(bytes, { form: 'node' });
  } catch (err) {
    error = err;
  }
  if (entry.v8_deserialize.throws) {
    check(error !== null && OUR_DECODE_ERROR.test(error.message),
          'must-fail ' + entry.name + ': ' + (error ? error.message : 'decode did not throw'));
  } else {
    const theirs = v8.deserialize(Buffer.from(bytes));
    check(error === null && runner.deepEqual(ours, theirs) === null,
          'must-fail ' + entry.name + ' (node accepts it): ' +
          (error ? error.message : util.inspect(ours) + ' vs ' + util.inspect(theirs)));
  }
}

section('must-fail.json');

// Encoder error texts and paths, as the C++ encoder words them.
function cloneError(value, options) {
  try {
    codec.encode(value, options);
  } catch (err) {
    return err.name + ': ' + err.message;
  }
  return 'no error';
}
const deep = [];
let cursor = deep;
for (let i = 1; i < 1000; i++) cursor = (cursor[0] = []);  // 1000 levels
const expectations = [
  [[1, { cb() {} }], { rootName: 'args' }, 'DataCloneError: args[1].cb: function could not be cloned'],
  [{ 'a b': [Symbol('s')] }, {}, 'DataCloneError: value["a b"][0]: symbol could not be cloned'],
  [{ 0: new WeakMap() }, {}, 'DataCloneError: value["0"]: WeakMap could not be cloned'],
  [new Map([[1, { x: () => 1 }]]), {}, 'DataCloneError: value[Map value 0].x: function could not be cloned'],
  [new Map([[Symbol.iterator, 1]]), {}, 'DataCloneError: value[Map key 0]: symbol could not be cloned'],
  [new Set([1, Promise.resolve()]), {}, 'DataCloneError: value[Set member 1]: Promise could not be cloned'],
  [Object.assign(new Error('e', { cause: [function f() {}] })), {}, 'DataCloneError: value.cause[0]: function could not be cloned'],
  [(() => { const a = []; a[5] = () => 1; return a; })(), {}, 'DataCloneError: value[5]: function could not be cloned'],
  [new Uint8Array(new SharedArrayBuffer(4)), {}, 'DataCloneError: value.buffer: SharedArrayBuffer could not be cloned'],
  [Object(Symbol('q')), {}, 'DataCloneError: value: Symbol object could not be cloned'],
  [deep, {}, 'no error'],
  [[deep], {}, 'DataCloneError: value' + '[0]'.repeat(1000) + ': nested deeper than 1000 levels'],
  [{ get boom() { throw new RangeError('from a getter'); } }, {}, 'RangeError: from a getter'],
];
for (const [value, options, want] of expectations) {
  const got = cloneError(value, options);
  check(got === want, 'clone error: got "' + got.slice(0, 200) + '", want "' + want.slice(0, 200) + '"');
}

section('error texts');

// ---------------------------------------------------------------------------
// Behaviour that the vectors do not show.

const hexOf = (bytes) => Buffer.from(bytes).toString('hex');
{
  // "__proto__" is an own property after decoding, never the prototype.
  const bytes = fromHex('ff 0f 6f 22 09 5f 5f 70 72 6f 74 6f 5f 5f 6f 22 01 78 49 02 7b 01 7b 01');
  const o = codec.decode(bytes);
  check(Object.getPrototypeOf(o) === Object.prototype &&
        Object.prototype.hasOwnProperty.call(o, '__proto__') && o.__proto__.x === 1 &&
        Object.keys(o).join() === '__proto__',
        '__proto__ key: ' + util.inspect(o));
  const again = codec.encode(o, { form: 'node' });
  check(hexOf(again) === hexOf(bytes), '__proto__ key round trip: ' + hexOf(again));
  // Duplicate keys, and index keys that repeat elements, are errors.
  for (const hex of ['ff 0f 6f 22 01 61 49 02 22 01 61 49 04 7b 02',
                     'ff 0f 41 01 49 02 49 00 49 04 24 01 01']) {
    let error = null;
    try {
      codec.decode(fromHex(hex));
    } catch (err) {
      error = err;
    }
    check(error !== null && /duplicate/.test(error.message), 'duplicate key accepted: ' + hex);
  }
}
{
  // A getter may encode again (re-entrant), and may delete later properties.
  const inner = { z: 1 };
  const value = {
    get a() { return codec.encode(inner, { form: 'node' }).length; },
    get b() { delete this.c; return 2; },
    c: 3,
    d: 4,
  };
  const ours = codec.encode(value, { form: 'node' });
  const theirs = new Uint8Array(v8.serialize(value));
  check(hexOf(ours) === hexOf(theirs), 'getters: ' + hexOf(ours) + ' vs ' + hexOf(theirs));
}
{
  // Nesting: 1000 levels decode, 1001 do not.
  const deepBytes = (levels) => {
    // levels - 1 arrays [child] around an empty one.
    const head = [];
    const tail = [];
    for (let i = 1; i < levels; i++) {
      head.push(0x41, 0x01);
      tail.push(0x24, 0x00, 0x01);
    }
    return new Uint8Array([0xff, 0x0f, ...head, 0x41, 0x00, 0x24, 0x00, 0x00, ...tail]);
  };
  let error = null;
  try {
    codec.decode(deepBytes(1000));
  } catch (err) {
    error = err;
  }
  check(error === null, '1000 levels: ' + (error && error.message));
  error = null;
  try {
    codec.decode(deepBytes(1001));
  } catch (err) {
    error = err;
  }
  check(error !== null && /nested deeper than 1000 levels/.test(error.message),
        '1001 levels: ' + (error ? error.message : 'decoded'));
}
{
  // Views sharing a buffer stay sharing it through the valence form.
  const ab = new ArrayBuffer(8);
  const a = new Uint8Array(ab, 2, 4);
  const b = new DataView(ab);
  const [x, y, z] = codec.decode(codec.encode([a, b, ab]));
  check(x.buffer === y.buffer && y.buffer === z && x.byteOffset === 2 && x.length === 4,
        'views sharing a buffer');
  // A decoded error carries only what the data says.
  const e = codec.decode(fromHex('ff 0f 72 54 6d 22 01 78 2e'));
  check(Object.getPrototypeOf(e) === TypeError.prototype && e.message === 'x' &&
        e.stack === undefined && Object.getOwnPropertyNames(e).sort().join() === 'message,stack',
        'decoded error: ' + Object.getOwnPropertyNames(e));
  // Decoded objects come from this realm even when the input does not.
  const other = vm.runInNewContext('new Uint8Array([0xff, 0x0f, 0x6f, 0x7b, 0x00])');
  check(Object.getPrototypeOf(codec.decode(other)) === Object.prototype, 'input from another realm');
  // Trailing bytes: node's reader ignores them, the valence form refuses them.
  const trailing = fromHex('ff 0f 49 02 49 04');
  check(codec.decode(trailing, { form: 'node' }) === 1, 'trailing bytes, node form');
  let error = null;
  try {
    codec.decode(trailing);
  } catch (err) {
    error = err;
  }
  check(error !== null && /at byte 4: unexpected bytes after the value/.test(error.message),
        'trailing bytes, valence form: ' + (error && error.message));
}
section('edge cases');

// ---------------------------------------------------------------------------
// Hostile input: truncations and corruptions.

let seed = 0x9e3779b9;
function random() {
  seed ^= seed << 13; seed >>>= 0;
  seed ^= seed >>> 17;
  seed ^= seed << 5; seed >>>= 0;
  return seed / 4294967296;
}
let hostileProblems = 0;
let hostileRuns = 0;
function tryDecode(bytes, what) {
  for (const form of ['node', 'valence']) {
    hostileRuns++;
    try {
      codec.decode(bytes, { form });
    } catch (err) {
      if (!(err instanceof Error) || !OUR_DECODE_ERROR.test(err.message)) {
        hostileProblems++;
        if (hostileProblems <= 10) console.log('FAIL hostile ' + what + ' (' + form + '): ' + err);
      }
    }
  }
}
for (const c of cases) {
  if (c.bytes.length > 4096) continue;
  for (let n = 0; n < c.bytes.length; n++) tryDecode(c.bytes.subarray(0, n), c.name + ' cut at ' + n);
  for (let k = 0; k < 40; k++) {
    const mutated = c.bytes.slice();
    const edits = 1 + Math.floor(random() * 3);
    for (let e = 0; e < edits; e++) {
      const at = 2 + Math.floor(random() * Math.max(1, mutated.length - 2));
      if (at < mutated.length) mutated[at] = Math.floor(random() * 256);
    }
    tryDecode(mutated, c.name + ' mutated ' + k);
  }
}
// Lengths far beyond the input must fail before anything is allocated.
for (const hex of ['ff 0f 22 ff ff ff ff 0f', 'ff 0f 41 ff ff ff ff 0f', 'ff 0f 42 ff ff ff ff 0f',
                   'ff 0f 5a ff ff ff ff 07', 'ff 0f 63 fe ff ff ff 0f', 'ff 0f 5c 01 ff ff ff ff 0f',
                   'ff 0f 7e 01 ff ff ff ff 0f 00', 'ff 0f 61 ff ff ff ff 0f 40 00 ff ff ff ff 0f']) {
  tryDecode(fromHex(hex), hex);
}
check(hostileProblems === 0, hostileProblems + ' hostile inputs failed badly');
passed += hostileRuns - hostileProblems;
section('hostile input');

console.log(passed + ' passed, ' + failed + ' failed');
process.exit(failed === 0 ? 0 : 1);
