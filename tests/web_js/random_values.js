'use strict';
// Random value trees for the JS codec's oracle tests (oracle_test.js,
// cpp_peer_test.js): every type the wire format carries, shared references
// and cycles, sparse arrays, two-byte and lone-surrogate strings, -0, NaN,
// BigInts, views sharing buffers, errors.
//
// The values are built so that V8's representation-dependent choices agree
// with the value-based rules the codec follows (SPEC.md 5.2, 6.3), so that
// v8.serialize is a byte-exact oracle:
//  - integers in int32 range are made with `| 0` (always Smis); integral
//    doubles are never made by arithmetic;
//  - arrays are made with "elements" elements kind from the start (V8 would
//    otherwise store numbers in a double array and write its integers as
//    doubles);
//  - a holey array (made by setting length) always keeps a hole;
//  - every named property is first assigned '' (V8 would otherwise give a
//    field that first held a double the "double" representation and write
//    integers later stored there, in any object of that shape, as doubles;
//    an error's cause is stored again for the same reason);
//  - strings are made with String.fromCharCode, so V8 makes them one-byte
//    exactly when every code unit fits.

// xorshift128+ on two 32-bit halves is overkill; mulberry32 is enough.
function makeRandom(seed) {
  let a = seed >>> 0;
  return function random() {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const VIEW_TYPES = ['Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array',
                    'Int32Array', 'Uint32Array', 'Float32Array', 'Float64Array', 'BigInt64Array',
                    'BigUint64Array', 'DataView'];
const ELEMENT_SIZE = { Int8Array: 1, Uint8Array: 1, Uint8ClampedArray: 1, Int16Array: 2,
                       Uint16Array: 2, Int32Array: 4, Uint32Array: 4, Float32Array: 4,
                       Float64Array: 8, BigInt64Array: 8, BigUint64Array: 8, DataView: 1 };
const ERROR_TYPES = [Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError,
                     AggregateError];

// Arrays start with "elements" (not "small integer" or "double") elements
// kind: V8 then keeps every number as it is. Otherwise integers stored while
// the array held only numbers become heap numbers when it changes kind, and
// are written as doubles.
function newPackedArray() {
  const a = [null];
  a.pop();
  return a;
}

function newHoleyArray() {
  const a = [null];
  a.pop();
  return a;
}

function isInt32(n) {
  return typeof n === 'number' && (n | 0) === n && !Object.is(n, -0);
}

// options.maxNodes bounds the size of one tree; options.resizable (default
// true) allows resizable ArrayBuffers; options.engineNeutral makes the same
// values in every engine (errors never keep the engine's own stack text), so
// that a value made in JavaScriptCore can be compared with one made in node.
function makeGenerator(seed, options = {}) {
  const random = makeRandom(seed);
  const maxNodes = options.maxNodes || 60;
  const resizable = options.resizable !== false;
  const engineNeutral = options.engineNeutral === true;
  const int = (n) => Math.floor(random() * n) | 0;
  const pick = (list) => list[int(list.length)];
  const chance = (p) => random() < p;

  let nodes = 0;
  let pool = [];       // objects made so far in this tree, for shared references
  let ancestors = [];  // containers being filled, for cycles
  let buffers = [];    // ArrayBuffers of this tree, for views sharing them

  function codeUnits(kind, n) {
    const codes = [];
    for (let i = 0; i < n; i++) {
      switch (kind) {
        case 'ascii': codes.push(32 + int(95)); break;
        case 'latin1': codes.push(chance(0.5) ? 32 + int(95) : 0xa0 + int(96)); break;
        case 'controls': codes.push(int(32)); break;
        case 'bmp': codes.push(chance(0.3) ? 32 + int(95) : 0x100 + int(0xd700)); break;
        case 'astral': {
          const cp = 0x10000 + int(0xfffff);
          codes.push(0xd800 + ((cp - 0x10000) >> 10), 0xdc00 + ((cp - 0x10000) & 0x3ff));
          i++;
          break;
        }
        case 'surrogates': codes.push(chance(0.5) ? 0xd800 + int(0x800) : 97 + int(26)); break;
        default: codes.push(97);
      }
    }
    return codes;
  }

  function string() {
    const kind = pick(['ascii', 'ascii', 'ascii', 'latin1', 'controls', 'bmp', 'astral', 'surrogates']);
    const roll = random();
    const n = roll < 0.1 ? 0 : roll < 0.8 ? int(12) : roll < 0.97 ? 20 + int(200) : 8000 + int(9000);
    const codes = codeUnits(kind, n);
    let s = '';
    for (let i = 0; i < codes.length; i += 4096) {
      s += String.fromCharCode.apply(null, codes.slice(i, i + 4096));
    }
    // A two-byte chunk may have been followed by one-byte chunks only: V8
    // would hold the whole as two-byte. Remake such strings in one piece.
    return codes.length > 4096 ? String.fromCharCode(...codes) : s;
  }

  function key() {
    switch (int(12)) {
      case 0: return String(int(10));
      case 1: return String(int(100000));
      case 2: return pick(['2147483647', '2147483648', '4294967294', '4294967295', '01', '-1',
                           '1.5', '-0', '1e3', '']);
      case 3: return pick(['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'length']);
      case 4: return string();
      default: return pick(['a', 'b', 'c', 'id', 'name', 'value', 'items', 'x_1', '$y', 'ünï',
                            '日本', 'k' + int(20)]);
    }
  }

  function number() {
    switch (int(14)) {
      case 0: return 0;
      case 1: return -0;
      case 2: return NaN;
      case 3: return chance(0.5) ? Infinity : -Infinity;
      case 4: {
        // Read out of a double-elements array: `| 0` makes the int32s Smis again.
        const x = pick([2147483647, -2147483648, 2147483648, -2147483649, 4294967295,
                        4294967296, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER,
                        Number.MIN_VALUE, Number.MAX_VALUE, 1e21, 2 ** 53 + 2]);
        return isInt32(x) ? x | 0 : x;
      }
      case 5: return (random() * 2 ** 32 - 2 ** 31) | 0;
      case 6: return (random() - 0.5) * 1e6;
      case 7: return random();
      case 8: return (random() - 0.5) * 1e300;
      case 9: return pick([0.1, -1.5, 1 / 3, 2.5, -0.0001]);
      default: return (int(2001) - 1000) | 0;
    }
  }

  function bigint() {
    switch (int(6)) {
      case 0: return 0n;
      case 1: return BigInt(int(1000) - 500);
      case 2: return pick([2n ** 63n - 1n, -(2n ** 63n), 2n ** 64n - 1n, 2n ** 64n, -(2n ** 64n)]);
      case 3: {
        let b = 0n;
        const digits = 1 + int(40);
        for (let i = 0; i < digits; i++) b = (b << 32n) | BigInt(int(2 ** 30) * 4 + int(4));
        return chance(0.5) ? -b : b;
      }
      default: return BigInt(int(2 ** 30)) * BigInt(int(2 ** 30)) * (chance(0.5) ? -1n : 1n);
    }
  }

  function primitive() {
    switch (int(10)) {
      case 0: return undefined;
      case 1: return null;
      case 2: return chance(0.5);
      case 3: case 4: return number();
      case 5: return bigint();
      default: return string();
    }
  }

  function remember(o) {
    pool.push(o);
    return o;
  }

  function setProperty(o, k, v) {
    if (Array.isArray(o) && k === 'length') return;
    if (k === '__proto__') {
      const define = (x) => Object.defineProperty(o, k, { value: x, writable: true, enumerable: true,
                                                          configurable: true });
      define('');
      define(v);
      return;
    }
    if (!/^(0|[1-9][0-9]*)$/.test(k)) o[k] = '';  // see the note on representations above
    o[k] = v;
  }

  function object() {
    const roll = int(10);
    const o = roll === 0 ? Object.create(null) : roll === 1 ? new (class Thing {})() : {};
    remember(o);
    ancestors.push(o);
    const n = int(7);
    for (let i = 0; i < n; i++) setProperty(o, key(), value());
    if (chance(0.05)) Object.defineProperty(o, 'hidden', { value: 1, enumerable: false });
    if (chance(0.05)) o[Symbol('s')] = 1;
    if (chance(0.05)) {
      const v = value();
      Object.defineProperty(o, 'computed', { get: () => v, enumerable: true, configurable: true });
    }
    ancestors.pop();
    return o;
  }

  function array() {
    const n = chance(0.1) ? 0 : int(8);
    const holey = chance(0.25) && n > 0;
    // Two allocation sites: V8 makes later arrays of a literal that once
    // became holey holey from the start (allocation-site feedback).
    const a = holey ? newHoleyArray() : newPackedArray();
    remember(a);
    ancestors.push(a);
    if (holey) {
      a.length = n + int(3);
      const hole = int(a.length);
      for (let i = 0; i < a.length; i++) {
        if (i !== hole && chance(0.6)) a[i] = value();
      }
      if (chance(0.1)) a[100000 + int(1000)] = value();
    } else {
      for (let i = 0; i < n; i++) a.push(value());
    }
    if (chance(0.15)) setProperty(a, pick(['foo', 'bar', 'k' + int(5)]), value());
    ancestors.pop();
    return a;
  }

  function arrayBuffer() {
    const n = int(4) === 0 ? 0 : int(40);
    const b = resizable && chance(0.2) ? new ArrayBuffer(n, { maxByteLength: n + int(64) })
                                       : new ArrayBuffer(n);
    const bytes = new Uint8Array(b);
    for (let i = 0; i < n; i++) bytes[i] = int(256);
    buffers.push(b);
    return b;
  }

  function view() {
    const type = pick(VIEW_TYPES);
    const size = ELEMENT_SIZE[type];
    let buffer;
    if (buffers.length > 0 && chance(0.5)) {
      buffer = pick(buffers);
    } else {
      buffer = arrayBuffer();
      if (buffer.byteLength < size * 4) {
        buffer = new ArrayBuffer(size * (4 + int(6)));
        const bytes = new Uint8Array(buffer);
        for (let i = 0; i < bytes.length; i++) bytes[i] = int(256);
        buffers.push(buffer);
      }
    }
    const elements = Math.floor(buffer.byteLength / size);
    const first = int(elements + 1);
    const count = int(elements - first + 1);
    let v;
    if (type === 'DataView') {
      v = chance(0.5) ? new DataView(buffer) : new DataView(buffer, first, count);
    } else if (chance(0.3) && buffer.byteLength % size === 0) {
      v = new globalThis[type](buffer);
    } else {
      v = new globalThis[type](buffer, first * size, count);
    }
    return remember(v);
  }

  function error() {
    const Ctor = pick(ERROR_TYPES);
    const withMessage = chance(0.8);
    const message = withMessage ? string() : undefined;
    const withCause = chance(0.3);
    const cause = withCause ? value() : undefined;
    const options = withCause ? { cause } : undefined;
    let e;
    if (Ctor === AggregateError) {
      e = options ? new AggregateError([], message, options) : new AggregateError([], message);
    } else {
      e = options ? new Ctor(message, options) : new Ctor(message);
    }
    if (withCause) {
      // The error's own 'cause' field has a representation too (see above);
      // store the value made here, not one read back out of such a field.
      e.cause = '';
      e.cause = cause;
    }
    switch (int(3)) {
      case 0: delete e.stack; break;
      case 1: e.stack = string(); break;
      default:  // the engine's own stack
        if (engineNeutral) e.stack = 'Error: fixed\n    at somewhere (file.js:1:1)';
        break;
    }
    if (chance(0.1)) e.name = pick(['RangeError', 'Custom', 'TypeError']);
    return remember(e);
  }

  function container() {
    switch (int(16)) {
      case 0: case 1: case 2: case 3: return object();
      case 4: case 5: case 6: return array();
      case 7: {
        const m = remember(new Map());
        ancestors.push(m);
        const n = int(5);
        for (let i = 0; i < n; i++) m.set(value(), value());
        ancestors.pop();
        return m;
      }
      case 8: {
        const s = remember(new Set());
        ancestors.push(s);
        const n = int(5);
        for (let i = 0; i < n; i++) s.add(value());
        ancestors.pop();
        return s;
      }
      case 9: return remember(new Date(pick([0, -1, 1e12 + int(1e9), NaN, 8.64e15, -8.64e15, 1.5])));
      case 10: {
        const flags = ['', 'g', 'gi', 'm', 'y', 'u', 's', 'd', 'dgimsuy', 'v', 'gv'];
        const sources = ['a.c', '', '\\/path\\/', '[\\p{L}--[a-z]]', '日本+', '(?<n>x)\\k<n>', '\\n'];
        let re;
        const source = pick(sources);
        const f = pick(flags);
        try {
          re = new RegExp(source, f);
        } catch (e) {
          re = new RegExp('a.c', f.replace('v', 'u'));
        }
        return remember(re);
      }
      case 11: {
        const roll = int(5);
        const boxed = roll === 0 ? new Boolean(chance(0.5)) : roll === 1 ? new Number(number())
          : roll === 2 ? new String(string()) : Object(bigint());
        return remember(boxed);
      }
      case 12: return remember(arrayBuffer());
      case 13: case 14: return view();
      default: return error();
    }
  }

  function value() {
    nodes++;
    if (nodes > maxNodes) return primitive();
    const roll = random();
    if (roll < 0.08 && pool.length > 0) return pick(pool);            // shared reference
    if (roll < 0.11 && ancestors.length > 0) return pick(ancestors);  // cycle
    if (roll < 0.5) return primitive();
    return container();
  }

  return function next() {
    nodes = 0;
    pool = [];
    ancestors = [];
    buffers = [];
    return chance(0.15) ? primitive() : container();
  };
}

module.exports = { makeGenerator, makeRandom };
