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
// Whatever is thrown while crossing (by a getter, a callee, or a builtin of
// either world, e.g. a revoked Proxy or a too deep object) reaches the caller
// as a value of the caller's own world (intoWorld).
(function () {
  'use strict';
  const ReflectApply = Reflect.apply;
  const ReflectHas = Reflect.has;
  const ObjectKeys = Object.keys;
  const ObjectGetPrototypeOf = Object.getPrototypeOf;
  const ObjectGetOwnPropertyDescriptor = Object.getOwnPropertyDescriptor;
  const ObjectFreeze = Object.freeze;
  const ObjectPrototype = Object.prototype;
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
  const TypedArrayKinds = ['Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array',
                           'Uint16Array', 'Int32Array', 'Uint32Array', 'Float16Array',
                           'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array',
                           'DataView'];
  const TypedArrayTag = ObjectGetOwnPropertyDescriptor(TypedArrayProto, Symbol.toStringTag).get;
  const TypedArraySet = TypedArrayProto.set;
  const TypedArrayBuffer = ObjectGetOwnPropertyDescriptor(TypedArrayProto, 'buffer').get;
  const TypedArrayByteOffset = ObjectGetOwnPropertyDescriptor(TypedArrayProto, 'byteOffset').get;
  const TypedArrayLength = ObjectGetOwnPropertyDescriptor(TypedArrayProto, 'length').get;
  const DataViewBuffer = ObjectGetOwnPropertyDescriptor(DataView.prototype, 'buffer').get;
  const DataViewByteOffset = ObjectGetOwnPropertyDescriptor(DataView.prototype, 'byteOffset').get;
  const DataViewByteLength = ObjectGetOwnPropertyDescriptor(DataView.prototype, 'byteLength').get;
  const Uint8 = Uint8Array;
  const StringCtor = String;
  // Electron's limit: a value at depth 1000 or more does not cross (see copy).
  const kMaxDepth = 1000;
  const kTooDeep = 'Electron contextBridge recursion depth exceeded.  Nested objects deeper ' +
                   'than 1000 are not supported.';
  const kMaxPrototypeChain = 10000;

  const EventTargetAddEventListener = EventTarget.prototype.addEventListener;
  const EventStopImmediatePropagation = Event.prototype.stopImmediatePropagation;
  const RejectionEventPromise =
    typeof PromiseRejectionEvent === 'function'
      ? ObjectGetOwnPropertyDescriptor(PromiseRejectionEvent.prototype, 'promise').get
      : undefined;
  const windowOfThisWorld = globalThis;

  function brand(fn, value) {
    try {
      ReflectApply(fn, value, []);
      return true;
    } catch {
      return false;
    }
  }

  // `local` is this world's description: bridge_main.js evaluated here too,
  // so both worlds are described by the same code.
  return function createContextBridge(native, config, local, byReference) {
    let main = null;
    let mainError = null;
    try {
      main = native.mainWorld();  // now, before any script of the page runs
    } catch (e) {
      mainError = e;
    }

    // The preload world's unhandled rejections are its own business, as in
    // Chromium, which reports an isolated world's rejections on the console
    // only. WebKit dispatches them to the window, where the page's
    // `unhandledrejection` (and later `rejectionhandled`) listeners would
    // get the preload's promise and reason, hence its global. A capturing
    // listener of this world, registered now, before any script of the page
    // (so it runs before any listener the page can add), stops every such
    // event whose promise is not provably the page's; WebKit still reports
    // the rejection on the console. The page's own rejections pass.
    // (`error` events need no guard: WebKit's ErrorEvent hands a listener
    // of another world a structured copy of the error, or null.)
    function guardRejectionEvents() {
      if (RejectionEventPromise === undefined) return;
      const onRejection = (event) => {
        let promise;
        try {
          promise = ReflectApply(RejectionEventPromise, event, []);
        } catch {
          return;
        }
        if (main !== null && worldOf(promise) === main) return;
        ReflectApply(EventStopImmediatePropagation, event, []);
      };
      const options = { __proto__: null, capture: true };
      ReflectApply(EventTargetAddEventListener, windowOfThisWorld, ['unhandledrejection', onRejection, options]);
      ReflectApply(EventTargetAddEventListener, windowOfThisWorld, ['rejectionhandled', onRejection, options]);
    }

    // The world `value` (an object) belongs to, told by where its prototype
    // chain ends: `local`, `main`, or null when that cannot be told (an
    // object without prototype, a revoked Proxy). Page Proxy traps may run;
    // they only see page values.
    function worldOf(value) {
      try {
        let o = value;
        for (let i = 0; i < kMaxPrototypeChain; i++) {
          const proto = ObjectGetPrototypeOf(o);
          if (proto === null) break;
          if (proto === local.ObjectPrototype) return local;
          if (main && proto === main.ObjectPrototype) return main;
          o = proto;
        }
      } catch {}
      return null;
    }

    // A thrown value as a value of world `to`, whatever world threw it. Never
    // throws: an exception escaping from here would be this world's own.
    function intoWorld(thrown, to) {
      try {
        if (thrown === null || (typeof thrown !== 'object' && typeof thrown !== 'function'))
          return typeof thrown === 'symbol' ? undefined : thrown;
        const world = worldOf(thrown);
        if (world === to) return thrown;
        if (world !== null) return copyError(thrown, world, to);
      } catch {}
      try {
        return new to.errors.Error('contextBridge: an exception could not be copied');
      } catch {
        return undefined;
      }
    }

    // An Error becomes an Error of `to` (the constructor of its name, else
    // Error) with its name and message, and its own `cause` copied (beyond
    // Electron: ipcRenderer.invoke's rejections carry the handler's error
    // there). Anything else thrown is copied as a value.
    function copyError(error, from, to, memo = new MapCtor(), depth = 0) {
      if (error !== null && typeof error === 'object' &&
          ReflectApply(ObjectProtoToString, error, []) === '[object Error]') {
        let name = 'Error', message = '';
        try { name = StringCtor(error.name); } catch {}
        try { message = StringCtor(error.message); } catch {}
        const Ctor = to.errors[name] || to.errors.Error;
        const out = new Ctor(message);
        if (!to.errors[name]) {
          try { to.defineProperty(out, 'name', { __proto__: null, value: name, writable: true, configurable: true }); } catch {}
        }
        ReflectApply(MapSet, memo, [error, out]);
        try {
          // A data property only: no getter of the page runs for it.
          const cause = ObjectGetOwnPropertyDescriptor(error, 'cause');
          if (cause !== undefined && 'value' in cause) {
            to.defineProperty(out, 'cause', { __proto__: null, value: copy(cause.value, from, to, memo, depth + 1, false),
                                              writable: true, configurable: true });
          }
        } catch {}
        return out;
      }
      try {
        return copy(error, from, to, memo, depth, false);
      } catch {
        // Not its message: the exception may be the page's, with getters.
        return new to.errors.Error('contextBridge: an exception could not be copied');
      }
    }

    // A function of `to` that calls `fn` of `from`. It never throws: what
    // it would throw goes back in `box` (see makeFunction in
    // bridge_main.js), so that a failure here, at the stack limit say, can
    // only ever surface as an error of `to` made by `to`'s own code.
    function proxyFunction(fn, from, to) {
      return to.makeFunction(function (args, box) {
        // args: an array of `to`'s world (rest parameters: no holes, no
        // getters). One memo for all of them: a value passed twice arrives
        // as one object (as in Electron, one object cache per call).
        try {
          const n = args.length;
          const memo = new MapCtor();
          const copied = [];
          for (let i = 0; i < n; i++) copied[i] = copy(args[i], to, from, memo, 0, false);
          // `from`'s own Reflect.apply: see bridge_main.js.
          const result = from.apply(fn, undefined, copied);
          return copy(result, from, to, new MapCtor(), 0, false);
        } catch (e) {
          box.error = intoWorld(e, to);
          box.threw = true;
          return undefined;
        }
      });
    }

    function proxyPromise(promise, from, to) {
      const { promise: out, resolve, reject } = to.makePromise();
      // `from`'s settle (see bridge_main.js). The callbacks never throw:
      // settle's own promise, which nobody observes, would be rejected, and
      // the exception would reach `from`'s unhandledrejection handlers (the
      // page's, when `from` is main).
      from.settle(promise,
        (v) => {
          let value;
          try {
            value = copy(v, from, to, new MapCtor(), 0, false);
          } catch (e) {
            try { reject(intoWorld(e, to)); } catch {}
            return;
          }
          try { resolve(value); } catch {}
        },
        (e) => {
          try { reject(intoWorld(e, to)); } catch {}
        });
      return out;
    }

    function copyBuffer(buffer, to, memo) {
      // Views over one buffer keep sharing one buffer in the copy.
      if (ReflectApply(MapHas, memo, [buffer])) return ReflectApply(MapGet, memo, [buffer]);
      const n = ReflectApply(ArrayBufferByteLength, buffer, []);
      const out = new to.ArrayBuffer(n);
      ReflectApply(TypedArraySet, new to.typed.Uint8Array(out), [new Uint8(buffer)]);
      ReflectApply(MapSet, memo, [buffer, out]);
      return out;
    }

    // Copies `value` of world `from` into world `to`. With `freeze` (the
    // exposed API), every object of the copy is frozen but typed arrays
    // (which cannot be), as Electron's DeepFreeze does.
    //
    // `depth` counts as Electron's PassValueToOtherContext does: 0 for what
    // crosses (the exposed API, each argument, a result), +1 for an array's
    // elements (and here a Map's or Set's, an Error's cause), +2 for a plain
    // object's property values (Electron copies the object itself one level
    // down, in CreateProxyForAPI). Any value at depth kMaxDepth or more,
    // primitives too, throws Electron's TypeError, before anything else.
    function copy(value, from, to, memo, depth, freeze) {
      if (depth >= kMaxDepth) throw new TypeError(kTooDeep);
      switch (typeof value) {
        case 'undefined': case 'boolean': case 'number': case 'string': case 'bigint':
          return value;
        case 'symbol':
          return undefined;  // Symbols cannot cross worlds: dropped
      }
      if (value === null) return null;
      if (from === local && to === main && byReference !== undefined && byReference(value))
        return twinOf(value);
      if (ReflectApply(MapHas, memo, [value])) return ReflectApply(MapGet, memo, [value]);
      const out = copyObject(value, from, to, memo, depth, freeze);
      if (freeze && !(ArrayBufferIsView(out) && ReflectApply(TypedArrayTag, out, []) !== undefined))
        to.freeze(out);
      return out;
    }

    const NOT_SPECIAL = { __proto__: null };

    // Dates, RegExps, Maps, Sets, ArrayBuffers and Errors; NOT_SPECIAL else.
    function copySpecial(value, proto, from, to, memo, depth, freeze) {
      let out;
      const isBuffer = proto === from.ArrayBufferPrototype ? brand(ArrayBufferByteLength, value)
                     : proto === from.DatePrototype || proto === from.RegExpPrototype ||
                       proto === from.MapPrototype || proto === from.SetPrototype ? false
                     : brand(ArrayBufferByteLength, value);
      if (isBuffer) return copyBuffer(value, to, memo);
      const known = proto === from.DatePrototype || proto === from.RegExpPrototype ||
                    proto === from.MapPrototype || proto === from.SetPrototype;
      if ((!known || proto === from.DatePrototype) && brand(DateGetTime, value)) {
        out = new to.Date(ReflectApply(DateGetTime, value, []));
        ReflectApply(MapSet, memo, [value, out]);
        return out;
      }
      if ((!known || proto === from.RegExpPrototype) && brand(RegExpSource, value)) {
        out = new to.RegExp(ReflectApply(RegExpSource, value, []), ReflectApply(RegExpFlags, value, []));
        ReflectApply(MapSet, memo, [value, out]);
        return out;
      }
      if ((!known || proto === from.MapPrototype) && brand(MapSize, value)) {
        out = new to.Map();
        ReflectApply(MapSet, memo, [value, out]);
        const entries = [];
        ReflectApply(MapForEach, value, [(v, k) => { entries[entries.length] = [k, v]; }]);
        for (const [k, v] of entries)
          ReflectApply(MapSet, out, [copy(k, from, to, memo, depth + 1, freeze),
                                     copy(v, from, to, memo, depth + 1, freeze)]);
        return out;
      }
      if ((!known || proto === from.SetPrototype) && brand(SetSize, value)) {
        out = new to.Set();
        ReflectApply(MapSet, memo, [value, out]);
        const items = [];
        ReflectApply(SetForEach, value, [(v) => { items[items.length] = v; }]);
        for (const v of items) ReflectApply(SetAdd, out, [copy(v, from, to, memo, depth + 1, freeze)]);
        return out;
      }
      if (ReflectApply(ObjectProtoToString, value, []) === '[object Error]')
        return copyError(value, from, to, memo, depth);
      return NOT_SPECIAL;
    }

    function copyObject(value, from, to, memo, depth, freeze) {
      let out;
      if (typeof value === 'function') {
        out = proxyFunction(value, from, to);
        ReflectApply(MapSet, memo, [value, out]);
        return out;
      }
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
        return out;
      }
      if (ArrayBufferIsView(value)) {
        let kind = ReflectApply(TypedArrayTag, value, []);
        if (kind === undefined) {
          const buffer = copyBuffer(ReflectApply(DataViewBuffer, value, []), to, memo);
          out = new to.typed.DataView(buffer, ReflectApply(DataViewByteOffset, value, []),
                                      ReflectApply(DataViewByteLength, value, []));
        } else {
          const Ctor = to.typed[kind];
          if (!Ctor) throw new TypeError(`contextBridge: ${kind} cannot be copied`);
          const buffer = copyBuffer(ReflectApply(TypedArrayBuffer, value, []), to, memo);
          out = new Ctor(buffer, ReflectApply(TypedArrayByteOffset, value, []),
                         ReflectApply(TypedArrayLength, value, []));
        }
        ReflectApply(MapSet, memo, [value, out]);
        return out;
      }
      // Plain objects (by far the most common) skip the brand checks; other
      // built-ins are tried by their prototype first, then by brand (a
      // built-in whose prototype was replaced, a subclass instance).
      const proto = ObjectGetPrototypeOf(value);
      if (proto !== from.ObjectPrototype && proto !== null) {
        const special = copySpecial(value, proto, from, to, memo, depth, freeze);
        if (special !== NOT_SPECIAL) return special;
      }
      // Any other object: its own enumerable string-keyed properties.
      out = new to.Object();
      ReflectApply(MapSet, memo, [value, out]);
      const keys = ObjectKeys(value);
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i];
        const raw = value[key];
        if (typeof raw === 'symbol') continue;
        const v = copy(raw, from, to, memo, depth + 2, freeze);
        to.defineProperty(out, key, { __proto__: null, value: v, writable: true, enumerable: true,
                                      configurable: true });
      }
      return out;
    }

    // ---- Twins: remote objects in the main world (node_integration pages) --
    // A remote proxy (and remote's API object) crosses by reference, not
    // by copy: its twin in the main world has the same members, each an
    // accessor or function of the main world that works on the preload's
    // object through the bridge. One twin per object (identity holds); the
    // twin holds the object, so the object lives as long as the page keeps
    // the twin, and its FinalizationRegistry fires when both are gone.
    const twins = new WeakMap();       // preload object -> its twin
    const twinProtos = new WeakMap();  // preload prototype -> the twin prototype
    const objectOfTwin = new WeakMap(); // twin -> preload object
    const WeakMapGetFn = WeakMap.prototype.get;
    const WeakMapSetFn = WeakMap.prototype.set;
    const ObjectGetOwnPropertyNames = Object.getOwnPropertyNames;
    const ReflectConstruct = Reflect.construct;
    const ReflectGet = Reflect.get;
    const ReflectSet = Reflect.set;
    function twinOf(value) {
      let twin = ReflectApply(WeakMapGetFn, twins, [value]);
      if (twin !== undefined) return twin;
      if (typeof value === 'function') {
        twin = main.makeMethod(function (self, args, box, constructing) {
          try {
            const copied = copyArgs(args);
            const result = constructing ? ReflectConstruct(value, copied) : ReflectApply(value, undefined, copied);
            return copy(result, local, main, new MapCtor(), 0, false);
          } catch (e) {
            box.error = intoWorld(e, main);
            box.threw = true;
            return undefined;
          }
        });
        const proto = value.prototype;
        if (proto !== null && typeof proto === 'object')
          main.defineProperty(twin, 'prototype', { __proto__: null, value: twinProto(proto), writable: false });
      } else {
        twin = main.create(twinProto(ObjectGetPrototypeOf(value)));
      }
      ReflectApply(WeakMapSetFn, twins, [value, twin]);
      ReflectApply(WeakMapSetFn, objectOfTwin, [twin, value]);
      defineTwinMembers(twin, value, value);
      return twin;
    }
    function twinProto(proto) {
      if (proto === null || proto === local.ObjectPrototype || proto === ObjectGetPrototypeOf(Function))
        return main.ObjectPrototype;
      let twin = ReflectApply(WeakMapGetFn, twinProtos, [proto]);
      if (twin !== undefined) return twin;
      twin = main.create(twinProto(ObjectGetPrototypeOf(proto)));
      ReflectApply(WeakMapSetFn, twinProtos, [proto, twin]);
      defineTwinMembers(twin, proto, null);
      return twin;
    }
    function copyArgs(args) {
      const memo = new MapCtor();
      const out = [];
      for (let i = 0; i < args.length; i++) out[i] = copy(args[i], main, local, memo, 0, false);
      return out;
    }
    // Every own string-keyed member of `source`, as an accessor of `twin`
    // that reads and writes it on the receiver's preload object (or on
    // `fixed`, for an object's own members).
    function defineTwinMembers(twin, source, fixed) {
      const names = ObjectGetOwnPropertyNames(source);
      for (let i = 0; i < names.length; i++) {
        const name = names[i];
        if (typeof source === 'function' && (name === 'prototype' || name === 'length' || name === 'name' ||
                                             name === 'caller' || name === 'arguments'))
          continue;
        if (name === 'constructor') continue;
        const d = ObjectGetOwnPropertyDescriptor(source, name);
        const receiver = (self) => fixed !== null ? fixed : ReflectApply(WeakMapGetFn, objectOfTwin, [self]);
        const get = main.makeMethod(function (self, args, box) {
          try {
            const target = receiver(self);
            if (target === undefined) throw new TypeError('not a remote object');
            return copy(ReflectGet(source, name, target), local, main, new MapCtor(), 0, false);
          } catch (e) {
            box.error = intoWorld(e, main);
            box.threw = true;
            return undefined;
          }
        });
        const set = main.makeMethod(function (self, args, box) {
          try {
            const target = receiver(self);
            if (target === undefined) throw new TypeError('not a remote object');
            ReflectSet(source, name, copy(args[0], main, local, new MapCtor(), 0, false), target);
            return undefined;
          } catch (e) {
            box.error = intoWorld(e, main);
            box.threw = true;
            return undefined;
          }
        });
        main.defineProperty(twin, name, { __proto__: null, get, set, enumerable: !!d.enumerable, configurable: true });
      }
    }

    function exposeInMainWorld(key, api) {
      if (typeof key !== 'string')
        throw new TypeError('contextBridge.exposeInMainWorld: the key must be a string');
      if (!main)
        throw new Error('contextBridge.exposeInMainWorld: the main world is not available' +
                        (mainError ? ` (${mainError.message})` : ''));
      // Electron's test is `key in window`: inherited properties count too
      // (exposing 'addEventListener' would shadow EventTarget's).
      if (ReflectHas(main.global, key))
        throw new Error('Cannot bind an API on top of an existing property on the window object');
      try {
        const value = copy(api, local, main, new MapCtor(), 0, true);
        main.defineProperty(main.global, key, { __proto__: null, value, writable: false,
                                                enumerable: true, configurable: false });
      } catch (e) {
        throw intoWorld(e, local);
      }
    }

    guardRejectionEvents();

    return ObjectFreeze({
      exposeInMainWorld,
      exposeInIsolatedWorld() {
        throw new Error('contextBridge.exposeInIsolatedWorld: valence has one isolated world (the preload)');
      },
    });
  };
})()
