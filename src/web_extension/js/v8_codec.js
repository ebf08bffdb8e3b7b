// The V8 ValueSerializer wire format (version 15, as Node.js 20 writes it) for
// the web process's isolated preload world, in plain ES2022 (JavaScriptCore:
// no Buffer, no require, no node APIs).
//
// The script's completion value is the frozen codec object { encode, decode };
// it defines no globals. Every intrinsic it uses is captured when it loads, so
// later changes to globals or built-in prototypes cannot change what it does,
// and types are found by brand checks that work for objects of other realms.
//
//   encode(value, options) -> Uint8Array (starts FF 0F)
//     options.form      'valence' (default): typed arrays and DataView in V8's
//                       own form (the ArrayBuffer, then a 'V' record), as
//                       src/codec/writer.cc writes Form::kValence; views that
//                       share a buffer keep sharing it.
//                       'node': byte for byte what Node 20's v8.serialize
//                       writes; views as Node host objects ('\' index length
//                       bytes).
//     options.rootName  the root's name in error paths (default 'value').
//     options.maxDepth  nesting limit (default 1000, as the C++ codec).
//     options.nodeBuffer  ('node' form, tests) Node's Buffer constructor: views
//                       whose constructor is exactly it are written as index 10.
//     options.hostObject  ('valence' form) called with each object and function
//                       first: a Uint8Array return is written as a host object
//                       ('\' then those bytes), undefined lets it be cloned.
//   Uncloneable values throw an Error named 'DataCloneError' whose message is
//   "<path>: <problem>" worded as the C++ encoder words it, e.g.
//   "args[1].cb: function could not be cloned". Exceptions thrown by getters
//   propagate unchanged.
//
//   decode(bytes, options) -> value
//     bytes: a Uint8Array (or any view, or an ArrayBuffer).
//     options.form      'valence' (default; '\' host objects are an error) or
//                       'node' (Node's host-object views).
//     options.maxDepth  nesting limit (default 1000).
//     options.allowTrailingBytes  default true for 'node' (as v8.deserialize),
//                       false for 'valence' (as the C++ reader).
//     options.nodeBuffer  ('node' form) Node's Buffer: index 10 becomes a Buffer
//                       instead of a Uint8Array.
//     options.hostObject  ('valence' form) called at each '\' with a reader
//                       { byte(), varint(), bytes(n), fail(message) }; returns
//                       the value.
//   Malformed input throws an Error "invalid V8 serialized data at byte N: ...";
//   nothing is allocated before its length has been checked against the bytes
//   that remain.
(function () {
  'use strict';
  // @valence-constants

  // ---------------------------------------------------------------------------
  // Intrinsics.

  const FunctionBind = Function.prototype.bind;
  const FunctionCall = Function.prototype.call;
  const ReflectApply = Reflect.apply;
  const ReflectOwnKeys = Reflect.ownKeys;
  const ReflectDeleteProperty = Reflect.deleteProperty;
  const uncurry = (fn) => ReflectApply(FunctionBind, FunctionCall, [fn]);

  const ObjectCtor = Object;
  const ObjectPrototype = Object.prototype;
  const ArrayPrototype = Array.prototype;
  const ObjectKeys = Object.keys;
  const getPrototypeOf = Object.getPrototypeOf;
  const setPrototypeOf = Object.setPrototypeOf;
  const defineProperty = Object.defineProperty;
  const getOwnPropertyDescriptor = Object.getOwnPropertyDescriptor;
  const freeze = Object.freeze;
  const hasOwn = typeof Object.hasOwn === 'function' ? Object.hasOwn
                                                     : uncurry(ObjectPrototype.hasOwnProperty);
  const ObjectProtoToString = uncurry(ObjectPrototype.toString);
  const ArrayIsArray = Array.isArray;
  const MathImul = Math.imul;
  const SymbolToStringTag = Symbol.toStringTag;

  const getterOf = (proto, name) => {
    const d = proto === undefined ? undefined : getOwnPropertyDescriptor(proto, name);
    return d !== undefined && typeof d.get === 'function' ? uncurry(d.get) : undefined;
  };

  const ErrorCtor = Error;
  const TypeErrorCtor = TypeError;
  const ERROR_PROTOTYPES = freeze({
    __proto__: null,
    [kErrorTagEvalErrorPrototype]: EvalError.prototype,
    [kErrorTagRangeErrorPrototype]: RangeError.prototype,
    [kErrorTagReferenceErrorPrototype]: ReferenceError.prototype,
    [kErrorTagSyntaxErrorPrototype]: SyntaxError.prototype,
    [kErrorTagTypeErrorPrototype]: TypeError.prototype,
    [kErrorTagUriErrorPrototype]: URIError.prototype,
  });

  const NumberCtor = Number;
  const BooleanCtor = Boolean;
  const StringCtor = String;
  const BigIntCtor = BigInt;
  const NumberValueOf = uncurry(Number.prototype.valueOf);
  const NumberToString = uncurry(Number.prototype.toString);
  const BooleanValueOf = uncurry(Boolean.prototype.valueOf);
  const StringValueOf = uncurry(String.prototype.valueOf);
  const BigIntValueOf = uncurry(BigInt.prototype.valueOf);
  const BigIntToString = uncurry(BigInt.prototype.toString);
  const SymbolValueOf = uncurry(Symbol.prototype.valueOf);
  const StringPrototype = String.prototype;
  const StringPrototypeCharCodeAt = String.prototype.charCodeAt;
  const StringCharCodeAt = uncurry(StringPrototypeCharCodeAt);
  const StringSlice = uncurry(String.prototype.slice);
  const StringFromCharCode = String.fromCharCode;

  const DateCtor = Date;
  const DateGetTime = uncurry(Date.prototype.getTime);

  const RegExpCtor = RegExp;
  const RegExpPrototype = RegExp.prototype;
  const RegExpSource = getterOf(RegExpPrototype, 'source');
  const REGEXP_FLAG_GETTERS = freeze([
    // [bit, getter, letter], in V8's bit order ('l', 64, is V8-only and never read).
    freeze([1, getterOf(RegExpPrototype, 'global'), 'g']),
    freeze([2, getterOf(RegExpPrototype, 'ignoreCase'), 'i']),
    freeze([4, getterOf(RegExpPrototype, 'multiline'), 'm']),
    freeze([8, getterOf(RegExpPrototype, 'sticky'), 'y']),
    freeze([16, getterOf(RegExpPrototype, 'unicode'), 'u']),
    freeze([32, getterOf(RegExpPrototype, 'dotAll'), 's']),
    freeze([128, getterOf(RegExpPrototype, 'hasIndices'), 'd']),
    freeze([256, getterOf(RegExpPrototype, 'unicodeSets'), 'v']),
  ]);
  const RegExpGlobal = REGEXP_FLAG_GETTERS[0][1];
  const REGEXP_KNOWN_FLAGS = 1 | 2 | 4 | 8 | 16 | 32 | 128 | 256;

  const MapCtor = Map;
  const MapSet = uncurry(Map.prototype.set);
  const MapForEach = uncurry(Map.prototype.forEach);
  const MapSize = getterOf(Map.prototype, 'size');
  const SetCtor = Set;
  const SetAdd = uncurry(Set.prototype.add);
  const SetForEach = uncurry(Set.prototype.forEach);
  const SetSize = getterOf(Set.prototype, 'size');
  const WeakMapCtor = WeakMap;

  const AB = ArrayBuffer;
  const ArrayBufferIsView = ArrayBuffer.isView;
  const ABByteLength = getterOf(AB.prototype, 'byteLength');
  const ABResizable = getterOf(AB.prototype, 'resizable');        // absent in older engines
  const ABMaxByteLength = getterOf(AB.prototype, 'maxByteLength');
  const ABDetached = getterOf(AB.prototype, 'detached');
  const SAB = typeof SharedArrayBuffer === 'function' ? SharedArrayBuffer : undefined;
  const SABByteLength = SAB === undefined ? undefined : getterOf(SAB.prototype, 'byteLength');

  const U8 = Uint8Array;
  const U16 = Uint16Array;
  const F64 = Float64Array;
  const DV = DataView;
  const TypedArrayPrototype = getPrototypeOf(Uint8Array.prototype);
  const TAToStringTag = getterOf(TypedArrayPrototype, SymbolToStringTag);
  const TABuffer = getterOf(TypedArrayPrototype, 'buffer');
  const TAByteOffset = getterOf(TypedArrayPrototype, 'byteOffset');
  const TAByteLength = getterOf(TypedArrayPrototype, 'byteLength');
  const TASet = uncurry(TypedArrayPrototype.set);
  const TypedArrayLengthGetter = getOwnPropertyDescriptor(TypedArrayPrototype, 'length').get;
  const DVBuffer = getterOf(DV.prototype, 'buffer');
  const DVByteOffset = getterOf(DV.prototype, 'byteOffset');
  const DVByteLength = getterOf(DV.prototype, 'byteLength');

  const LITTLE_ENDIAN = new U8(new U16([1]).buffer)[0] === 1;
  const scratchF64 = new F64(1);
  const scratchBytes = new U8(scratchF64.buffer);

  // Views: name -> { node index, V8 subtag, element size, constructor }.
  const VIEW_BY_NAME = { __proto__: null };
  const VIEW_BY_SUBTAG = { __proto__: null };
  const VIEW_BY_NODE_INDEX = { __proto__: null };
  const addView = (name, node, subtag, size) => {
    const ctor = typeof globalThis[name] === 'function' ? globalThis[name] : undefined;
    const kind = freeze({ __proto__: null, name, node, subtag, size, ctor });
    if (ctor !== undefined || name === 'DataView') {
      VIEW_BY_NAME[name] = kind;
      VIEW_BY_SUBTAG[subtag] = kind;
    }
    VIEW_BY_NODE_INDEX[node] = kind;
  };
  addView('Int8Array', 0, kViewSubtags[0], 1);
  addView('Uint8Array', 1, kViewSubtags[1], 1);
  addView('Uint8ClampedArray', 2, kViewSubtags[2], 1);
  addView('Int16Array', 3, kViewSubtags[3], 2);
  addView('Uint16Array', 4, kViewSubtags[4], 2);
  addView('Int32Array', 5, kViewSubtags[5], 4);
  addView('Uint32Array', 6, kViewSubtags[6], 4);
  addView('Float32Array', 7, kViewSubtags[7], 4);
  addView('Float64Array', 8, kViewSubtags[8], 8);
  addView('DataView', 9, kViewSubtags[9], 1);
  addView('BigInt64Array', 11, kViewSubtags[11], 8);
  addView('BigUint64Array', 12, kViewSubtags[12], 8);
  VIEW_BY_NODE_INDEX[10] = VIEW_BY_NAME.Uint8Array;  // Node's Buffer
  freeze(VIEW_BY_NAME);
  freeze(VIEW_BY_SUBTAG);
  freeze(VIEW_BY_NODE_INDEX);
  const DATAVIEW_KIND = VIEW_BY_NAME.DataView;

  const newList = () => setPrototypeOf([], null);  // index writes never reach a prototype
  const dataDescriptor = (value, enumerable) => ({
    __proto__: null, value, writable: true, enumerable, configurable: true,
  });
  const BIG_2_64 = 0x10000000000000000n;

  // Maps whose methods live on a frozen prototype of our own: ordinary method
  // calls, which engines inline (JavaScriptCore does not inline calls through
  // a bound Function.prototype.call), and no later change to Map.prototype
  // reaches them.
  class IdentityMap extends MapCtor {
    constructor() {
      super();  // no arguments: nothing is iterated
    }
  }
  defineProperty(IdentityMap.prototype, 'get', { __proto__: null, value: Map.prototype.get });
  defineProperty(IdentityMap.prototype, 'set', { __proto__: null, value: Map.prototype.set });
  freeze(IdentityMap.prototype);
  freeze(IdentityMap);
  class WeakIdentityMap extends WeakMapCtor {
    constructor() {
      super();
    }
  }
  defineProperty(WeakIdentityMap.prototype, 'get', { __proto__: null, value: WeakMap.prototype.get });
  defineProperty(WeakIdentityMap.prototype, 'set', { __proto__: null, value: WeakMap.prototype.set });
  freeze(WeakIdentityMap.prototype);
  freeze(WeakIdentityMap);

  // Strings are read with direct `s.charCodeAt(i)` calls while that reaches
  // the original method, else through the captured, uncurried method, which
  // no tampering reaches but which JavaScriptCore does not inline (~50 ns a
  // character instead of ~2). charCodeAtIsData() looks at the property
  // without running script: once per decode (no script runs while decoding)
  // and once per encode. Since getters run while encoding, each string then
  // checks again with a plain read (cheap; it could only run script if a
  // getter of the value itself made the property an accessor).
  function charCodeAtIsData() {
    const d = getOwnPropertyDescriptor(StringPrototype, 'charCodeAt');
    return d !== undefined && hasOwn(d, 'value') && d.value === StringPrototypeCharCodeAt;
  }

  // The array index a property key denotes (0 .. 2^32-2), or -1; `direct`
  // as charCodeAtIsData() said.
  function arrayIndex(key, direct) {
    const n = key.length;
    if (n === 0 || n > 10) return -1;
    const c0 = direct ? key.charCodeAt(0) : StringCharCodeAt(key, 0);
    if (c0 < 48 || c0 > 57) return -1;
    if (c0 === 48) return n === 1 ? 0 : -1;
    let v = c0 - 48;
    for (let i = 1; i < n; i++) {
      const c = direct ? key.charCodeAt(i) : StringCharCodeAt(key, i);
      if (c < 48 || c > 57) return -1;
      v = v * 10 + (c - 48);
    }
    return v <= 4294967294 ? v : -1;
  }

  // The path segment of a property, as the C++ encoder writes it.
  function keySegment(key) {
    const n = key.length;
    let plain = n > 0;
    for (let i = 0; plain && i < n; i++) {
      const c = StringCharCodeAt(key, i);
      const letter = (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 36;
      const digit = c >= 48 && c <= 57;
      if (!letter && !(digit && i > 0)) plain = false;
    }
    return plain ? '.' + key : '["' + key + '"]';
  }

  function isDetached(buffer, byteLength) {
    if (ABDetached !== undefined) return ABDetached(buffer) === true;
    if (byteLength !== 0) return false;
    try {
      new U8(buffer);
      return false;
    } catch (e) {
      return true;
    }
  }

  // ===========================================================================
  // Encoder.

  const FAIL = freeze({ __proto__: null });  // thrown internally; becomes a DataCloneError
  const INITIAL_CAPACITY = 8192;
  const RETAINED_CAPACITY = 1 << 20;

  const K_NONE = 0;
  const K_OBJECT = 1;
  const K_ERROR = 2;
  const K_DATE = 3;
  const K_REGEXP = 4;
  const K_MAP = 5;
  const K_SET = 6;
  const K_ARRAYBUFFER = 7;
  const K_SHAREDARRAYBUFFER = 8;
  const K_NUMBER_OBJECT = 9;
  const K_STRING_OBJECT = 10;
  const K_BOOLEAN_OBJECT = 11;
  const K_BIGINT_OBJECT = 12;
  const K_SYMBOL_OBJECT = 13;

  // Verdicts for prototypes that are not Object.prototype (class instances,
  // other realms' plain objects): computed once with brand checks.
  const protoKinds = new WeakIdentityMap();

  // The output: one buffer, grown geometrically, kept between calls up to
  // RETAINED_CAPACITY. (Its size is tracked here: a typed array's length is a
  // prototype getter, which could be replaced.)
  let capacity = INITIAL_CAPACITY;
  let outBuffer = new AB(capacity);
  let out = new U8(outBuffer);
  let out16 = new U16(outBuffer);
  let pos = 0;
  let ids = null;
  let nextId = 0;
  let depth = 0;
  let maxDepth = 1000;
  let nodeForm = false;
  let nodeBuffer;
  let hostHook;  // options.hostObject (valence form): value -> payload bytes | undefined
  let failMessage = '';
  let failPath = '';
  let encoding = false;
  let uncloneableName = '';
  let directStrings = false;

  function fail(message) {
    failMessage = message;
    failPath = '';
    throw FAIL;
  }

  function ensure(n) {
    if (pos + n > capacity) grow(n);
  }

  function grow(n) {
    const need = pos + n;
    let size = capacity * 2;
    while (size < need) size *= 2;
    const buffer = new AB(size);
    const bytes = new U8(buffer);
    TASet(bytes, new U8(outBuffer, 0, pos));
    capacity = size;
    outBuffer = buffer;
    out = bytes;
    out16 = new U16(buffer);
  }

  // The caller has ensured 5 bytes; v is an integer in [0, 2^32).
  function varint(v) {
    while (v > 0x7f) {
      out[pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    out[pos++] = v;
  }

  function varintSize(v) {
    let n = 1;
    while (v > 0x7f) {
      v >>>= 7;
      n++;
    }
    return n;
  }

  // The caller has ensured 8 bytes.
  function rawDouble(d) {
    if (d !== d) {
      // The canonical quiet NaN, as V8 writes it.
      out[pos] = 0; out[pos + 1] = 0; out[pos + 2] = 0; out[pos + 3] = 0;
      out[pos + 4] = 0; out[pos + 5] = 0; out[pos + 6] = 0xf8; out[pos + 7] = 0x7f;
    } else {
      scratchF64[0] = d;
      if (LITTLE_ENDIAN) {
        for (let i = 0; i < 8; i++) out[pos + i] = scratchBytes[i];
      } else {
        for (let i = 0; i < 8; i++) out[pos + i] = scratchBytes[7 - i];
      }
    }
    pos += 8;
  }

  function writeNumber(v) {
    ensure(9);
    if ((v | 0) === v && (v !== 0 || 1 / v > 0)) {
      out[pos++] = kTagInt32;
      varint(((v << 1) ^ (v >> 31)) >>> 0);
    } else {
      out[pos++] = kTagDouble;
      rawDouble(v);
    }
  }

  function writeString(s) {
    writeStringOf(s, charCodeAtIntact());
  }

  function charCodeAtIntact() {
    return directStrings && StringPrototype.charCodeAt === StringPrototypeCharCodeAt;
  }

  function writeStringOf(s, direct) {
    const n = s.length;
    ensure(2 * n + 12);
    const start = pos;
    out[pos++] = kTagOneByteString;
    varint(n);
    const at = pos;
    for (let i = 0; i < n; i++) {
      const c = direct ? s.charCodeAt(i) : StringCharCodeAt(s, i);
      if (c > 0xff) {
        pos = start;
        writeTwoByteString(s, n, direct);
        return;
      }
      out[at + i] = c;
    }
    pos = at + n;
  }

  function writeTwoByteString(s, n, direct) {
    const byteLength = 2 * n;
    // V8 aligns two-byte character data to an even offset with one padding byte.
    if (((pos + 1 + varintSize(byteLength)) & 1) === 1) out[pos++] = 0;
    out[pos++] = kTagTwoByteString;
    varint(byteLength);
    if (LITTLE_ENDIAN) {
      const at = pos >>> 1;
      for (let i = 0; i < n; i++) out16[at + i] = direct ? s.charCodeAt(i) : StringCharCodeAt(s, i);
    } else {
      for (let i = 0; i < n; i++) {
        const c = direct ? s.charCodeAt(i) : StringCharCodeAt(s, i);
        out[pos + 2 * i] = c & 0xff;
        out[pos + 2 * i + 1] = c >>> 8;
      }
    }
    pos += byteLength;
  }

  // BigInt bitfield and digits: whole 64-bit digits, as Node (64-bit) writes.
  function writeBigIntPayload(b) {
    const negative = b < 0n;
    const magnitude = negative ? -b : b;
    if (magnitude === 0n) {
      ensure(1);
      out[pos++] = 0;
      return;
    }
    if (magnitude < BIG_2_64) {
      ensure(5 + 8);
      varint(16 | (negative ? 1 : 0));
      const lo = NumberCtor(magnitude & 0xffffffffn);
      const hi = NumberCtor(magnitude >> 32n);
      out[pos] = lo & 0xff; out[pos + 1] = (lo >>> 8) & 0xff;
      out[pos + 2] = (lo >>> 16) & 0xff; out[pos + 3] = lo >>> 24;
      out[pos + 4] = hi & 0xff; out[pos + 5] = (hi >>> 8) & 0xff;
      out[pos + 6] = (hi >>> 16) & 0xff; out[pos + 7] = hi >>> 24;
      pos += 8;
      return;
    }
    const hex = BigIntToString(magnitude, 16);
    const byteCount = (hex.length + 1) >>> 1;
    const total = ((byteCount + 7) >>> 3) * 8;
    ensure(10 + total);
    varint(total * 2 + (negative ? 1 : 0));
    // Little endian: the last two hex digits are the first byte.
    let h = hex.length;
    for (let i = 0; i < total; i++) {
      let byte = 0;
      if (h > 0) {
        const lo = hexValue(StringCharCodeAt(hex, --h));
        const hi = h > 0 ? hexValue(StringCharCodeAt(hex, --h)) : 0;
        byte = (hi << 4) | lo;
      }
      out[pos++] = byte;
    }
  }

  function hexValue(c) {
    return c <= 57 ? c - 48 : (c | 0x20) - 87;
  }

  function writeValue(v) {
    switch (typeof v) {
      case 'string': writeString(v); return;
      case 'number': writeNumber(v); return;
      case 'boolean': ensure(1); out[pos++] = v ? kTagTrue : kTagFalse; return;
      case 'undefined': ensure(1); out[pos++] = kTagUndefined; return;
      case 'bigint': ensure(1); out[pos++] = kTagBigInt; writeBigIntPayload(v); return;
      case 'object':
        if (v === null) {
          ensure(1);
          out[pos++] = kTagNull;
          return;
        }
        writeObject(v);
        return;
      case 'function':
        if (hostHook !== undefined && writeHostObject(v)) return;
        fail('function could not be cloned');
        return;
      case 'symbol': fail('symbol could not be cloned'); return;
      default: fail(typeof v + ' could not be cloned');
    }
  }

  // A host object: '\' then the hook's payload. It takes an id as V8 gives
  // every object one, but is never written as a back-reference: each
  // occurrence is a reference of its own (the remote module counts them).
  function writeHostObject(o) {
    const payload = hostHook(o);
    if (payload === undefined) return false;
    const n = TAByteLength(payload);
    ensure(1 + n);
    out[pos++] = kTagHostObject;
    for (let i = 0; i < n; i++) out[pos++] = payload[i];
    nextId++;
    return true;
  }

  function writeObject(o) {
    if (hostHook !== undefined && writeHostObject(o)) return;
    const known = ids.get(o);
    if (known !== undefined) {
      ensure(6);
      out[pos++] = kTagObjectReference;
      varint(known);
      return;
    }
    if (++depth > maxDepth) fail('nested deeper than ' + maxDepth + ' levels');
    if (ArrayIsArray(o)) {
      ids.set(o, nextId++);
      writeArray(o);
    } else if (ArrayBufferIsView(o)) {
      writeView(o);
    } else {
      writeOther(o);
    }
    depth--;
  }

  function brandKind(o) {
    try { MapSize(o); return K_MAP; } catch (e) { /* not a Map */ }
    try { SetSize(o); return K_SET; } catch (e) { /* not a Set */ }
    try { DateGetTime(o); return K_DATE; } catch (e) { /* not a Date */ }
    try { if (typeof RegExpGlobal(o) === 'boolean') return K_REGEXP; } catch (e) { /* no */ }
    try { ABByteLength(o); return K_ARRAYBUFFER; } catch (e) { /* not an ArrayBuffer */ }
    if (SABByteLength !== undefined) {
      try { SABByteLength(o); return K_SHAREDARRAYBUFFER; } catch (e) { /* no */ }
    }
    try { NumberValueOf(o); return K_NUMBER_OBJECT; } catch (e) { /* no */ }
    try { StringValueOf(o); return K_STRING_OBJECT; } catch (e) { /* no */ }
    try { BooleanValueOf(o); return K_BOOLEAN_OBJECT; } catch (e) { /* no */ }
    try { BigIntValueOf(o); return K_BIGINT_OBJECT; } catch (e) { /* no */ }
    try { SymbolValueOf(o); return K_SYMBOL_OBJECT; } catch (e) { /* no */ }
    return K_NONE;
  }

  function confirm(o, kind) {
    switch (kind) {
      case K_MAP: MapSize(o); break;
      case K_SET: SetSize(o); break;
      case K_DATE: DateGetTime(o); break;
      case K_REGEXP: if (typeof RegExpGlobal(o) !== 'boolean') return false; break;
      case K_ARRAYBUFFER: ABByteLength(o); break;
      case K_SHAREDARRAYBUFFER: SABByteLength(o); break;
      case K_NUMBER_OBJECT: NumberValueOf(o); break;
      case K_STRING_OBJECT: StringValueOf(o); break;
      case K_BOOLEAN_OBJECT: BooleanValueOf(o); break;
      case K_BIGINT_OBJECT: BigIntValueOf(o); break;
      case K_SYMBOL_OBJECT: SymbolValueOf(o); break;
      default: return false;
    }
    return true;
  }

  const KIND_BY_TAG = freeze({
    __proto__: null,
    '[object Date]': K_DATE,
    '[object RegExp]': K_REGEXP,
    '[object Map]': K_MAP,
    '[object Set]': K_SET,
    '[object ArrayBuffer]': K_ARRAYBUFFER,
    '[object SharedArrayBuffer]': K_SHAREDARRAYBUFFER,
    '[object Number]': K_NUMBER_OBJECT,
    '[object String]': K_STRING_OBJECT,
    '[object Boolean]': K_BOOLEAN_OBJECT,
    '[object BigInt]': K_BIGINT_OBJECT,
    '[object Symbol]': K_SYMBOL_OBJECT,
  });

  // What an object that is neither an array nor a view is. Sets
  // uncloneableName for K_NONE.
  function classify(o) {
    const tag = ObjectProtoToString(o);
    if (tag === '[object Object]') {
      const proto = getPrototypeOf(o);
      if (proto === ObjectPrototype || proto === null) return K_OBJECT;
      const cached = protoKinds.get(proto);
      if (cached !== undefined) return cached;
      const kind = brandKind(o);
      if (kind !== K_NONE) return kind;
      protoKinds.set(proto, K_OBJECT);
      return K_OBJECT;
    }
    if (tag === '[object Error]') return K_ERROR;
    const expected = KIND_BY_TAG[tag];
    if (expected !== undefined) {
      let ok = false;
      try { ok = confirm(o, expected); } catch (e) { ok = false; }
      if (ok) return expected;
    }
    const kind = brandKind(o);
    if (kind !== K_NONE) return kind;
    // No cloneable brand. As in V8, ordinary objects with Object.prototype (or
    // null) as prototype clone as plain objects whatever their toStringTag
    // (Math, JSON, ...); arguments objects and module namespaces do not.
    const proto = getPrototypeOf(o);
    if (tag !== '[object Arguments]' && tag !== '[object Module]' &&
        (proto === ObjectPrototype || proto === null || protoKinds.get(proto) === K_OBJECT)) {
      return K_OBJECT;
    }
    uncloneableName = StringSlice(tag, 8, -1);
    return K_NONE;
  }

  function writeOther(o) {
    const kind = classify(o);
    switch (kind) {
      case K_OBJECT:
        ids.set(o, nextId++);
        writePlainObject(o);
        return;
      case K_ERROR:
        ids.set(o, nextId++);
        writeError(o);
        return;
      case K_DATE: {
        ids.set(o, nextId++);
        const t = DateGetTime(o);
        ensure(9);
        out[pos++] = kTagDate;
        rawDouble(t);
        return;
      }
      case K_REGEXP: {
        ids.set(o, nextId++);
        const source = RegExpSource(o);
        let flags = 0;
        for (let i = 0; i < REGEXP_FLAG_GETTERS.length; i++) {
          const f = REGEXP_FLAG_GETTERS[i];
          if (f[1] !== undefined && f[1](o) === true) flags |= f[0];
        }
        ensure(1);
        out[pos++] = kTagRegExp;
        writeString(source);
        ensure(5);
        varint(flags);
        return;
      }
      case K_MAP:
        ids.set(o, nextId++);
        writeMap(o);
        return;
      case K_SET:
        ids.set(o, nextId++);
        writeSet(o);
        return;
      case K_ARRAYBUFFER: {
        const byteLength = ABByteLength(o);
        if (isDetached(o, byteLength)) fail('ArrayBuffer is detached and could not be cloned');
        ids.set(o, nextId++);
        writeArrayBufferBody(o, byteLength);
        return;
      }
      case K_NUMBER_OBJECT: {
        ids.set(o, nextId++);
        const d = NumberValueOf(o);
        ensure(9);
        out[pos++] = kTagNumberObject;
        rawDouble(d);
        return;
      }
      case K_STRING_OBJECT:
        ids.set(o, nextId++);
        ensure(1);
        out[pos++] = kTagStringObject;
        writeString(StringValueOf(o));
        return;
      case K_BOOLEAN_OBJECT:
        ids.set(o, nextId++);
        ensure(1);
        out[pos++] = BooleanValueOf(o) ? kTagTrueObject : kTagFalseObject;
        return;
      case K_BIGINT_OBJECT:
        ids.set(o, nextId++);
        ensure(1);
        out[pos++] = kTagBigIntObject;
        writeBigIntPayload(BigIntValueOf(o));
        return;
      case K_SHAREDARRAYBUFFER: fail('SharedArrayBuffer could not be cloned'); return;
      case K_SYMBOL_OBJECT: fail('Symbol object could not be cloned'); return;
      default: fail(uncloneableName + ' could not be cloned');
    }
  }

  // The key of an own property: array indices as numbers, others as strings.
  function writeKey(k) {
    const direct = charCodeAtIntact();
    const index = arrayIndex(k, direct);
    if (index < 0) {
      writeStringOf(k, direct);
    } else if (index <= 0x7fffffff) {
      ensure(6);
      out[pos++] = kTagInt32;
      varint((index << 1) >>> 0);
    } else {
      ensure(9);
      out[pos++] = kTagDouble;
      rawDouble(index);
    }
  }

  function writePlainObject(o) {
    ensure(1);
    out[pos++] = kTagBeginJSObject;
    const keys = ObjectKeys(o);
    const n = keys.length;
    let count = 0;
    let k = '';
    try {
      for (let i = 0; i < n; i++) {
        k = keys[i];
        const v = o[k];
        // V8 skips a property that an earlier getter deleted.
        if (v === undefined && !hasOwn(o, k)) continue;
        writeKey(k);
        writeValue(v);
        count++;
      }
    } catch (e) {
      if (e === FAIL) failPath = keySegment(k) + failPath;
      throw e;
    }
    ensure(6);
    out[pos++] = kTagEndJSObject;
    varint(count);
  }

  function writeArray(a) {
    const length = a.length;
    let dense = true;
    for (let i = 0; i < length; i++) {
      if (!hasOwn(a, i)) {
        dense = false;
        break;
      }
    }
    if (dense) {
      ensure(6);
      out[pos++] = kTagBeginDenseJSArray;
      varint(length);
      let i = 0;
      try {
        for (; i < length; i++) {
          const v = a[i];
          if (v === undefined && !hasOwn(a, i)) {
            // Deleted by a getter while writing; V8 writes the hole.
            ensure(1);
            out[pos++] = kTagTheHole;
            continue;
          }
          writeValue(v);
        }
      } catch (e) {
        if (e === FAIL) failPath = '[' + i + ']' + failPath;
        throw e;
      }
      const count = writeNamedProperties(a);
      ensure(11);
      out[pos++] = kTagEndDenseJSArray;
      varint(count);
      varint(length);
      return;
    }
    ensure(6);
    out[pos++] = kTagBeginSparseJSArray;
    varint(length);
    const keys = ObjectKeys(a);
    const n = keys.length;
    let count = 0;
    let k = '';
    try {
      for (let i = 0; i < n; i++) {
        k = keys[i];
        const v = a[k];
        if (v === undefined && !hasOwn(a, k)) continue;
        writeKey(k);
        writeValue(v);
        count++;
      }
    } catch (e) {
      if (e === FAIL) failPath = (arrayIndex(k, false) >= 0 ? '[' + k + ']' : keySegment(k)) + failPath;
      throw e;
    }
    ensure(11);
    out[pos++] = kTagEndSparseJSArray;
    varint(count);
    varint(length);
  }

  // A dense array's own enumerable properties that are not indices.
  function writeNamedProperties(a) {
    const keys = ObjectKeys(a);
    const n = keys.length;
    // Indices come first in property order: if the last key is one, all are.
    if (n === 0 || arrayIndex(keys[n - 1], charCodeAtIntact()) >= 0) return 0;
    let count = 0;
    let k = '';
    try {
      for (let i = 0; i < n; i++) {
        k = keys[i];
        if (arrayIndex(k, charCodeAtIntact()) >= 0) continue;
        const v = a[k];
        if (v === undefined && !hasOwn(a, k)) continue;
        writeString(k);
        writeValue(v);
        count++;
      }
    } catch (e) {
      if (e === FAIL) failPath = keySegment(k) + failPath;
      throw e;
    }
    return count;
  }

  function writeMap(m) {
    // V8 copies the entries first: changes made while writing do not count.
    const entries = newList();
    let n = 0;
    MapForEach(m, (value, key) => {
      entries[n++] = key;
      entries[n++] = value;
    });
    ensure(1);
    out[pos++] = kTagBeginJSMap;
    let i = 0;
    try {
      for (; i < n; i++) writeValue(entries[i]);
    } catch (e) {
      if (e === FAIL) {
        failPath = ((i & 1) === 0 ? '[Map key ' : '[Map value ') + (i >>> 1) + ']' + failPath;
      }
      throw e;
    }
    ensure(6);
    out[pos++] = kTagEndJSMap;
    varint(n);
  }

  function writeSet(s) {
    const members = newList();
    let n = 0;
    SetForEach(s, (value) => {
      members[n++] = value;
    });
    ensure(1);
    out[pos++] = kTagBeginJSSet;
    let i = 0;
    try {
      for (; i < n; i++) writeValue(members[i]);
    } catch (e) {
      if (e === FAIL) failPath = '[Set member ' + i + ']' + failPath;
      throw e;
    }
    ensure(6);
    out[pos++] = kTagEndJSSet;
    varint(n);
  }

  function writeArrayBufferBody(buffer, byteLength) {
    const resizable = ABResizable !== undefined && ABResizable(buffer) === true;
    ensure(11 + byteLength);
    if (resizable) {
      out[pos++] = kTagResizableArrayBuffer;
      varint(byteLength);
      varint(ABMaxByteLength(buffer));
    } else {
      out[pos++] = kTagArrayBuffer;
      varint(byteLength);
    }
    if (byteLength > 0) TASet(out, new U8(buffer, 0, byteLength), pos);
    pos += byteLength;
  }

  function writeView(o) {
    const name = TAToStringTag(o);
    let kind;
    let buffer;
    let offset = 0;
    let length = 0;
    let outOfBounds = false;
    if (name === undefined) {
      kind = DATAVIEW_KIND;
      buffer = DVBuffer(o);
      try {
        offset = DVByteOffset(o);
        length = DVByteLength(o);
      } catch (e) {
        outOfBounds = true;  // detached, or outside a shrunk resizable buffer
      }
    } else {
      kind = VIEW_BY_NAME[name];
      if (kind === undefined) fail(name + ' could not be cloned');
      buffer = TABuffer(o);
      offset = TAByteOffset(o);
      length = TAByteLength(o);
    }
    let shared = false;
    let bufferLength = 0;
    try {
      bufferLength = ABByteLength(buffer);
    } catch (e) {
      shared = true;
    }
    if (!shared && isDetached(buffer, bufferLength)) {
      fail('ArrayBuffer is detached and could not be cloned');
    }
    if (outOfBounds) fail(kind.name + ' is out of bounds and could not be cloned');
    if (nodeForm) {
      // Node's host object: only the viewed bytes; the buffer is not shared.
      ids.set(o, nextId++);
      let index = kind.node;
      if (nodeBuffer !== undefined && o.constructor === nodeBuffer) index = 10;
      ensure(11 + length);
      out[pos++] = kTagHostObject;
      varint(index);
      varint(length);
      if (length > 0) TASet(out, new U8(buffer, offset, length), pos);
      pos += length;
      return;
    }
    // V8's own form: the buffer (or a reference to it), then the view record.
    const bufferId = ids.get(buffer);
    if (bufferId !== undefined) {
      ensure(6);
      out[pos++] = kTagObjectReference;
      varint(bufferId);
    } else {
      try {
        if (shared) fail('SharedArrayBuffer could not be cloned');
        if (++depth > maxDepth) fail('nested deeper than ' + maxDepth + ' levels');
        ids.set(buffer, nextId++);
        writeArrayBufferBody(buffer, bufferLength);
        depth--;
      } catch (e) {
        if (e === FAIL) failPath = '.buffer' + failPath;
        throw e;
      }
    }
    ids.set(o, nextId++);
    let flags = 0;
    if (!shared && ABResizable !== undefined && ABResizable(buffer) === true) {
      flags = kViewFlagBackedByResizable;
      // Length tracking cannot be observed from script; a view that reaches
      // the end of its resizable buffer is taken to track it.
      if (offset + length === bufferLength) flags |= kViewFlagLengthTracking;
    }
    ensure(17);
    out[pos++] = kTagArrayBufferView;
    out[pos++] = kind.subtag;
    varint(offset);
    varint(length);
    varint(flags);
  }

  function writeError(o) {
    const messageDesc = getOwnPropertyDescriptor(o, 'message');
    const causeDesc = getOwnPropertyDescriptor(o, 'cause');
    ensure(2);
    out[pos++] = kTagError;
    const name = `${o.name}`;
    let prototype = 0;
    switch (name) {
      case 'EvalError': prototype = kErrorTagEvalErrorPrototype; break;
      case 'RangeError': prototype = kErrorTagRangeErrorPrototype; break;
      case 'ReferenceError': prototype = kErrorTagReferenceErrorPrototype; break;
      case 'SyntaxError': prototype = kErrorTagSyntaxErrorPrototype; break;
      case 'TypeError': prototype = kErrorTagTypeErrorPrototype; break;
      case 'URIError': prototype = kErrorTagUriErrorPrototype; break;
      default: break;
    }
    if (prototype !== 0) out[pos++] = prototype;
    if (messageDesc !== undefined && hasOwn(messageDesc, 'value')) {
      const message = `${messageDesc.value}`;
      ensure(1);
      out[pos++] = kErrorTagMessage;
      writeString(message);
    }
    if (causeDesc !== undefined && hasOwn(causeDesc, 'value')) {
      ensure(1);
      out[pos++] = kErrorTagCause;
      try {
        writeValue(causeDesc.value);
      } catch (e) {
        if (e === FAIL) failPath = '.cause' + failPath;
        throw e;
      }
    }
    const stack = o.stack;
    if (typeof stack === 'string') {
      ensure(1);
      out[pos++] = kErrorTagStack;
      writeString(stack);
    }
    ensure(1);
    out[pos++] = kErrorTagEnd;
  }

  function makeCloneError(message) {
    const e = new ErrorCtor(message);
    defineProperty(e, 'name', dataDescriptor('DataCloneError', false));
    return e;
  }

  function readOption(options, name) {
    return options === undefined || options === null ? undefined : options[name];
  }

  function parseForm(form) {
    if (form === undefined || form === 'valence') return false;
    if (form === 'node') return true;
    throw new TypeErrorCtor("options.form must be 'valence' or 'node'");
  }

  function parseDepth(value) {
    if (value === undefined) return 1000;
    if (typeof value !== 'number' || !(value >= 0)) {
      throw new TypeErrorCtor('options.maxDepth must be a non-negative number');
    }
    return value;
  }

  function encode(value, options) {
    const form = parseForm(readOption(options, 'form'));
    const rootNameOption = readOption(options, 'rootName');
    const rootName = rootNameOption === undefined ? 'value' : `${rootNameOption}`;
    const depthLimit = parseDepth(readOption(options, 'maxDepth'));
    const bufferCtor = readOption(options, 'nodeBuffer');
    const hostOption = readOption(options, 'hostObject');

    // A getter may call encode again: the inner call gets its own state.
    let saved = null;
    if (encoding) {
      saved = [outBuffer, out, out16, pos, ids, nextId, depth, maxDepth, nodeForm, nodeBuffer,
               directStrings, capacity, hostHook];
      capacity = 256;
      outBuffer = new AB(capacity);
      out = new U8(outBuffer);
      out16 = new U16(outBuffer);
    }
    encoding = true;
    pos = 0;
    ids = new IdentityMap();
    nextId = 0;
    depth = 0;
    maxDepth = depthLimit;
    nodeForm = form;
    nodeBuffer = typeof bufferCtor === 'function' ? bufferCtor : undefined;
    hostHook = !form && typeof hostOption === 'function' ? hostOption : undefined;
    directStrings = charCodeAtIsData();
    try {
      ensure(2);
      out[pos++] = kTagVersion;
      out[pos++] = kFormatVersion;
      writeValue(value);
      const result = new U8(pos);
      TASet(result, new U8(outBuffer, 0, pos));
      return result;
    } catch (e) {
      if (e === FAIL) throw makeCloneError(rootName + failPath + ': ' + failMessage);
      throw e;
    } finally {
      if (saved !== null) {
        outBuffer = saved[0]; out = saved[1]; out16 = saved[2]; pos = saved[3]; ids = saved[4];
        nextId = saved[5]; depth = saved[6]; maxDepth = saved[7]; nodeForm = saved[8];
        nodeBuffer = saved[9]; directStrings = saved[10]; capacity = saved[11]; hostHook = saved[12];
      } else {
        encoding = false;
        ids = null;
        nodeBuffer = undefined;
        hostHook = undefined;
        if (capacity > RETAINED_CAPACITY) {
          capacity = INITIAL_CAPACITY;
          outBuffer = new AB(capacity);
          out = new U8(outBuffer);
          out16 = new U16(outBuffer);
        }
      }
    }
  }

  // ===========================================================================
  // Decoder.

  const HOLE = freeze({ __proto__: null });
  const PENDING = freeze({ __proto__: null });
  const STRING_CHUNK = 8192;

  let inBuffer = null;  // the input's ArrayBuffer
  let inOffset = 0;     // the input's byteOffset in it
  let inp = null;       // our own Uint8Array over the input
  let end = 0;
  let rp = 0;
  let version = 0;
  let objects = null;   // by wire id
  let buffers = null;   // by wire id: true for ArrayBuffers we created
  let objectCount = 0;
  let rdepth = 0;
  let rmaxDepth = 1000;
  let rnodeForm = false;
  let rnodeBuffer;
  let markAt = 0;
  let elementsSafe = -1;  // -1: not yet known
  let decodeDirect = false;
  let typedArrayArgs = false;
  let decoding = false;
  let rhostHook;  // options.hostObject (valence form): reader -> value

  // What a decode hook reads a host object's payload with.
  const HOST_READER = freeze({
    __proto__: null,
    byte() { need(1, 'host object'); return inp[rp++]; },
    varint() { return readVarint('host object'); },
    bytes(n) {
      need(n, 'host object');
      const b = new U8(n);
      TASet(b, new U8(inBuffer, inOffset + rp, n));
      rp += n;
      return b;
    },
    fail(message) { bad(message); },
  });

  function bad(message, at) {
    throw new ErrorCtor('invalid V8 serialized data at byte ' + (at === undefined ? markAt : at) +
                        ': ' + message);
  }

  function describeTag(t) {
    const hex = (t < 16 ? '0x0' : '0x') + NumberToString(t, 16);
    return t >= 0x20 && t < 0x7f ? "'" + StringFromCharCode(t) + "' (" + hex + ')' : hex;
  }

  // Skips padding; returns the next tag without consuming it, or -1 at the end.
  function peekTag() {
    while (rp < end && inp[rp] === 0) rp++;
    return rp < end ? inp[rp] : -1;
  }

  function readTag() {
    while (rp < end && inp[rp] === 0) rp++;
    return rp < end ? inp[rp++] : -1;
  }

  function readVarint(what) {
    let v = 0;
    let shift = 0;
    let b;
    do {
      if (rp >= end) bad('truncated ' + what);
      b = inp[rp++];
      if (shift < 32) v |= (b & 0x7f) << shift;
      shift += 7;
    } while (b & 0x80);
    return v >>> 0;
  }

  function readDouble(what) {
    if (end - rp < 8) bad('truncated ' + what);
    if (LITTLE_ENDIAN) {
      for (let i = 0; i < 8; i++) scratchBytes[i] = inp[rp + i];
    } else {
      for (let i = 0; i < 8; i++) scratchBytes[7 - i] = inp[rp + i];
    }
    rp += 8;
    return scratchF64[0];
  }

  function need(n, what) {
    if (n > end - rp) {
      bad(what + ' of ' + n + ' bytes runs past the end (' + (end - rp) + ' left)');
    }
  }

  function register(o) {
    objects[objectCount++] = o;
    return o;
  }

  // Latin-1 bytes -> string.
  function latin1(at, n) {
    if (n <= 24) {
      let s = '';
      for (let i = 0; i < n; i++) s += StringFromCharCode(inp[at + i]);
      return s;
    }
    let s = '';
    for (let i = 0; i < n; i += STRING_CHUNK) {
      const m = n - i < STRING_CHUNK ? n - i : STRING_CHUNK;
      s += charsOf(new U8(inBuffer, inOffset + at + i, m), m);
    }
    return s;
  }

  // String.fromCharCode over the m code units of a typed array. Reflect.apply
  // reads an array-like's length through its getter: the typed array itself
  // is passed only while that getter is the original (typedArrayArgs, checked
  // once per decode), else a copy in a plain array.
  function charsOf(codes, m) {
    if (typedArrayArgs) return ReflectApply(StringFromCharCode, undefined, codes);
    const list = newList();
    for (let i = 0; i < m; i++) list[i] = codes[i];
    return ReflectApply(StringFromCharCode, undefined, list);
  }

  function typedArrayLengthIsOriginal() {
    const d = getOwnPropertyDescriptor(TypedArrayPrototype, 'length');
    return d !== undefined && hasOwn(d, 'get') && d.get === TypedArrayLengthGetter;
  }

  // UTF-16LE bytes -> string.
  function utf16(at, units) {
    let buffer = inBuffer;
    let offset = inOffset + at;
    if (!LITTLE_ENDIAN || (offset & 1) !== 0) {
      // Unaligned (or a big-endian host): copy the code units first.
      buffer = new AB(2 * units);
      offset = 0;
      const copy = new U16(buffer);
      for (let i = 0; i < units; i++) copy[i] = inp[at + 2 * i] | (inp[at + 2 * i + 1] << 8);
    }
    return fromCodeUnits(buffer, offset, units);
  }

  // The string of `units` UTF-16 code units at byte `offset` of `buffer`.
  function fromCodeUnits(buffer, offset, units) {
    if (units <= 24) {
      const codes = new U16(buffer, offset, units);
      let s = '';
      for (let i = 0; i < units; i++) s += StringFromCharCode(codes[i]);
      return s;
    }
    let s = '';
    for (let i = 0; i < units; i += STRING_CHUNK) {
      const m = units - i < STRING_CHUNK ? units - i : STRING_CHUNK;
      s += charsOf(new U16(buffer, offset + 2 * i, m), m);
    }
    return s;
  }

  // UTF-8 bytes -> string; ill-formed sequences become U+FFFD (maximal
  // subparts, as V8 and the WHATWG decoder replace them).
  function utf8(at, n) {
    const codes = new U16(n);  // never more UTF-16 units than bytes
    let u = 0;
    const stop = at + n;
    let i = at;
    while (i < stop) {
      const b0 = inp[i++];
      if (b0 < 0x80) {
        codes[u++] = b0;
        continue;
      }
      let needed = 0;
      let cp = 0;
      let lower = 0x80;
      let upper = 0xbf;
      if (b0 >= 0xc2 && b0 <= 0xdf) {
        needed = 1; cp = b0 & 0x1f;
      } else if (b0 >= 0xe0 && b0 <= 0xef) {
        if (b0 === 0xe0) lower = 0xa0;
        if (b0 === 0xed) upper = 0x9f;
        needed = 2; cp = b0 & 0x0f;
      } else if (b0 >= 0xf0 && b0 <= 0xf4) {
        if (b0 === 0xf0) lower = 0x90;
        if (b0 === 0xf4) upper = 0x8f;
        needed = 3; cp = b0 & 0x07;
      } else {
        codes[u++] = 0xfffd;
        continue;
      }
      let ok = true;
      for (let k = 0; k < needed; k++) {
        if (i >= stop) { ok = false; break; }
        const b = inp[i];
        if (b < lower || b > upper) { ok = false; break; }
        lower = 0x80;
        upper = 0xbf;
        cp = (cp << 6) | (b & 0x3f);
        i++;
      }
      if (!ok) {
        codes[u++] = 0xfffd;
        continue;
      }
      if (cp >= 0x10000) {
        cp -= 0x10000;
        codes[u++] = 0xd800 | (cp >>> 10);
        codes[u++] = 0xdc00 | (cp & 0x3ff);
      } else {
        codes[u++] = cp;
      }
    }
    return fromCodeUnits(TABuffer(codes), 0, u);
  }

  // A string value after its tag t; undefined when t is not a string tag.
  function readStringAfterTag(t) {
    if (t === kTagOneByteString) {
      const n = readVarint('string length');
      need(n, 'one-byte string');
      const s = latin1(rp, n);
      rp += n;
      return s;
    }
    if (t === kTagTwoByteString) {
      const n = readVarint('string length');
      if ((n & 1) !== 0) bad('two-byte string with odd byte length ' + n);
      need(n, 'two-byte string');
      const s = utf16(rp, n >>> 1);
      rp += n;
      return s;
    }
    if (t === kTagUtf8String) {
      const n = readVarint('string length');
      need(n, 'UTF-8 string');
      const s = utf8(rp, n);
      rp += n;
      return s;
    }
    return undefined;
  }

  function readString(what) {
    markAt = rp;
    const t = readTag();
    if (t < 0) bad('truncated ' + what);
    const s = readStringAfterTag(t);
    if (s === undefined) bad('expected a string, found tag ' + describeTag(t));
    return s;
  }

  // The largest BigInt V8 makes (2^30 bits); engines may allow less.
  const MAX_BIGINT_BYTES = 1 << 27;
  const HEX_DIGIT_CODES = new U16(16);
  for (let i = 0; i < 16; i++) HEX_DIGIT_CODES[i] = i < 10 ? 48 + i : 87 + i;

  function readBigInt() {
    const bitfield = readVarint('BigInt');
    const byteCount = bitfield >>> 1;
    need(byteCount, 'BigInt');
    const at = rp;
    rp += byteCount;
    let top = byteCount;
    while (top > 0 && inp[at + top - 1] === 0) top--;
    let value;
    if (top <= 6) {
      let v = 0;
      for (let i = top - 1; i >= 0; i--) v = v * 256 + inp[at + i];
      value = BigIntCtor(v);
    } else {
      if (top > MAX_BIGINT_BYTES) bad('BigInt of ' + top + ' bytes is too large');
      // Hex digits, most significant first, made in chunks (a string grown a
      // character at a time would cost far more memory than the input).
      let hex = '0x';
      const chunk = new U16(top < STRING_CHUNK / 2 ? 2 * top : STRING_CHUNK);
      let m = 0;
      for (let i = top - 1; i >= 0; i--) {
        const byte = inp[at + i];
        chunk[m++] = HEX_DIGIT_CODES[byte >>> 4];
        chunk[m++] = HEX_DIGIT_CODES[byte & 15];
        if (m === STRING_CHUNK || i === 0) {
          hex += charsOf(m === STRING_CHUNK ? chunk : new U16(TABuffer(chunk), 0, m), m);
          m = 0;
        }
      }
      try {
        value = BigIntCtor(hex);
      } catch (e) {
        bad('BigInt of ' + top + ' bytes is too large for this engine');
      }
    }
    return (bitfield & 1) !== 0 ? -value : value;
  }

  function indexKeysOn(proto) {
    const keys = ReflectOwnKeys(proto);
    return keys.length > 0 && typeof keys[0] === 'string' && arrayIndex(keys[0], false) >= 0;
  }

  // True when element writes on our fresh arrays cannot reach a prototype's
  // index property (checked once per decode: no script runs while decoding).
  function elementsAreSafe() {
    if (elementsSafe < 0) {
      elementsSafe = indexKeysOn(ArrayPrototype) || indexKeysOn(ObjectPrototype) ? 0 : 1;
    }
    return elementsSafe === 1;
  }

  // Property names repeat (the same few in every object): a direct-mapped
  // cache hands back the string made last time, which the engine has already
  // interned as a property key, instead of making and interning a new one
  // (JavaScriptCore decodes small objects ~1.5x faster with it). Used while
  // charCodeAt is the original (decodeDirect).
  const KEY_CACHE_MAX_LENGTH = 32;
  const KEY_CACHE_SLOTS = 4096;
  const keyCache = newList();

  function cachedKey(at, n) {
    let h = n;
    for (let i = 0; i < n; i++) h = MathImul(h ^ inp[at + i], 0x01000193);
    const slot = (h ^ (h >>> 15)) & (KEY_CACHE_SLOTS - 1);
    const hit = keyCache[slot];
    if (hit !== undefined && hit.length === n) {
      let same = true;
      for (let i = 0; i < n; i++) {
        if (hit.charCodeAt(i) !== inp[at + i]) {
          same = false;
          break;
        }
      }
      if (same) return hit;
    }
    const s = latin1(at, n);
    keyCache[slot] = s;
    return s;
  }

  // A property key: a string, or a number made into its property name.
  function readKey() {
    markAt = rp;
    const t = peekTag();
    if (t < 0) bad('truncated: a property key was expected');
    if (t === kTagOneByteString) {
      rp++;
      const n = readVarint('string length');
      need(n, 'one-byte string');
      const s = n <= KEY_CACHE_MAX_LENGTH && decodeDirect ? cachedKey(rp, n) : latin1(rp, n);
      rp += n;
      return s;
    }
    if (t === kTagTwoByteString || t === kTagUtf8String) {
      rp++;
      return readStringAfterTag(t);
    }
    if (t === kTagInt32 || t === kTagUint32 || t === kTagDouble) {
      rp++;
      const n = readNumberAfterTag(t);
      return '' + n;
    }
    bad('property key must be a string or number, found tag ' + describeTag(t));
    return '';
  }

  function readNumberAfterTag(t) {
    if (t === kTagInt32) {
      const u = readVarint('int32');
      return (u >>> 1) ^ -(u & 1);
    }
    if (t === kTagUint32) return readVarint('uint32');
    const d = readDouble('double');
    return d;
  }

  // (key value)* up to endTag; returns the number of pairs.
  function readProperties(o, endTag, proto, isArray) {
    let count = 0;
    for (;;) {
      markAt = rp;
      const t = peekTag();
      if (t < 0) bad(isArray ? 'truncated array: no end tag' : 'truncated object: no end tag');
      if (t === endTag) {
        rp++;
        return count;
      }
      const at = rp;
      const key = readKey();
      const value = readValue(false);
      const index = isArray ? arrayIndex(key, decodeDirect) : -1;
      if (hasOwn(o, key)) {
        bad(index >= 0 ? 'duplicate array index ' + key : 'duplicate property key "' + key + '"', at);
      }
      // Never through a setter: a key the prototype chain has (such as
      // "__proto__") is defined explicitly.
      if (index >= 0 ? elementsAreSafe() : !(key in proto)) {
        o[key] = value;
      } else {
        defineProperty(o, key, dataDescriptor(value, true));
      }
      count++;
    }
  }

  function readObject() {
    const o = register({});
    const count = readProperties(o, kTagEndJSObject, ObjectPrototype, false);
    const expected = readVarint('object end');
    if (expected !== count) {
      bad('object end says ' + expected + ' properties, but ' + count + ' were read');
    }
    return o;
  }

  function readArrayEnd(a, endTag, length) {
    const pairs = readProperties(a, endTag, ArrayPrototype, true);
    const count = readVarint('array end');
    const endLength = readVarint('array end');
    if (count !== pairs) {
      bad('array end says ' + count + ' properties, but ' + pairs + ' were read');
    }
    if (endLength !== length) {
      bad('array end says length ' + endLength + ', but it began with ' + length);
    }
  }

  function readDenseArray() {
    const length = readVarint('array length');
    if (length > end - rp) bad('dense array of ' + length + ' elements in ' + (end - rp) + ' bytes');
    const a = register([]);
    const safe = elementsAreSafe();
    for (let i = 0; i < length; i++) {
      const v = readValue(true);
      if (v === HOLE) continue;
      if (safe) {
        a[i] = v;
      } else {
        defineProperty(a, i, dataDescriptor(v, true));
      }
    }
    if (a.length !== length) a.length = length;
    readArrayEnd(a, kTagEndDenseJSArray, length);
    return a;
  }

  function readSparseArray() {
    const length = readVarint('array length');
    const a = register([]);
    a.length = length;
    readArrayEnd(a, kTagEndSparseJSArray, length);
    if (a.length > length) {
      bad('sparse array of length ' + length + ' has an element at ' + (a.length - 1));
    }
    return a;
  }

  function readMap() {
    const m = register(new MapCtor());
    let read = 0;
    for (;;) {
      markAt = rp;
      const t = peekTag();
      if (t < 0) bad('truncated Map: no end tag');
      if (t === kTagEndJSMap) {
        rp++;
        const count = readVarint('Map end');
        if (count !== read) {
          bad('Map end says ' + count + ' keys and values, but ' + read + ' were read');
        }
        return m;
      }
      const k = readValue(false);
      const v = readValue(false);
      MapSet(m, k, v);
      read += 2;
    }
  }

  function readSet() {
    const s = register(new SetCtor());
    let read = 0;
    for (;;) {
      markAt = rp;
      const t = peekTag();
      if (t < 0) bad('truncated Set: no end tag');
      if (t === kTagEndJSSet) {
        rp++;
        const count = readVarint('Set end');
        if (count !== read) bad('Set end says ' + count + ' members, but ' + read + ' were read');
        return s;
      }
      SetAdd(s, readValue(false));
      read++;
    }
  }

  function copyBytes(n) {
    const buffer = new AB(n);
    if (n > 0) TASet(new U8(buffer), new U8(inBuffer, inOffset + rp, n));
    rp += n;
    return buffer;
  }

  function readArrayBuffer(resizable) {
    const length = readVarint('ArrayBuffer length');
    let maxLength = length;
    if (resizable) {
      maxLength = readVarint('ArrayBuffer max length');
      if (length > maxLength) {
        bad('resizable ArrayBuffer of ' + length + ' bytes exceeds its maximum ' + maxLength);
      }
    }
    need(length, 'ArrayBuffer');
    let buffer;
    if (resizable) {
      try {
        buffer = new AB(length, { __proto__: null, maxByteLength: maxLength });
      } catch (e) {
        bad('resizable ArrayBuffer of maximum ' + maxLength + ' bytes cannot be created');
      }
      if (length > 0) TASet(new U8(buffer), new U8(inBuffer, inOffset + rp, length));
      rp += length;
    } else {
      buffer = copyBytes(length);
    }
    buffers[objectCount] = true;
    register(buffer);
    // A view record right after the buffer makes the value a view on it.
    if (peekTag() === kTagArrayBufferView) {
      return readViewRecord(buffer, length, resizable && ABResizable !== undefined &&
                                                ABResizable(buffer) === true);
    }
    return buffer;
  }

  function readViewRecord(buffer, bufferLength, resizable) {
    markAt = rp;
    rp++;  // the 'V'
    const subtag = readVarint('view subtag');
    const offset = readVarint('view offset');
    const length = readVarint('view length');
    const flags = version >= 14 ? readVarint('view flags') : 0;
    const kind = subtag < 0x80 ? VIEW_BY_SUBTAG[subtag] : undefined;
    if (kind === undefined) bad('unknown view subtag ' + describeTag(subtag & 0xff));
    if ((flags & ~3) !== 0) bad('unknown view flags ' + flags);
    if (offset > bufferLength || length > bufferLength - offset) {
      bad('view [' + offset + ', +' + length + ') outside its ' + bufferLength + '-byte buffer');
    }
    if (offset % kind.size !== 0 || length % kind.size !== 0) {
      bad(kind.name + ' at offset ' + offset + ' with ' + length + ' bytes is misaligned');
    }
    const tracking = (flags & 1) !== 0 && resizable;
    let view;
    if (kind === DATAVIEW_KIND) {
      view = tracking ? new DV(buffer, offset) : new DV(buffer, offset, length);
    } else {
      view = tracking ? new kind.ctor(buffer, offset) : new kind.ctor(buffer, offset, length / kind.size);
    }
    return register(view);
  }

  function readNodeView() {
    const index = readVarint('view type');
    const length = readVarint('view length');
    const kind = index < 13 ? VIEW_BY_NODE_INDEX[index] : undefined;
    if (kind === undefined || (kind.ctor === undefined && kind !== DATAVIEW_KIND)) {
      bad('unknown Node view type ' + index);
    }
    if (length % kind.size !== 0) {
      bad(kind.name + ' of ' + length + ' bytes is not a whole number of elements');
    }
    need(length, kind.name);
    const id = objectCount++;
    objects[id] = PENDING;
    const buffer = copyBytes(length);
    let view;
    if (index === 10 && rnodeBuffer !== undefined) {
      view = rnodeBuffer.from(buffer, 0, length);
    } else if (kind === DATAVIEW_KIND) {
      view = new DV(buffer);
    } else {
      view = new kind.ctor(buffer);
    }
    objects[id] = view;
    return view;
  }

  function readError() {
    const e = register(new ErrorCtor());
    let prototype = null;
    let message;
    let hasMessage = false;
    let stack;
    let hasStack = false;
    let cause;
    let hasCause = false;
    for (;;) {
      markAt = rp;
      if (rp >= end) bad('truncated Error: no end tag');
      const t = inp[rp++];
      if (t === kErrorTagEnd) break;
      switch (t) {
        case kErrorTagEvalErrorPrototype:
        case kErrorTagRangeErrorPrototype:
        case kErrorTagReferenceErrorPrototype:
        case kErrorTagSyntaxErrorPrototype:
        case kErrorTagTypeErrorPrototype:
        case kErrorTagUriErrorPrototype:
          prototype = ERROR_PROTOTYPES[t];
          break;
        case kErrorTagMessage:
          message = readString('Error message');
          hasMessage = true;
          break;
        case kErrorTagStack:
          stack = readString('Error stack');
          hasStack = true;
          break;
        case kErrorTagCause:
          cause = readValue(false);
          hasCause = true;
          break;
        default:
          bad('unknown Error sub-tag ' + describeTag(t));
      }
    }
    if (prototype !== null) setPrototypeOf(e, prototype);
    // Engines add their own properties to new errors (JavaScriptCore: line,
    // column, sourceURL; everyone: stack); only what the data says remains.
    const own = ReflectOwnKeys(e);
    for (let i = 0; i < own.length; i++) ReflectDeleteProperty(e, own[i]);
    if (hasMessage) defineProperty(e, 'message', dataDescriptor(message, false));
    if (hasCause) defineProperty(e, 'cause', dataDescriptor(cause, false));
    defineProperty(e, 'stack', dataDescriptor(hasStack ? stack : undefined, false));
    return e;
  }

  function regexpFlags(bits) {
    let flags = '';
    for (let i = 0; i < REGEXP_FLAG_GETTERS.length; i++) {
      if ((bits & REGEXP_FLAG_GETTERS[i][0]) !== 0) flags += REGEXP_FLAG_GETTERS[i][2];
    }
    return flags;
  }

  function readRegExp() {
    const id = objectCount++;
    objects[id] = PENDING;
    const source = readString('RegExp source');
    const bits = readVarint('RegExp flags');
    if ((bits & ~REGEXP_KNOWN_FLAGS) !== 0) bad('unknown RegExp flag bits ' + bits);
    if ((bits & 16) !== 0 && (bits & 256) !== 0) bad("RegExp flags 'u' and 'v' together");
    let re;
    try {
      re = new RegExpCtor(source, regexpFlags(bits));
    } catch (e) {
      bad('RegExp /' + source + '/ does not compile');
    }
    objects[id] = re;
    return re;
  }

  function readValue(allowHole) {
    markAt = rp;
    let t = readTag();
    if (t < 0) bad('truncated: a value was expected');
    while (t === kTagVerifyObjectCount) {  // '?': verify object count, ignored as V8 does
      readVarint('object count');
      markAt = rp;
      t = readTag();
      if (t < 0) bad('truncated: a value was expected');
    }
    switch (t) {
      case kTagUndefined: return undefined;
      case kTagNull: return null;
      case kTagTrue: return true;
      case kTagFalse: return false;
      case kTagInt32: case kTagUint32: case kTagDouble: return readNumberAfterTag(t);
      case kTagBigInt: return readBigInt();
      case kTagOneByteString: case kTagTwoByteString: case kTagUtf8String: return readStringAfterTag(t);
      case kTagTheHole:
        if (!allowHole) bad('a hole outside a dense array');
        return HOLE;
      case kTagObjectReference: {
        const id = readVarint('reference');
        if (id >= objectCount || objects[id] === PENDING) {
          bad('reference to object ' + id + ', which does not exist');
        }
        const o = objects[id];
        // V8 reads a view record after a reference to an ArrayBuffer too.
        if (buffers[id] === true && peekTag() === kTagArrayBufferView) {
          const resizable = ABResizable !== undefined && ABResizable(o) === true;
          return readViewRecord(o, ABByteLength(o), resizable);
        }
        return o;
      }
      default: break;
    }
    if (++rdepth > rmaxDepth) bad('nested deeper than ' + rmaxDepth + ' levels');
    let v;
    switch (t) {
      case kTagBeginJSObject: v = readObject(); break;
      case kTagBeginDenseJSArray: v = readDenseArray(); break;
      case kTagBeginSparseJSArray: v = readSparseArray(); break;
      case kTagDate: v = register(new DateCtor(readDouble('Date'))); break;
      case kTagTrueObject: v = register(new BooleanCtor(true)); break;
      case kTagFalseObject: v = register(new BooleanCtor(false)); break;
      case kTagNumberObject: v = register(new NumberCtor(readDouble('Number object'))); break;
      case kTagBigIntObject: {
        const id = objectCount++;
        objects[id] = PENDING;
        v = ObjectCtor(readBigInt());
        objects[id] = v;
        break;
      }
      case kTagStringObject: {
        const id = objectCount++;
        objects[id] = PENDING;
        v = new StringCtor(readString('String object'));
        objects[id] = v;
        break;
      }
      case kTagRegExp: v = readRegExp(); break;
      case kTagBeginJSMap: v = readMap(); break;
      case kTagBeginJSSet: v = readSet(); break;
      case kTagArrayBuffer: v = readArrayBuffer(false); break;
      case kTagResizableArrayBuffer: v = readArrayBuffer(true); break;
      case kTagError: v = readError(); break;
      case kTagHostObject:
        if (!rnodeForm) {
          if (rhostHook === undefined) bad('host object (tag \'\\\') is not supported here');
          v = rhostHook(HOST_READER);
          register(v);
          break;
        }
        v = readNodeView();
        break;
      case kTagArrayBufferView: bad('a view record without an ArrayBuffer before it'); break;
      case kTagArrayBufferTransfer: bad("transferred ArrayBuffer (tag 't') needs a transfer list"); break;
      case kTagSharedArrayBuffer: bad("SharedArrayBuffer (tag 'u') cannot cross processes"); break;
      case kTagSharedObject: case kTagWasmModuleTransfer: case kTagWasmMemoryTransfer: bad('tag ' + describeTag(t) + ' is not supported'); break;
      default: bad('unknown tag ' + describeTag(t));
    }
    rdepth--;
    return v;
  }

  function decode(bytes, options) {
    const form = parseForm(readOption(options, 'form'));
    const depthLimit = parseDepth(readOption(options, 'maxDepth'));
    const trailingOption = readOption(options, 'allowTrailingBytes');
    const allowTrailing = trailingOption === undefined ? form : trailingOption === true;
    const bufferCtor = readOption(options, 'nodeBuffer');
    const hostOption = readOption(options, 'hostObject');

    let buffer;
    let offset = 0;
    let length = 0;
    if (ArrayBufferIsView(bytes)) {
      if (TAToStringTag(bytes) !== undefined) {
        buffer = TABuffer(bytes);
        offset = TAByteOffset(bytes);
        length = TAByteLength(bytes);
      } else {
        buffer = DVBuffer(bytes);
        offset = DVByteOffset(bytes);
        length = DVByteLength(bytes);
      }
    } else {
      try {
        length = ABByteLength(bytes);
        buffer = bytes;
      } catch (e) {
        throw new TypeErrorCtor('decode() needs a Uint8Array');
      }
    }

    let saved = null;
    if (decoding) {
      saved = [inBuffer, inOffset, inp, end, rp, version, objects, buffers, objectCount, rdepth,
               rmaxDepth, rnodeForm, rnodeBuffer, markAt, elementsSafe, decodeDirect,
               typedArrayArgs, rhostHook];
    }
    decoding = true;
    inBuffer = buffer;
    inOffset = offset;
    inp = new U8(buffer, offset, length);
    end = length;
    rp = 0;
    objects = newList();
    buffers = newList();
    objectCount = 0;
    rdepth = 0;
    rmaxDepth = depthLimit;
    rnodeForm = form;
    rnodeBuffer = typeof bufferCtor === 'function' ? bufferCtor : undefined;
    rhostHook = !form && typeof hostOption === 'function' ? hostOption : undefined;
    markAt = 0;
    elementsSafe = -1;
    decodeDirect = charCodeAtIsData();
    typedArrayArgs = typedArrayLengthIsOriginal();
    try {
      if (end < 1 || inp[0] !== kTagVersion) bad('no version header (data must start with 0xff)', 0);
      rp = 1;
      markAt = 1;
      version = readVarint('version');
      if (version < 13 || version > 15) {
        bad('unsupported version ' + version + ' (this reader accepts 13 to 15)', 1);
      }
      const value = readValue(false);
      if (!allowTrailing && rp < end) bad('unexpected bytes after the value', rp);
      return value;
    } finally {
      if (saved !== null) {
        inBuffer = saved[0]; inOffset = saved[1]; inp = saved[2]; end = saved[3]; rp = saved[4];
        version = saved[5]; objects = saved[6]; buffers = saved[7]; objectCount = saved[8];
        rdepth = saved[9]; rmaxDepth = saved[10]; rnodeForm = saved[11]; rnodeBuffer = saved[12];
        markAt = saved[13]; elementsSafe = saved[14]; decodeDirect = saved[15];
        typedArrayArgs = saved[16]; rhostHook = saved[17];
      } else {
        decoding = false;
        rhostHook = undefined;
        inBuffer = null;
        inp = null;
        objects = null;
        buffers = null;
        rnodeBuffer = undefined;
      }
    }
  }

  return freeze({ __proto__: null, encode, decode });
})()
