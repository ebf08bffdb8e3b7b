// Conformance runner for the JS codec (src/web_extension/js/v8_codec.js).
//
// Plain ES2022, no node APIs: it can be evaluated in a WebKit page as well as
// under node. Like the codec, the script's completion value is its API:
//
//   runConformance(codec, cases, options) -> { passed, failures: [{name, problem}] }
//     cases: [{ name, bytes: Uint8Array, value, canonical }]
//       - codec.decode(bytes, {form: 'node'}) must deep-equal `value`;
//       - canonical cases: codec.encode(value, {form: 'node'}) must give `bytes`;
//       - every case: decode(encode(value, valence form)) must deep-equal `value`
//         (views then also keep their offsets and shared buffers).
//       A case may set skipEncode: 'reason' to skip the byte check.
//     options.nodeBuffer: Node's Buffer, handed to the codec (index 10 views).
//   deepEqual(actual, expected, {views: 'bytes' | 'shared'}) -> null | 'difference'
//     Structural comparison with object identity: shared references and
//     cycles must correspond one to one.
//   modelToValue(model, options) -> the JS value a NAME.json value model
//     describes (shared/conformance/v8/README.md).
(function () {
  'use strict';

  const toTag = (x) => Object.prototype.toString.call(x);
  const TypedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype);
  const taName = Object.getOwnPropertyDescriptor(TypedArrayPrototype, Symbol.toStringTag).get;

  function kindOf(x) {
    if (Array.isArray(x)) return 'Array';
    if (ArrayBuffer.isView(x)) return taName.call(x) || 'DataView';
    const tag = toTag(x);
    return tag.slice(8, -1);
  }

  // The prototype an error travels as: its name when that is one of the six
  // the wire knows, else Error.
  const WIRE_ERROR_NAMES = ['EvalError', 'RangeError', 'ReferenceError', 'SyntaxError', 'TypeError',
                            'URIError'];
  function wireErrorName(e) {
    const name = String(e.name);
    return WIRE_ERROR_NAMES.includes(name) ? name : 'Error';
  }

  function show(x) {
    if (typeof x === 'string') return JSON.stringify(x.length > 60 ? x.slice(0, 60) + '...' : x);
    if (typeof x === 'bigint') return x + 'n';
    if (Object.is(x, -0)) return '-0';
    return String(x);
  }

  function bytesOf(view) {
    return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  }

  function sameBytes(a, b) {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }

  function firstDifference(a, b) {
    const n = Math.min(a.length, b.length);
    let i = 0;
    while (i < n && a[i] === b[i]) i++;
    return i;
  }

  function hex(bytes, from, to) {
    let s = '';
    for (let i = Math.max(0, from); i < Math.min(bytes.length, to); i++) {
      s += (bytes[i] < 16 ? '0' : '') + bytes[i].toString(16) + ' ';
    }
    return s.trim();
  }

  function deepEqual(actual, expected, options) {
    const sharedViews = options !== undefined && options.views === 'shared';
    const forward = new Map();
    const backward = new Map();

    function cmp(a, e, path) {
      if (typeof a !== typeof e) return path + ': ' + typeof a + ' vs ' + typeof e;
      if (typeof a !== 'object' || a === null || e === null) {
        return Object.is(a, e) ? null : path + ': ' + show(a) + ' vs ' + show(e);
      }
      const fa = forward.get(a);
      const be = backward.get(e);
      if (fa !== undefined || be !== undefined) {
        return fa === e && be === a ? null : path + ': shared references or cycles differ';
      }
      forward.set(a, e);
      backward.set(e, a);
      const ka = kindOf(a);
      const ke = kindOf(e);
      if (ka !== ke) return path + ': ' + ka + ' vs ' + ke;
      switch (ka) {
        case 'Array': {
          if (a.length !== e.length) return path + ': length ' + a.length + ' vs ' + e.length;
          const keysA = Object.keys(a);
          const keysE = Object.keys(e);
          if (keysA.join('\u0000') !== keysE.join('\u0000')) {
            return path + ': keys [' + keysA.slice(0, 20) + '] vs [' + keysE.slice(0, 20) + ']';
          }
          for (const k of keysA) {
            const d = cmp(a[k], e[k], path + '[' + k + ']');
            if (d) return d;
          }
          return null;
        }
        case 'Map': {
          if (a.size !== e.size) return path + ': Map size ' + a.size + ' vs ' + e.size;
          const ea = [...a];
          const ee = [...e];
          for (let i = 0; i < ea.length; i++) {
            const d = cmp(ea[i][0], ee[i][0], path + '[Map key ' + i + ']') ||
                      cmp(ea[i][1], ee[i][1], path + '[Map value ' + i + ']');
            if (d) return d;
          }
          return null;
        }
        case 'Set': {
          if (a.size !== e.size) return path + ': Set size ' + a.size + ' vs ' + e.size;
          const ma = [...a];
          const me = [...e];
          for (let i = 0; i < ma.length; i++) {
            const d = cmp(ma[i], me[i], path + '[Set member ' + i + ']');
            if (d) return d;
          }
          return null;
        }
        case 'Date': {
          const ta = Date.prototype.getTime.call(a);
          const te = Date.prototype.getTime.call(e);
          return Object.is(ta, te) ? null : path + ': Date ' + ta + ' vs ' + te;
        }
        case 'RegExp':
          return a.source === e.source && a.flags === e.flags
            ? null : path + ': /' + a.source + '/' + a.flags + ' vs /' + e.source + '/' + e.flags;
        case 'Number':
        case 'String':
        case 'Boolean':
        case 'BigInt':
        case 'Symbol': {
          const va = a.valueOf();
          const ve = e.valueOf();
          return Object.is(va, ve) ? null : path + ': boxed ' + show(va) + ' vs ' + show(ve);
        }
        case 'ArrayBuffer': {
          if (a.byteLength !== e.byteLength) {
            return path + ': ArrayBuffer of ' + a.byteLength + ' vs ' + e.byteLength + ' bytes';
          }
          if (Boolean(a.resizable) !== Boolean(e.resizable) ||
              (a.resizable && a.maxByteLength !== e.maxByteLength)) {
            return path + ': resizable ' + a.resizable + '/' + a.maxByteLength + ' vs ' +
                   e.resizable + '/' + e.maxByteLength;
          }
          return sameBytes(new Uint8Array(a), new Uint8Array(e)) ? null : path + ': ArrayBuffer bytes differ';
        }
        case 'Error': {
          if (wireErrorName(a) !== wireErrorName(e)) {
            return path + ': Error name ' + a.name + ' vs ' + e.name;
          }
          for (const field of ['message', 'stack']) {
            const da = Object.getOwnPropertyDescriptor(a, field);
            const de = Object.getOwnPropertyDescriptor(e, field);
            const va = da && 'value' in da ? da.value : undefined;
            const ve = de && 'value' in de ? de.value : undefined;
            if (field === 'message' && Boolean(da) !== Boolean(de)) {
              return path + '.message: present ' + Boolean(da) + ' vs ' + Boolean(de);
            }
            if (!Object.is(va, ve)) return path + '.' + field + ': ' + show(va) + ' vs ' + show(ve);
          }
          const ca = Object.getOwnPropertyDescriptor(a, 'cause');
          const ce = Object.getOwnPropertyDescriptor(e, 'cause');
          if (Boolean(ca) !== Boolean(ce)) return path + '.cause: present ' + Boolean(ca) + ' vs ' + Boolean(ce);
          return ca ? cmp(ca.value, ce.value, path + '.cause') : null;
        }
        default:
          break;
      }
      if (ArrayBuffer.isView(a)) {
        if (a.byteLength !== e.byteLength) {
          return path + ': ' + ka + ' of ' + a.byteLength + ' vs ' + e.byteLength + ' bytes';
        }
        if (sharedViews) {
          if (a.byteOffset !== e.byteOffset) {
            return path + ': byteOffset ' + a.byteOffset + ' vs ' + e.byteOffset;
          }
          return cmp(a.buffer, e.buffer, path + '.buffer');
        }
        return sameBytes(bytesOf(a), bytesOf(e)) ? null : path + ': ' + ka + ' bytes differ';
      }
      // Plain objects (and anything else cloned as one): own enumerable keys.
      const keysA = Object.keys(a);
      const keysE = Object.keys(e);
      if (keysA.join('\u0000') !== keysE.join('\u0000')) {
        return path + ': keys [' + keysA.slice(0, 20) + '] vs [' + keysE.slice(0, 20) + ']';
      }
      for (const k of keysA) {
        const d = cmp(a[k], e[k], path + '.' + k);
        if (d) return d;
      }
      return null;
    }

    return cmp(actual, expected, 'value');
  }

  // ---------------------------------------------------------------------------
  // The value model of NAME.json.

  function parseHex(text) {
    const out = new Uint8Array(text.length >>> 1);
    for (let i = 0; i < out.length; i++) out[i] = parseInt(text.substr(2 * i, 2), 16);
    return out;
  }

  function doubleFromBits(bits) {
    const bytes = parseHex(bits);
    return new DataView(bytes.buffer).getFloat64(0, false);
  }

  function modelToValue(model, options) {
    const nodeBuffer = options !== undefined ? options.nodeBuffer : undefined;
    const byId = new Map();

    function str(m) {
      if (m.value !== undefined) return m.value;
      let s = '';
      for (let i = 0; i < m.code_units.length; i += 4) {
        s += String.fromCharCode(parseInt(m.code_units.substr(i, 4), 16));
      }
      return s;
    }

    function key(m) {
      return m.type === 'string' ? str(m) : String(m.value);
    }

    function num(m) {
      if (m.bits !== undefined) return doubleFromBits(m.bits);
      return m.value;
    }

    function build(m) {
      switch (m.type) {
        case 'undefined': return undefined;
        case 'null': return null;
        case 'bool': return m.value;
        case 'int32':
        case 'uint32': return m.value;
        case 'double': return num(m);
        case 'bigint': return BigInt(m.value);
        case 'string': return str(m);
        case 'ref': {
          if (!byId.has(m.id)) throw new Error('model: reference to unknown id ' + m.id);
          return byId.get(m.id);
        }
        default: break;
      }
      let o;
      switch (m.type) {
        case 'object':
          o = {};
          byId.set(m.id, o);
          for (const p of m.properties) {
            Object.defineProperty(o, key(p.key), {
              value: build(p.value), writable: true, enumerable: true, configurable: true,
            });
          }
          return o;
        case 'array':
          o = [];
          byId.set(m.id, o);
          o.length = m.length;
          if (m.dense) {
            m.elements.forEach((el, i) => {
              if (el.type !== 'hole') o[i] = build(el);
            });
          }
          for (const p of m.properties) {
            Object.defineProperty(o, key(p.key), {
              value: build(p.value), writable: true, enumerable: true, configurable: true,
            });
          }
          return o;
        case 'date':
          o = new Date(num(m));
          byId.set(m.id, o);
          return o;
        case 'regexp':
          o = new RegExp(str(m.source), m.flags);
          byId.set(m.id, o);
          return o;
        case 'map':
          o = new Map();
          byId.set(m.id, o);
          for (const en of m.entries) o.set(build(en.key), build(en.value));
          return o;
        case 'set':
          o = new Set();
          byId.set(m.id, o);
          for (const v of m.values) o.add(build(v));
          return o;
        case 'arraybuffer': {
          const bytes = parseHex(m.hex);
          o = m.resizable ? new ArrayBuffer(m.byte_length, { maxByteLength: m.max_byte_length })
                          : new ArrayBuffer(m.byte_length);
          new Uint8Array(o).set(bytes);
          byId.set(m.id, o);
          return o;
        }
        case 'view': {
          const bytes = parseHex(m.hex);
          if (m.view === 'Buffer' && nodeBuffer !== undefined) {
            o = nodeBuffer.from(bytes);
          } else {
            const name = m.view === 'Buffer' ? 'Uint8Array' : m.view;
            const buffer = bytes.buffer;
            o = name === 'DataView' ? new DataView(buffer) : new globalThis[name](buffer);
          }
          byId.set(m.id, o);
          return o;
        }
        case 'error': {
          const ctor = globalThis[m.prototype];
          o = new ctor();
          byId.set(m.id, o);
          for (const k of Reflect.ownKeys(o)) delete o[k];
          if (m.message) {
            Object.defineProperty(o, 'message', {
              value: str(m.message), writable: true, enumerable: false, configurable: true,
            });
          }
          if (m.cause) {
            Object.defineProperty(o, 'cause', {
              value: build(m.cause), writable: true, enumerable: false, configurable: true,
            });
          }
          Object.defineProperty(o, 'stack', {
            value: m.stack ? str(m.stack) : undefined, writable: true, enumerable: false,
            configurable: true,
          });
          return o;
        }
        case 'boolean_object':
          o = new Boolean(m.value);
          byId.set(m.id, o);
          return o;
        case 'number_object':
          o = new Number(num(m));
          byId.set(m.id, o);
          return o;
        case 'bigint_object':
          o = Object(BigInt(m.value));
          byId.set(m.id, o);
          return o;
        case 'string_object':
          o = new String(str(m.value));
          byId.set(m.id, o);
          return o;
        default:
          throw new Error('model: unknown type ' + m.type);
      }
    }

    return build(model);
  }

  // ---------------------------------------------------------------------------

  function runConformance(codec, cases, options) {
    const nodeBuffer = options !== undefined ? options.nodeBuffer : undefined;
    const failures = [];
    let passed = 0;
    for (const c of cases) {
      const problems = [];
      try {
        const got = codec.decode(c.bytes, { form: 'node', nodeBuffer });
        const d = deepEqual(got, c.value, { views: 'bytes' });
        if (d) problems.push('decode: ' + d);
      } catch (err) {
        problems.push('decode threw ' + err.message);
      }
      if (c.canonical && !c.skipEncode) {
        try {
          const bytes = codec.encode(c.value, { form: 'node', nodeBuffer });
          if (!sameBytes(bytes, c.bytes)) {
            const at = firstDifference(bytes, c.bytes);
            problems.push('encode: first difference at byte ' + at + ' (' + bytes.length + ' vs ' +
                          c.bytes.length + ' bytes): got ' + hex(bytes, at - 4, at + 12) +
                          ', want ' + hex(c.bytes, at - 4, at + 12));
          }
        } catch (err) {
          problems.push('encode threw ' + err.message);
        }
      }
      try {
        const round = codec.decode(codec.encode(c.value, { form: 'valence' }), { form: 'valence' });
        const d = deepEqual(round, c.value, { views: 'shared' });
        if (d) problems.push('valence round trip: ' + d);
      } catch (err) {
        problems.push('valence round trip threw ' + err.message);
      }
      if (problems.length === 0) {
        passed++;
      } else {
        failures.push({ name: c.name, problem: problems.join('; ') });
      }
    }
    return { passed, failures };
  }

  return Object.freeze({ runConformance, deepEqual, modelToValue, sameBytes, hex });
})()
