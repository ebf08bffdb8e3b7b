// executeJavaScript's results: the page-side encoder (structured clone, in
// the page) and what the UI process makes of what it returns.
//
// Why the page encodes, and not this file walking the JSCValue: the JSCValue
// WebKit hands the UI process is already a lossy copy. WebKit converts a
// script's result for its own IPC before main sees it: a Map or a Set
// arrives as {}, a Uint16Array as {0: 1, 1: 2}, a BigInt as undefined, a
// RegExp or an Error as {}, and a function as a bare "Unsupported result
// type". No type check here can recover what is gone. So the code's result
// is encoded where it still is what it is, in the page, into V8's own
// structured-clone wire format (Form::kValence, as page messages travel);
// WebKit carries that as one string, and the C++ codec decodes it (it checks
// everything: the page could have changed what the encoder sees). The
// encoder is this file's kPageEncoderJs, a compact relative of
// web_extension/js/v8_codec.js's encoder, which lives in the web process's
// preload world and is not reachable from the page's main world: same
// wire format, same checks, same error paths ("result.f: function could
// not be cloned").
#include <cstring>
#include <string>

#include "ui/app_impl.h"
#include "ui/window_impl.h"
#include "valence/codec.h"

namespace valence {
namespace {

constexpr int kMaxDepth = 200;

std::string string_of(JSCValue* v) {
  GBytes* bytes = jsc_value_to_string_as_bytes(v);
  gsize size = 0;
  const auto* data = static_cast<const char*>(g_bytes_get_data(bytes, &size));
  std::string out(data ? data : "", size);
  g_bytes_unref(bytes);
  return out;
}

Result<Value> convert(JSCValue* v, const std::string& path, int depth) {
  if (depth > kMaxDepth)
    return make_error(ErrorCode::kCloneError, path + ": the value is nested too deeply");
  if (jsc_value_is_undefined(v)) return Value();
  if (jsc_value_is_null(v)) return Value(nullptr);
  if (jsc_value_is_boolean(v)) return Value(static_cast<bool>(jsc_value_to_boolean(v)));
  if (jsc_value_is_number(v)) return Value(jsc_value_to_double(v));
  if (jsc_value_is_string(v)) return Value(String(string_of(v)));
  if (jsc_value_is_function(v))
    return make_error(ErrorCode::kCloneError, path + ": function could not be cloned");
  if (jsc_value_is_typed_array(v)) {
    gsize length = 0;
    auto* data = static_cast<const std::uint8_t*>(jsc_value_typed_array_get_data(v, &length));
    std::size_t size = jsc_value_typed_array_get_size(v);
    return Value(View(ViewKind::kUint8Array, Bytes(data, size)));
  }
  if (jsc_value_is_array_buffer(v)) {
    gsize size = 0;
    auto* data = static_cast<const std::uint8_t*>(jsc_value_array_buffer_get_data(v, &size));
    return Value(ArrayBuffer(Bytes(data, size)));
  }
  if (jsc_value_is_array(v)) {
    JSCValue* length_v = jsc_value_object_get_property(v, "length");
    auto length = static_cast<std::uint32_t>(jsc_value_to_double(length_v));
    g_object_unref(length_v);
    std::vector<Value> items;
    items.reserve(length);
    for (std::uint32_t i = 0; i < length; ++i) {
      JSCValue* item = jsc_value_object_get_property_at_index(v, i);
      auto c = convert(item, path + "[" + std::to_string(i) + "]", depth + 1);
      g_object_unref(item);
      if (!c) return c;
      items.push_back(std::move(c).value());
    }
    return Value::array(std::move(items));
  }
  if (jsc_value_object_is_instance_of(v, "Date")) {
    JSCValue* t = jsc_value_object_invoke_method(v, "getTime", G_TYPE_NONE);
    double ms = jsc_value_to_double(t);
    g_object_unref(t);
    return Value(Date{ms});
  }
  if (jsc_value_is_object(v)) {
    Object object;
    char** names = jsc_value_object_enumerate_properties(v);
    for (char** n = names; n && *n; ++n) {
      JSCValue* item = jsc_value_object_get_property(v, *n);
      auto c = convert(item, path + "." + *n, depth + 1);
      g_object_unref(item);
      if (!c) {
        g_strfreev(names);
        return c;
      }
      object.set(String(*n), std::move(c).value());
    }
    g_strfreev(names);
    return Value(std::move(object));
  }
  return make_error(ErrorCode::kCloneError, path + ": value could not be cloned");
}

// The page's string of code units 0..255, as the UTF-8 WebKit gives us,
// back to those bytes.
bool latin1_from_utf8(std::string_view utf8, std::vector<std::uint8_t>& out) {
  out.reserve(utf8.size());
  for (std::size_t i = 0; i < utf8.size(); ++i) {
    auto c = static_cast<std::uint8_t>(utf8[i]);
    if (c < 0x80) {
      out.push_back(c);
    } else if ((c == 0xC2 || c == 0xC3) && i + 1 < utf8.size() &&
               (static_cast<std::uint8_t>(utf8[i + 1]) & 0xC0) == 0x80) {
      out.push_back(static_cast<std::uint8_t>(((c & 0x1F) << 6) |
                                              (static_cast<std::uint8_t>(utf8[i + 1]) & 0x3F)));
      ++i;
    } else {
      return false;
    }
  }
  return true;
}

}  // namespace

Result<Value> value_from_jsc(JSCValue* value) {
  return convert(value, "result", 0);
}

// An expression whose value is `run(thunk, key)`: calls thunk() (the app's
// code) at once and returns a string: "v" and the value's V8 bytes, "c" and
// the bytes of the clone error's message, "e" and the bytes of
// [String(exception), exception] (just [String(exception)] when the
// exception itself cannot be cloned), or "p" when the value is a thenable:
// then globalThis[key] holds a promise of one of the other three, made once
// the value settles. Each byte is one code unit (0..255). A getter of the
// value that throws makes run() throw.
//
// Intrinsics are captured when this expression is evaluated, which is
// before the app's code runs; the page's own scripts ran earlier and could
// have changed them. That can only change what the page returns, which is
// the page's to decide anyway: the bytes are checked in the UI process.
const char* const kPageEncoderJs = R"JS((function () {
  'use strict';
  const ReflectApply = Reflect.apply;
  const uncurry = (fn) => (self, ...args) => ReflectApply(fn, self, args);
  const getOwn = Object.getOwnPropertyDescriptor;
  const getProto = Object.getPrototypeOf;
  const defineProperty = Object.defineProperty;
  const deleteProperty = Reflect.deleteProperty;
  const global = globalThis;
  const setProto = Object.setPrototypeOf;
  // Lists whose index writes never reach a prototype (the page's
  // Array.prototype may have setters).
  const newList = () => setProto([], null);
  const keysOf = Object.keys;
  const isArray = Array.isArray;
  const isView = ArrayBuffer.isView;
  const ObjectPrototype = Object.prototype;
  const hasOwn = uncurry(ObjectPrototype.hasOwnProperty);
  const tagOf = uncurry(ObjectPrototype.toString);
  const getter = (proto, name) => {
    const d = proto === undefined ? undefined : getOwn(proto, name);
    return d !== undefined && typeof d.get === 'function' ? uncurry(d.get) : undefined;
  };
  const charCodeAt = uncurry(String.prototype.charCodeAt);
  const sliceString = uncurry(String.prototype.slice);
  const fromCharCode = String.fromCharCode;
  const StringCtor = String;
  const NumberCtor = Number;
  const IdMap = Map;
  const mapGet = uncurry(Map.prototype.get);
  const mapSet = uncurry(Map.prototype.set);
  const MapSize = getter(Map.prototype, 'size');
  const MapForEach = uncurry(Map.prototype.forEach);
  const SetSize = getter(Set.prototype, 'size');
  const SetForEach = uncurry(Set.prototype.forEach);
  const DateGetTime = uncurry(Date.prototype.getTime);
  const RegExpSource = getter(RegExp.prototype, 'source');
  const RegExpGlobal = getter(RegExp.prototype, 'global');
  const FLAGS = [[1, 'global'], [2, 'ignoreCase'], [4, 'multiline'], [8, 'sticky'],
                 [16, 'unicode'], [32, 'dotAll'], [128, 'hasIndices'], [256, 'unicodeSets']];
  for (let i = 0; i < FLAGS.length; i++) FLAGS[i][1] = getter(RegExp.prototype, FLAGS[i][1]);
  const AB = ArrayBuffer;
  const ABByteLength = getter(AB.prototype, 'byteLength');
  const ABResizable = getter(AB.prototype, 'resizable');
  const ABMaxByteLength = getter(AB.prototype, 'maxByteLength');
  const ABDetached = getter(AB.prototype, 'detached');
  const SABByteLength = typeof SharedArrayBuffer === 'function'
    ? getter(SharedArrayBuffer.prototype, 'byteLength') : undefined;
  const U8 = Uint8Array;
  const TAProto = getProto(U8.prototype);
  const TATag = getter(TAProto, Symbol.toStringTag);
  const TABuffer = getter(TAProto, 'buffer');
  const TAByteOffset = getter(TAProto, 'byteOffset');
  const TAByteLength = getter(TAProto, 'byteLength');
  const TASet = uncurry(TAProto.set);
  const TASubarray = uncurry(TAProto.subarray);
  const DVBuffer = getter(DataView.prototype, 'buffer');
  const DVByteOffset = getter(DataView.prototype, 'byteOffset');
  const DVByteLength = getter(DataView.prototype, 'byteLength');
  const NumberValueOf = uncurry(Number.prototype.valueOf);
  const StringValueOf = uncurry(String.prototype.valueOf);
  const BooleanValueOf = uncurry(Boolean.prototype.valueOf);
  const BigIntValueOf = uncurry(BigInt.prototype.valueOf);
  const BigIntToString = uncurry(BigInt.prototype.toString);
  const SymbolValueOf = uncurry(Symbol.prototype.valueOf);
  // V8's view subtags (DataView: '?').
  const SUBTAG = { __proto__: null, Int8Array: 0x62, Uint8Array: 0x42, Uint8ClampedArray: 0x43,
                   Int16Array: 0x77, Uint16Array: 0x57, Int32Array: 0x64, Uint32Array: 0x44,
                   Float32Array: 0x66, Float64Array: 0x46, BigInt64Array: 0x71,
                   BigUint64Array: 0x51 };
  const ERRORS = { __proto__: null, EvalError: 0x45, RangeError: 0x52, ReferenceError: 0x46,
                   SyntaxError: 0x53, TypeError: 0x54, URIError: 0x55 };
  const MAX_DEPTH = 1000;  // as the C++ codec's
  const scratch = new Float64Array(1);
  const scratchBytes = new U8(scratch.buffer);
  const LITTLE = new U8(new Uint16Array([1]).buffer)[0] === 1;
  const FAIL = { __proto__: null };

  let out = new U8(4096);
  let pos = 0;
  let ids = null;
  let nextId = 0;
  let depth = 0;
  let failMessage = '';
  let failPath = '';

  function fail(message) {
    failMessage = message;
    failPath = '';
    throw FAIL;
  }
  function ensure(n) {
    if (pos + n <= out.length) return;
    let size = out.length * 2;
    while (size < pos + n) size *= 2;
    const bigger = new U8(size);
    TASet(bigger, TASubarray(out, 0, pos));
    out = bigger;
  }
  function byte(b) {
    ensure(1);
    out[pos++] = b;
  }
  function varint(v) {  // an integer in [0, 2^32)
    ensure(5);
    while (v > 0x7f) {
      out[pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    out[pos++] = v;
  }
  function rawDouble(d) {
    ensure(8);
    scratch[0] = d !== d ? NaN : d;
    for (let i = 0; i < 8; i++) out[pos + i] = scratchBytes[LITTLE ? i : 7 - i];
    pos += 8;
  }
  function writeNumber(v) {
    if ((v | 0) === v && (v !== 0 || 1 / v > 0)) {
      byte(0x49);  // 'I'
      varint(((v << 1) ^ (v >> 31)) >>> 0);
    } else {
      byte(0x4e);  // 'N'
      rawDouble(v);
    }
  }
  function writeString(s) {
    const n = s.length;
    let wide = false;
    for (let i = 0; i < n && !wide; i++) wide = charCodeAt(s, i) > 0xff;
    if (!wide) {
      byte(0x22);  // '"'
      varint(n);
      ensure(n);
      for (let i = 0; i < n; i++) out[pos++] = charCodeAt(s, i);
      return;
    }
    // V8 aligns two-byte data to an even offset with a padding byte.
    let size = 1;
    for (let v = 2 * n; v > 0x7f; v >>>= 7) size++;
    if (((pos + 1 + size) & 1) === 1) byte(0);
    byte(0x63);  // 'c'
    varint(2 * n);
    ensure(2 * n);
    for (let i = 0; i < n; i++) {
      const c = charCodeAt(s, i);
      out[pos++] = c & 0xff;
      out[pos++] = c >>> 8;
    }
  }
  function writeBigInt(b) {  // the bitfield and 64-bit digits, little endian
    const negative = b < 0n;
    const hex = BigIntToString(negative ? -b : b, 16);
    if (hex === '0') {
      varint(0);
      return;
    }
    const total = (((hex.length + 1) >>> 1) + 7 >>> 3) * 8;
    varint(total * 2 + (negative ? 1 : 0));
    ensure(total);
    let h = hex.length;
    for (let i = 0; i < total; i++) {
      let v = 0;
      if (h > 0) v = parseHex(charCodeAt(hex, --h));
      if (h > 0) v |= parseHex(charCodeAt(hex, --h)) << 4;
      out[pos++] = v;
    }
  }
  function parseHex(c) {
    return c <= 57 ? c - 48 : (c | 0x20) - 87;
  }
  function keySegment(k) {
    let plain = k.length > 0;
    for (let i = 0; plain && i < k.length; i++) {
      const c = charCodeAt(k, i);
      plain = (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 36 ||
              (i > 0 && c >= 48 && c <= 57);
    }
    return plain ? '.' + k : '["' + k + '"]';
  }
  function arrayIndex(k) {  // the index a key names, or -1
    const n = k.length;
    if (n === 0 || n > 10) return -1;
    let v = 0;
    for (let i = 0; i < n; i++) {
      const c = charCodeAt(k, i);
      if (c < 48 || c > 57 || (i === 0 && c === 48 && n > 1)) return -1;
      v = v * 10 + (c - 48);
    }
    return v <= 4294967294 ? v : -1;
  }
  function writeKey(k) {
    const index = arrayIndex(k);
    if (index < 0) writeString(k);
    else if (index <= 0x7fffffff) writeNumber(index);
    else {
      byte(0x4e);
      rawDouble(index);
    }
  }
  function at(segment, f) {  // runs f, prefixing a failure's path with segment
    try {
      f();
    } catch (e) {
      if (e === FAIL) failPath = segment + failPath;
      throw e;
    }
  }

  function writeValue(v) {
    switch (typeof v) {
      case 'string': writeString(v); return;
      case 'number': writeNumber(v); return;
      case 'boolean': byte(v ? 0x54 : 0x46); return;
      case 'undefined': byte(0x5f); return;
      case 'bigint': byte(0x5a); writeBigInt(v); return;
      case 'object':
        if (v === null) byte(0x30);
        else writeObject(v);
        return;
      case 'function': fail('function could not be cloned'); return;
      case 'symbol': fail('symbol could not be cloned'); return;
      default: fail(typeof v + ' could not be cloned');
    }
  }
  function writeObject(o) {
    const known = mapGet(ids, o);
    if (known !== undefined) {
      byte(0x5e);  // '^'
      varint(known);
      return;
    }
    if (++depth > MAX_DEPTH) fail('nested deeper than ' + MAX_DEPTH + ' levels');
    if (isArray(o)) writeArray(o);
    else if (isView(o)) writeView(o);
    else writeOther(o);
    depth--;
  }
  function brand(f, o) {
    try {
      f(o);
      return true;
    } catch (e) {
      return false;
    }
  }
  function writeOther(o) {
    const tag = tagOf(o);
    const proto = getProto(o);
    if (tag === '[object Object]' && (proto === ObjectPrototype || proto === null)) {
      writePlain(o);
    } else if (tag === '[object Error]') {
      writeError(o);
    } else if (brand(MapSize, o)) {
      mapSet(ids, o, nextId++);
      const entries = newList();
      MapForEach(o, (v, k) => { entries[entries.length] = k; entries[entries.length] = v; });
      byte(0x3b);  // ';'
      for (let i = 0; i < entries.length; i++) {
        at(((i & 1) === 0 ? '[Map key ' : '[Map value ') + (i >>> 1) + ']',
           () => writeValue(entries[i]));
      }
      byte(0x3a);  // ':'
      varint(entries.length);
    } else if (brand(SetSize, o)) {
      mapSet(ids, o, nextId++);
      const members = newList();
      SetForEach(o, (v) => { members[members.length] = v; });
      byte(0x27);  // '\''
      for (let i = 0; i < members.length; i++) {
        at('[Set member ' + i + ']', () => writeValue(members[i]));
      }
      byte(0x2c);  // ','
      varint(members.length);
    } else if (brand(DateGetTime, o)) {
      mapSet(ids, o, nextId++);
      byte(0x44);  // 'D'
      rawDouble(DateGetTime(o));
    } else if (RegExpGlobal !== undefined && brand(RegExpGlobal, o) &&
               typeof RegExpGlobal(o) === 'boolean') {
      mapSet(ids, o, nextId++);
      byte(0x52);  // 'R'
      writeString(RegExpSource(o));
      let flags = 0;
      for (let i = 0; i < FLAGS.length; i++) {
        if (FLAGS[i][1] !== undefined && FLAGS[i][1](o) === true) flags |= FLAGS[i][0];
      }
      varint(flags);
    } else if (brand(ABByteLength, o)) {
      writeBuffer(o);
    } else if (SABByteLength !== undefined && brand(SABByteLength, o)) {
      fail('SharedArrayBuffer could not be cloned');
    } else if (brand(NumberValueOf, o)) {
      mapSet(ids, o, nextId++);
      byte(0x6e);  // 'n'
      rawDouble(NumberValueOf(o));
    } else if (brand(StringValueOf, o)) {
      mapSet(ids, o, nextId++);
      byte(0x73);  // 's'
      writeString(StringValueOf(o));
    } else if (brand(BooleanValueOf, o)) {
      mapSet(ids, o, nextId++);
      byte(BooleanValueOf(o) ? 0x79 : 0x78);  // 'y' / 'x'
    } else if (brand(BigIntValueOf, o)) {
      mapSet(ids, o, nextId++);
      byte(0x7a);  // 'z'
      writeBigInt(BigIntValueOf(o));
    } else if (brand(SymbolValueOf, o)) {
      fail('Symbol object could not be cloned');
    } else if (tag === '[object Object]' ||
               ((proto === ObjectPrototype || proto === null) && tag !== '[object Arguments]' &&
                tag !== '[object Module]')) {
      // As V8: other ordinary objects (class instances, Math) clone as plain
      // objects; platform objects (DOM nodes, window) have their own tag.
      writePlain(o);
    } else {
      fail(sliceString(tag, 8, -1) + ' could not be cloned');
    }
  }
  function writePlain(o) {
    mapSet(ids, o, nextId++);
    byte(0x6f);  // 'o'
    const keys = keysOf(o);
    let count = 0;
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i];
      at(keySegment(k), () => {
        const v = o[k];
        if (v === undefined && !hasOwn(o, k)) return;  // deleted by a getter
        writeKey(k);
        writeValue(v);
        count++;
      });
    }
    byte(0x7b);  // '{'
    varint(count);
  }
  function writeArray(a) {
    mapSet(ids, a, nextId++);
    const length = a.length;
    let dense = true;
    for (let i = 0; i < length && dense; i++) dense = hasOwn(a, i);
    if (dense) {
      byte(0x41);  // 'A'
      varint(length);
      for (let i = 0; i < length; i++) {
        at('[' + i + ']', () => {
          const v = a[i];
          if (v === undefined && !hasOwn(a, i)) byte(0x2d);  // '-': deleted by a getter
          else writeValue(v);
        });
      }
    } else {
      byte(0x61);  // 'a'
      varint(length);
    }
    const keys = keysOf(a);
    let count = 0;
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i];
      const index = arrayIndex(k);
      if (dense && index >= 0) continue;
      at(index >= 0 ? '[' + k + ']' : keySegment(k), () => {
        const v = a[k];
        if (v === undefined && !hasOwn(a, k)) return;
        writeKey(k);
        writeValue(v);
        count++;
      });
    }
    byte(dense ? 0x24 : 0x40);  // '$' / '@'
    varint(count);
    varint(length);
  }
  function detached(buffer) {
    if (ABDetached !== undefined) return ABDetached(buffer) === true;
    return ABByteLength(buffer) === 0 && !brand((b) => new U8(b), buffer);
  }
  function writeBuffer(buffer) {
    if (detached(buffer)) fail('ArrayBuffer is detached and could not be cloned');
    mapSet(ids, buffer, nextId++);
    const n = ABByteLength(buffer);
    if (ABResizable !== undefined && ABResizable(buffer) === true) {
      byte(0x7e);  // '~'
      varint(n);
      varint(ABMaxByteLength(buffer));
    } else {
      byte(0x42);  // 'B'
      varint(n);
    }
    ensure(n);
    if (n > 0) TASet(out, new U8(buffer, 0, n), pos);
    pos += n;
  }
  function writeView(o) {
    const name = TATag(o);
    let subtag, buffer, offset, length;
    if (name === undefined) {
      subtag = 0x3f;  // DataView
      buffer = DVBuffer(o);
      if (!brand(DVByteLength, o)) fail('DataView is out of bounds and could not be cloned');
      offset = DVByteOffset(o);
      length = DVByteLength(o);
    } else {
      subtag = SUBTAG[name];
      if (subtag === undefined) fail(name + ' could not be cloned');
      buffer = TABuffer(o);
      offset = TAByteOffset(o);
      length = TAByteLength(o);
    }
    if (!brand(ABByteLength, buffer)) fail('SharedArrayBuffer could not be cloned');
    // V8's own form: the buffer (or a reference to it), then the view.
    const known = mapGet(ids, buffer);
    if (known !== undefined) {
      byte(0x5e);
      varint(known);
    } else {
      at('.buffer', () => writeBuffer(buffer));
    }
    mapSet(ids, o, nextId++);
    let flags = 0;
    if (ABResizable !== undefined && ABResizable(buffer) === true) {
      flags = 2;  // backed by a resizable buffer; one that reaches its end tracks it
      if (offset + length === ABByteLength(buffer)) flags |= 1;
    }
    byte(0x56);  // 'V'
    byte(subtag);
    varint(offset);
    varint(length);
    varint(flags);
  }
  function writeError(o) {
    mapSet(ids, o, nextId++);
    const message = getOwn(o, 'message');
    const cause = getOwn(o, 'cause');
    byte(0x72);  // 'r'
    const prototype = ERRORS[`${o.name}`];
    if (prototype !== undefined) byte(prototype);
    if (message !== undefined && hasOwn(message, 'value')) {
      byte(0x6d);  // 'm'
      writeString(`${message.value}`);
    }
    if (cause !== undefined && hasOwn(cause, 'value')) {
      byte(0x63);  // 'c'
      at('.cause', () => writeValue(cause.value));
    }
    const stack = o.stack;
    if (typeof stack === 'string') {
      byte(0x73);  // 's'
      writeString(stack);
    }
    byte(0x2e);  // '.'
  }

  function encode(value) {
    pos = 0;
    ids = new IdMap();
    nextId = 0;
    depth = 0;
    byte(0xff);
    byte(0x0f);
    writeValue(value);
    ids = null;
    let text = '';
    for (let i = 0; i < pos; i += 8192) {
      text += ReflectApply(fromCharCode, null, TASubarray(out, i, i + 8192 < pos ? i + 8192 : pos));
    }
    return text;
  }

  function thrown(e) {
    let text = 'the code threw an exception';
    try {
      text = StringCtor(e);
    } catch (ignored) {}
    try {
      return 'e' + encode([text, e]);
    } catch (ignored) {
      return 'e' + encode([text]);
    }
  }
  function result(value) {
    try {
      return 'v' + encode(value);
    } catch (e) {
      if (e !== FAIL) throw e;
      return 'c' + encode('result' + failPath + ': ' + failMessage);
    }
  }
  async function settle(value) {
    let settled;
    try {
      settled = await value;
    } catch (e) {
      return thrown(e);
    }
    return result(settled);
  }

  // Calls thunk (the app's code) and returns its value encoded, or 'p' when
  // the value is a thenable: then the promise of its encoding is left in
  // global[key] for the UI process to take (and await). Whatever was in
  // global[key] before (this function itself, put there before the app's
  // statements ran) is removed.
  return function run(thunk, key) {
    deleteProperty(global, key);
    let value;
    try {
      value = thunk();
    } catch (e) {
      return thrown(e);
    }
    if (value !== null && (typeof value === 'object' || typeof value === 'function')) {
      let then;
      try {
        then = value.then;
      } catch (e) {
        return thrown(e);
      }
      if (typeof then === 'function') {
        defineProperty(global, key, { __proto__: null, value: settle(value), configurable: true });
        return 'p';
      }
    }
    return result(value);
  };
})())JS";

Result<Value> value_from_page_result(JSCValue* result) {
  if (!jsc_value_is_string(result))
    return make_error(ErrorCode::kFailed,
                      "executeJavaScript: the page lost the result (it navigated away, or its "
                      "code removed the result before it was read)");
  std::string text = string_of(result);
  std::vector<std::uint8_t> bytes;
  if (text.empty() || !latin1_from_utf8(std::string_view(text).substr(1), bytes))
    return make_error(ErrorCode::kFailed,
                      "executeJavaScript: the page returned a malformed result");
  codec::DecodeOptions options;
  options.form = codec::Form::kValence;
  auto decoded = codec::decode(bytes, options);
  if (!decoded)
    return make_error(
        ErrorCode::kFailed,
        "executeJavaScript: the page returned a malformed result: " + decoded.error().message);
  Value value = std::move(decoded).value();
  switch (text[0]) {
    case 'v': return value;
    case 'c':
      if (value.is_string()) return make_error(ErrorCode::kCloneError, value.get_string());
      break;
    case 'e': {
      const Array* parts = value.get_if_array();
      const Value* message = parts ? parts->get(0) : nullptr;
      if (!message || !message->is_string()) break;
      Error error{ErrorCode::kHandlerRejected, message->get_string()};
      // The exception itself, when it is an Error (and could be cloned):
      // what an invoke's rejection carries too.
      if (const Value* thrown = parts->get(1); thrown && thrown->is_error()) {
        RefIndex index(value);
        error.remote = std::make_shared<const Value>(detach_subtree(*thrown, index));
      }
      return Unexpected{std::move(error)};
    }
  }
  return make_error(ErrorCode::kFailed, "executeJavaScript: the page returned a malformed result");
}

}  // namespace valence
