// contextBridge, preload side. Evaluates to (native, config) => contextBridge.
//
// Electron's rules: values are copied into the other world (structured-clone
// types, with object identity and cycles kept within one copy); functions
// become proxies of the other world that copy their arguments in and their
// result (or error) back; Promises become Promises of the other world;
// errors are re-created in the caller's world; Symbols are dropped; the
// exposed API's objects are frozen.
//
// Safety: nothing of this world reaches the main world — every object the
// page receives is built from the main world's own constructors (captured by
// bridge_main.js before the page ran), and every operation on page values
// uses this world's intrinsics, captured here, through Reflect.apply. Page
// getters and Proxy traps may run during a copy; they only see page values.
(function () {
  'use strict';
  const ReflectApply = Reflect.apply;
  const ObjectKeys = Object.keys;
  const ObjectGetPrototypeOf = Object.getPrototypeOf;
  const ObjectGetOwnPropertyDescriptor = Object.getOwnPropertyDescriptor;
  const ObjectFreeze = Object.freeze;
  const ObjectProtoToString = Object.prototype.toString;
  const ArrayIsArray = Array.isArray;
  const ArrayBufferIsView = ArrayBuffer.isView;
  const MapCtor = Map;
  const MapGet = Map.prototype.get;
  const MapSet = Map.prototype.set;
  const MapHas = Map.prototype.has;
  const MapForEach = Map.prototype.forEach;
  const SetAdd = Set.prototype.add;
  const SetForEach = Set.prototype.forEach;
  const MapSize = ObjectGetOwnPropertyDescriptor(Map.prototype, 'size').get;
  const SetSize = ObjectGetOwnPropertyDescriptor(Set.prototype, 'size').get;
  const DateGetTime = Date.prototype.getTime;
  const RegExpSource = ObjectGetOwnPropertyDescriptor(RegExp.prototype, 'source').get;
  const RegExpFlags = ObjectGetOwnPropertyDescriptor(RegExp.prototype, 'flags').get;
  const ArrayBufferByteLength = ObjectGetOwnPropertyDescriptor(ArrayBuffer.prototype, 'byteLength').get;
  const TypedArrayProto = ObjectGetPrototypeOf(Uint8Array.prototype);
  const TypedArrayTag = ObjectGetOwnPropertyDescriptor(TypedArrayProto, Symbol.toStringTag).get;
  const TypedArraySet = TypedArrayProto.set;
  const TypedArrayBuffer = ObjectGetOwnPropertyDescriptor(TypedArrayProto, 'buffer').get;
  const TypedArrayByteOffset = ObjectGetOwnPropertyDescriptor(TypedArrayProto, 'byteOffset').get;
  const TypedArrayLength = ObjectGetOwnPropertyDescriptor(TypedArrayProto, 'length').get;
  const DataViewBuffer = ObjectGetOwnPropertyDescriptor(DataView.prototype, 'buffer').get;
  const DataViewByteOffset = ObjectGetOwnPropertyDescriptor(DataView.prototype, 'byteOffset').get;
  const DataViewByteLength = ObjectGetOwnPropertyDescriptor(DataView.prototype, 'byteLength').get;
  const PromiseThen = Promise.prototype.then;
  const Uint8 = Uint8Array;
  const StringCtor = String;
  const kMaxDepth = 1000;

  function brand(fn, value) {
    try {
      ReflectApply(fn, value, []);
      return true;
    } catch {
      return false;
    }
  }

  // This world, described like the main world's bootstrap object.
  function localRealm() {
    const typed = { __proto__: null };
    for (const name of ['Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array',
                        'Int32Array', 'Uint32Array', 'Float32Array', 'Float64Array',
                        'BigInt64Array', 'BigUint64Array', 'DataView'])
      typed[name] = globalThis[name];
    const P = Promise;
    return {
      __proto__: null,
      global: globalThis, Object, Array, Map, Set, Date, RegExp, ArrayBuffer, Promise: P,
      PromisePrototype: P.prototype, promiseThen: PromiseThen,
      errors: {
        __proto__: null, Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError,
      },
      typed,
      freeze: ObjectFreeze,
      defineProperty: Object.defineProperty,
      getOwnPropertyDescriptor: ObjectGetOwnPropertyDescriptor,
      makeFunction(call) {
        return function (...args) { return call(args); };
      },
      makePromise() {
        let resolve, reject;
        const promise = new P((a, b) => { resolve = a; reject = b; });
        return [promise, resolve, reject];
      },
    };
  }

  return function createContextBridge(native, config) {
    const local = localRealm();
    let main = null;
    let mainError = null;
    try {
      main = native.mainWorld();  // now, before any script of the page runs
    } catch (e) {
      mainError = e;
    }

    function copyError(error, from, to) {
      if (error !== null && typeof error === 'object' &&
          ReflectApply(ObjectProtoToString, error, []) === '[object Error]') {
        let name = 'Error', message = '';
        try { name = StringCtor(error.name); } catch {}
        try { message = StringCtor(error.message); } catch {}
        const Ctor = to.errors[name] || to.errors.Error;
        const copy = new Ctor(message);
        if (!to.errors[name]) {
          try { to.defineProperty(copy, 'name', { __proto__: null, value: name, writable: true, configurable: true }); } catch {}
        }
        return copy;
      }
      try {
        return copy(error, from, to, new MapCtor(), 0, false);
      } catch (e) {
        return new to.errors.Error(StringCtor(e && e.message));
      }
    }

    function proxyFunction(fn, from, to) {
      return to.makeFunction(function (args) {
        // args: an array of `to`'s world (rest parameters: no holes, no getters).
        const n = args.length;
        const copied = [];
        for (let i = 0; i < n; i++) copied[i] = copy(args[i], to, from, new MapCtor(), 0, false);
        let result;
        try {
          result = ReflectApply(fn, undefined, copied);
        } catch (e) {
          throw copyError(e, from, to);
        }
        return copy(result, from, to, new MapCtor(), 0, false);
      });
    }

    function proxyPromise(promise, from, to) {
      const [p, resolve, reject] = to.makePromise();
      ReflectApply(from.promiseThen, promise, [
        (v) => {
          try { resolve(copy(v, from, to, new MapCtor(), 0, false)); }
          catch (e) { reject(copyError(e, local, to)); }
        },
        (e) => { reject(copyError(e, from, to)); },
      ]);
      return p;
    }

    function copyBuffer(buffer, to) {
      const n = ReflectApply(ArrayBufferByteLength, buffer, []);
      const out = new to.ArrayBuffer(n);
      ReflectApply(TypedArraySet, new to.typed.Uint8Array(out), [new Uint8(buffer)]);
      return out;
    }

    // Copies `value` of world `from` into world `to`.
    function copy(value, from, to, memo, depth, freeze) {
      switch (typeof value) {
        case 'undefined': case 'boolean': case 'number': case 'string': case 'bigint':
          return value;
        case 'symbol':
          return undefined;  // Symbols cannot cross worlds: dropped
        case 'function':
          return proxyFunction(value, from, to);
      }
      if (value === null) return null;
      if (ReflectApply(MapHas, memo, [value])) return ReflectApply(MapGet, memo, [value]);
      if (depth > kMaxDepth) throw new RangeError('contextBridge: the object is nested too deeply');
      let out;
      if (ObjectGetPrototypeOf(value) === from.PromisePrototype) {
        out = proxyPromise(value, from, to);
        ReflectApply(MapSet, memo, [value, out]);
        return out;
      }
      if (ArrayIsArray(value)) {
        out = new to.Array();
        ReflectApply(MapSet, memo, [value, out]);
        const n = value.length;
        for (let i = 0; i < n; i++)
          to.defineProperty(out, i, { __proto__: null, value: copy(value[i], from, to, memo, depth + 1, freeze),
                                      writable: true, enumerable: true, configurable: true });
        if (freeze) to.freeze(out);
        return out;
      }
      if (ArrayBufferIsView(value)) {
        let kind = ReflectApply(TypedArrayTag, value, []);
        if (kind === undefined) {
          const buffer = copyBuffer(ReflectApply(DataViewBuffer, value, []), to);
          out = new to.typed.DataView(buffer, ReflectApply(DataViewByteOffset, value, []),
                                      ReflectApply(DataViewByteLength, value, []));
        } else {
          const buffer = copyBuffer(ReflectApply(TypedArrayBuffer, value, []), to);
          out = new to.typed[kind](buffer, ReflectApply(TypedArrayByteOffset, value, []),
                                   ReflectApply(TypedArrayLength, value, []));
        }
        ReflectApply(MapSet, memo, [value, out]);
        return out;
      }
      if (brand(ArrayBufferByteLength, value)) {
        out = copyBuffer(value, to);
        ReflectApply(MapSet, memo, [value, out]);
        return out;
      }
      if (brand(DateGetTime, value)) {
        out = new to.Date(ReflectApply(DateGetTime, value, []));
        ReflectApply(MapSet, memo, [value, out]);
        return out;
      }
      if (brand(RegExpSource, value)) {
        out = new to.RegExp(ReflectApply(RegExpSource, value, []), ReflectApply(RegExpFlags, value, []));
        ReflectApply(MapSet, memo, [value, out]);
        return out;
      }
      if (brand(MapSize, value)) {
        out = new to.Map();
        ReflectApply(MapSet, memo, [value, out]);
        const entries = [];
        ReflectApply(MapForEach, value, [(v, k) => { entries[entries.length] = [k, v]; }]);
        for (const [k, v] of entries)
          ReflectApply(MapSet, out, [copy(k, from, to, memo, depth + 1, freeze),
                                     copy(v, from, to, memo, depth + 1, freeze)]);
        return out;
      }
      if (brand(SetSize, value)) {
        out = new to.Set();
        ReflectApply(MapSet, memo, [value, out]);
        const items = [];
        ReflectApply(SetForEach, value, [(v) => { items[items.length] = v; }]);
        for (const v of items) ReflectApply(SetAdd, out, [copy(v, from, to, memo, depth + 1, freeze)]);
        return out;
      }
      if (ReflectApply(ObjectProtoToString, value, []) === '[object Error]') {
        out = copyError(value, from, to);
        ReflectApply(MapSet, memo, [value, out]);
        return out;
      }
      // Any other object: its own enumerable string-keyed properties.
      out = new to.Object();
      ReflectApply(MapSet, memo, [value, out]);
      const keys = ObjectKeys(value);
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i];
        const raw = value[key];
        if (typeof raw === 'symbol') continue;
        const v = copy(raw, from, to, memo, depth + 1, freeze);
        to.defineProperty(out, key, { __proto__: null, value: v, writable: true, enumerable: true,
                                      configurable: true });
      }
      if (freeze) to.freeze(out);
      return out;
    }

    function exposeInMainWorld(key, api) {
      if (typeof key !== 'string')
        throw new TypeError('contextBridge.exposeInMainWorld: the key must be a string');
      if (!main)
        throw new Error('contextBridge.exposeInMainWorld: the main world is not available' +
                        (mainError ? ` (${mainError.message})` : ''));
      if (main.getOwnPropertyDescriptor(main.global, key) !== undefined)
        throw new Error('Cannot bind an API on top of an existing property on the window object');
      const value = copy(api, local, main, new MapCtor(), 0, true);
      main.defineProperty(main.global, key, { __proto__: null, value, writable: false,
                                              enumerable: true, configurable: false });
    }

    return ObjectFreeze({
      exposeInMainWorld,
      exposeInIsolatedWorld() {
        throw new Error('contextBridge.exposeInIsolatedWorld: valence has one isolated world (the preload)');
      },
    });
  };
})()
