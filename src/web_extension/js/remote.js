// The remote module of the preload world (docs/remote.md): proxies of main's
// objects, this document's functions that main holds, and the counting that
// lets main free what the page no longer holds.
// Evaluates to a function the runtime calls when its window enables remote:
//   (native, codec, config) => { remote, receive(kind, requestId, status, bytes), lost(reason) }
(function () {
  'use strict';
  // @valence-constants
  return function installRemote(native, codec) {
    const ObjectCreate = Object.create, ObjectFreeze = Object.freeze;
    const defineProperty = Object.defineProperty;
    const ReflectApply = Reflect.apply;
    const ArrayIsArray = Array.isArray;
    const MapCtor = Map, WeakMapCtor = WeakMap, WeakRefCtor = WeakRef;
    const U8 = Uint8Array;
    const PromiseCtor = Promise;
    const consoleError = console.error.bind(console);
    const setTimeoutFn = setTimeout;

    const classes = new MapCtor();     // class id -> { desc, proto, base }
    const imports = new MapCtor();     // main export id -> { ref: WeakRef(proxy), count }
    const proxyIds = new WeakMapCtor(); // proxy -> [kind, id]
    const released = new WeakMapCtor(); // proxy -> true after remote.release()
    const methodCache = new WeakMapCtor(); // proxy -> Map(name -> bound function)
    const exportsById = new MapCtor(); // page function id -> { fn, count }
    const exportIds = new MapCtor();   // page function -> id
    const constants = new WeakMapCtor(); // createFunctionWithReturnValue functions -> value
    const promises = new MapCtor();    // main promise id -> { resolve, reject }
    let nextExport = 1;
    let lostReason = '';
    let pendingReleases = [];
    let releaseScheduled = false;

    // ---- counting -----------------------------------------------------------
    const finalizer = new FinalizationRegistry((id) => {
      const entry = imports.get(id);
      // A newer proxy of the same id took over the entry: it releases later.
      if (!entry || entry.ref.deref() !== undefined) return;
      imports.delete(id);
      queueRelease(id, entry.count);
    });
    function queueRelease(id, n) {
      if (lostReason) return;
      pendingReleases.push(id, n);
      if (!releaseScheduled) {
        releaseScheduled = true;
        setTimeoutFn(flushReleases, 0);
      }
    }
    function flushReleases() {
      releaseScheduled = false;
      while (pendingReleases.length) {
        const batch = pendingReleases.splice(0, kMaxRemoteReleasePairs * 2);
        try {
          native.send(kMsgRemoteRelease, '', codec.encode(batch));
        } catch (e) {
          return;  // the document or the connection is gone: main drops it all anyway
        }
      }
    }

    // ---- errors -------------------------------------------------------------
    function lostError() {
      return new Error('remote: the connection to the main process is closed' +
                       (lostReason ? ` (${lostReason})` : ''));
    }
    // An error main sent, as an Error of this world with the page's stack.
    function rebuildError(value, code) {
      let error;
      if (value !== null && typeof value === 'object') {
        const Ctor = { TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError }[value.name] || Error;
        error = new Ctor(value.message === undefined ? '' : String(value.message));
        if (value.cause !== undefined) error.cause = value.cause;
        if (typeof value.stack === 'string') defineProperty(error, 'remoteStack', { value: value.stack, configurable: true });
      } else {
        error = new Error(String(value));
      }
      if (code !== undefined) error.code = code;
      return error;
    }

    // ---- references on the wire ---------------------------------------------
    function location() {
      const stack = String(new Error().stack || '');
      for (const line of stack.split('\n')) {
        if (line.indexOf('valence://') >= 0 || !line.trim()) continue;
        const at = line.lastIndexOf('@');
        const text = (at >= 0 ? line.slice(at + 1) : line).trim();
        const slash = text.lastIndexOf('/');
        return (slash >= 0 ? text.slice(slash + 1) : text).slice(0, kMaxRemoteLocation);
      }
      return '';
    }
    function utf8(text) {
      return new TextEncoder().encode(text);
    }
    function payload(...parts) {
      let n = 0;
      for (const p of parts) n += typeof p === 'number' ? 10 : p.length;
      const out = new U8(n);
      let pos = 0;
      for (const p of parts) {
        if (typeof p === 'number') {
          let v = p;
          while (v >= 0x80) { out[pos++] = (v % 0x80) | 0x80; v = Math.floor(v / 0x80); }
          out[pos++] = v;
        } else {
          out.set(p, pos);
          pos += p.length;
        }
      }
      return out.subarray(0, pos);
    }
    // Encoder hook: proxies go back as main's own ids (not counted); page
    // functions become this document's exports, counted per occurrence.
    function encodeHost(v) {
      // Arrays (every op and its arguments) are never references: no lookups.
      if (ArrayIsArray(v)) return undefined;
      const node = viewNodes.get(v);
      if (node !== undefined) {
        // An async view of a known object goes as that object; an answer
        // not yet given cannot be sent.
        if (node.ref === undefined)
          throw new TypeError('remote.async: await an answer before passing it to main');
        v = node.ref;
      }
      const ref = proxyIds.get(v);
      if (ref !== undefined) {
        if (released.get(v)) throw new Error('remote object has been released');
        return ref[2];
      }
      if (typeof v !== 'function') {
        // A Promise of this world: main gets a Future, settled by a
        // RemoteSettle when it settles (beyond Electron 1.4's then-callbacks).
        if (v instanceof PromiseCtor) return pagePromise(v);
        return undefined;
      }
      if (constants.has(v)) {
        const bytes = codec.encode(constants.get(v));
        return payload(kRefConstant, 0, bytes.length, bytes);
      }
      let id = exportIds.get(v);
      let entry;
      if (id === undefined) {
        id = nextExport++;
        entry = { fn: v, count: 0, location: location() };
        exportsById.set(id, entry);
        exportIds.set(v, id);
      } else {
        entry = exportsById.get(id);
      }
      entry.count++;
      if (journal !== null) journal.counts.push(entry);
      const loc = utf8(entry.location).subarray(0, kMaxRemoteLocation);
      return payload(kRefPageFunction, id, loc.length, loc);
    }
    const encodeOptions = ObjectFreeze({ rootName: 'args', hostObject: encodeHost });
    const decodeOptions = ObjectFreeze({ hostObject: decodeHost });
    // What an encode did that must be undone if its message is not sent
    // (counts of page functions main would never get), or done only once
    // it is (following a page promise: its settle must come after it).
    let journal = null;
    function encodeSent(value, send) {
      const j = { counts: [], promises: [] };
      const saved = journal;
      journal = j;
      let result;
      try {
        const bytes = codec.encode(value, encodeOptions);
        journal = saved;
        result = send(bytes);
      } catch (e) {
        journal = saved;
        for (const entry of j.counts) {
          if (--entry.count <= 0 && exportsById.get(exportIds.get(entry.fn)) === entry) {
            exportsById.delete(exportIds.get(entry.fn));
            exportIds.delete(entry.fn);
          }
        }
        throw e;
      }
      for (const [id, promise] of j.promises) followPromise(id, promise);
      return result;
    }
    let nextPagePromise = 1;
    function pagePromise(promise) {
      const id = nextPagePromise++;
      if (journal !== null) journal.promises.push([id, promise]);
      else followPromise(id, promise);
      return payload(kRefPagePromise, id);
    }
    function followPromise(id, promise) {
      const settle = (state, value) => {
        if (lostReason) return;
        const send = (bytes) => native.send(kMsgRemoteSettle, '', bytes);
        try {
          encodeSent([id, state, value], send);
        } catch (e) {
          try {
            send(codec.encode([id, 1, new Error(`remote: the promise's value could not be sent: ${e && e.message}`)]));
          } catch (e2) { /* the document or the connection is gone: main fails it */ }
        }
      };
      promise.then((v) => settle(0, v), (e) => settle(1, e));
    }

    // Decoder hook: main's references become proxies (one per id while it
    // lives), counted per occurrence.
    function decodeHost(reader) {
      const kind = reader.byte();
      const id = reader.varint();
      if (kind === kRefObject || kind === kRefFunction) {
        const classId = reader.varint();
        const n = reader.varint();
        if (n > 0) defineClasses(codec.decode(reader.bytes(n)));
        const cls = classes.get(classId);
        if (!cls) reader.fail('remote reference of an unknown class ' + classId);
        return importRef(kind, id, cls);
      }
      if (kind === kRefPromise) return mainPromise(id);
      if (kind === kRefPageFunction) {
        const entry = exportsById.get(id);
        return entry ? entry.fn : undefined;
      }
      reader.fail('unknown remote reference kind ' + kind);
    }
    function decodeReply(bytes) {
      return codec.decode(bytes, decodeOptions);
    }

    // ---- proxies ---------------------------------------------------------------
    function importRef(kind, id, cls) {
      let entry = imports.get(id);
      let proxy = entry && entry.ref.deref();
      if (proxy === undefined) {
        proxy = kind === kRefFunction ? makeFunction(id, cls) : makeObject(id, cls);
        // [kind, id, the reference's bytes back to main] (made once).
        proxyIds.set(proxy, [kind, id, payload(kind, id)]);
        if (entry) {
          entry.ref = new WeakRefCtor(proxy);
        } else {
          entry = { ref: new WeakRefCtor(proxy), count: 0 };
          imports.set(id, entry);
        }
        finalizer.register(proxy, id, proxy);
      }
      entry.count++;
      return proxy;
    }
    function targetOf(proxy) {
      if (released.get(proxy)) throw new Error('remote object has been released');
      return proxy;
    }
    function defineClasses(list) {
      for (const desc of list) {
        if (classes.has(desc.id)) continue;
        const base = desc.base ? classes.get(desc.base) : undefined;
        const proto = ObjectCreate(base ? base.proto : Object.prototype);
        const cls = { desc, proto, ctor: undefined };
        classes.set(desc.id, cls);
        for (const [name, length] of desc.methods) defineMethod(proto, name, length, false);
        if (desc.events) {
          for (const name of ['on', 'once', 'addListener'])
            defineMethod(proto, name, 2, true);
          for (const name of ['off', 'removeListener', 'removeAllListeners', 'listenerCount'])
            defineMethod(proto, name, name === 'removeAllListeners' || name === 'listenerCount' ? 1 : 2, false);
        }
        defineProperty(proto, Symbol.toStringTag, { value: desc.name, configurable: true });
      }
    }
    // A method: an accessor on the class's prototype giving a function bound
    // to the object (cached per object, so obj.m === obj.m; it holds the
    // object, so an extracted method keeps it alive). Assigning makes an own
    // property; deleting it brings the method back.
    function defineMethod(proto, name, length, chain) {
      defineProperty(proto, name, {
        configurable: true,
        enumerable: false,
        get() {
          let cache = methodCache.get(this);
          if (!cache) methodCache.set(this, (cache = new MapCtor()));
          let fn = cache.get(name);
          if (!fn) {
            const self = this;
            fn = function (...args) {
              const r = op(kOpCallMember, targetOf(self), name, args);
              return chain ? self : r;
            };
            defineProperty(fn, 'name', { value: name });
            defineProperty(fn, 'length', { value: length });
            cache.set(name, fn);
          }
          return fn;
        },
        set(value) {
          defineProperty(this, name, { value, writable: true, enumerable: true, configurable: true });
        },
      });
    }
    function makeObject(id, cls) {
      const proxy = ObjectCreate(cls.proto);
      // Own enumerable accessors: the members present when the class first
      // reached this document (Object.keys and spreads see them), its
      // bases' included.
      const props = [];
      for (let c = cls; c !== undefined; c = c.desc.base ? classes.get(c.desc.base) : undefined)
        for (const p of c.desc.props) props.push(p);
      for (const [name, flags] of props) {
        defineProperty(proxy, name, {
          enumerable: (flags & 2) !== 0,
          configurable: true,
          get() { return op(kOpGet, targetOf(proxy), name, []); },
          set(value) { op(kOpSet, targetOf(proxy), name, [value]); },
        });
      }
      return proxy;
    }
    function makeFunction(id, cls) {
      const desc = cls.desc;
      let f;
      if (desc.ctor !== null) {
        f = function (...args) {
          if (new.target === undefined)
            throw new TypeError(`Class constructor ${desc.name} cannot be invoked without 'new'`);
          return op(kOpConstruct, targetOf(f), undefined, args);
        };
        defineProperty(f, 'prototype', { value: cls.proto, writable: false });
        defineProperty(cls.proto, 'constructor', { value: f, configurable: true, writable: true });
        defineProperty(f, 'length', { value: desc.ctor });
      } else {
        f = function (...args) {
          if (new.target !== undefined) throw new TypeError(`${desc.name || 'remote function'} is not a constructor`);
          return op(kOpCall, targetOf(f), undefined, args);
        };
        defineProperty(f, 'length', { value: desc.fn === null ? 0 : desc.fn });
      }
      defineProperty(f, 'name', { value: desc.name });
      for (const [name, length] of desc.statics) {
        const s = function (...args) { return op(kOpCallMember, targetOf(f), name, args); };
        defineProperty(s, 'name', { value: name });
        defineProperty(s, 'length', { value: length });
        defineProperty(f, name, { value: s, writable: true, enumerable: false, configurable: true });
      }
      return f;
    }

    // ---- main's promises -------------------------------------------------------
    function mainPromise(id) {
      let resolve, reject;
      const promise = new Promise((a, b) => { resolve = a; reject = b; });
      promises.set(id, { resolve, reject });
      return promise;
    }

    // ---- one synchronous operation ----------------------------------------------
    function op(code, target, name, args) {
      if (lostReason) throw lostError();
      const reply = encodeSent([code, target, name, args], (bytes) => {
        try {
          return native.remoteSync(bytes);
        } catch (e) {
          throw new Error(`remote: ${e && e.message}`);
        }
      });
      const value = decodeReply(reply[1]);
      if (reply[0] === kStatusOk) return value[0];
      throw rebuildError(value[0], value[1]);
    }

    // ---- what main sends ----------------------------------------------------------
    function receive(kind, requestId, status, bytes) {
      let value;
      try {
        value = kind === kMsgRemoteRelease ? codec.decode(bytes) : decodeReply(bytes);
      } catch (e) {
        consoleError(`remote: a message from main could not be read: ${e.message}`);
        return;
      }
      if (kind === kMsgRemoteReply) {
        const batch = pendingBatches.get(requestId);
        if (!batch) return;
        pendingBatches.delete(requestId);
        const results = ArrayIsArray(value[0]) ? value[0] : [];
        for (let i = 0; i < batch.entries.length; i++) {
          const entry = batch.entries[i];
          const r = results[i];
          if (!ArrayIsArray(r)) entry.reject(new Error('remote: main gave no answer for this operation'));
          else if (r[0] === 0) entry.resolve(r[1]);
          else entry.reject(rebuildError(r[1], r[2]));
        }
        return;
      }
      if (kind === kMsgRemoteCall) {
        const entry = exportsById.get(value[0]);
        if (!entry) return;
        try {
          ReflectApply(entry.fn, undefined, ArrayIsArray(value[1]) ? value[1] : []);
        } catch (e) {
          consoleError('remote: a callback main called threw:', e);
        }
      } else if (kind === kMsgRemoteRelease) {
        for (let i = 0; i + 1 < value.length; i += 2) {
          const entry = exportsById.get(value[i]);
          if (!entry) continue;
          entry.count -= value[i + 1];
          if (entry.count <= 0) {
            exportsById.delete(value[i]);
            exportIds.delete(entry.fn);
          }
        }
      } else if (kind === kMsgRemoteSettle) {
        const p = promises.get(value[0]);
        if (!p) return;
        promises.delete(value[0]);
        if (status === kStatusOk) p.resolve(value[1]);
        else p.reject(rebuildError(value[1]));
      }
    }
    function lost(reason) {
      lostReason = reason || 'closed';
      for (const [id, batch] of pendingBatches) {
        pendingBatches.delete(id);
        for (const entry of batch.entries) entry.reject(lostError());
      }
      for (const [id, p] of promises) {
        promises.delete(id);
        p.reject(lostError());
      }
    }

    // ---- the async view (beyond Electron) ---------------------------------------
    // remote.async(proxy): the same object, each operation a Promise. A
    // view is a JS Proxy: reading a member gives an answer handle (itself a
    // view: callable, new-able, readable, awaitable). Operations made in one
    // turn go to main as one RemoteAsync batch; one on an answer of the same
    // batch names it ({answer: i}) and main runs it on that result
    // (pipelining: a chain of dependent calls costs one round trip). A
    // pending operation holds its target and arguments until main answers.
    const views = new WeakMapCtor();      // proxy -> its async view
    const viewNodes = new WeakMapCtor();  // view -> its node: {ref} | {entry} | {base, name}
    const pendingBatches = new MapCtor(); // request id -> batch
    const ProxyCtor = Proxy;
    const queueMicrotaskFn = queueMicrotask;
    let batch = null;
    function viewOf(proxy) {
      let view = views.get(proxy);
      if (view === undefined) {
        view = makeView({ ref: proxy });
        views.set(proxy, view);
      }
      return view;
    }
    // What an answer resolves to, as async code sees it.
    function asAsync(value) {
      return proxyIds.has(value) ? viewOf(value) : value;
    }
    function makeView(node) {
      const view = new ProxyCtor(function () {}, {
        get(target, name) {
          if (name === 'then') {
            if (node.ref !== undefined) return undefined;  // a known object is not a thenable
            const entry = materialize(node).entry;
            return (onFulfilled, onRejected) => entry.promise.then(
              typeof onFulfilled === 'function' ? (v) => onFulfilled(asAsync(v)) : asAsync, onRejected);
          }
          if (typeof name === 'symbol') return undefined;
          return makeView({ base: node, name });
        },
        set(target, name, value) {
          if (typeof name === 'symbol') return false;
          const entry = record(kOpSet, materialize(node), name, [value]);
          entry.promise.catch((e) => consoleError(`remote.async: setting '${name}' failed:`, e));
          return true;
        },
        apply(target, thisArg, args) {
          const entry = node.base !== undefined
            ? record(kOpCallMember, materialize(node.base), node.name, args)
            : record(kOpCall, materialize(node), undefined, args);
          return makeView({ entry });
        },
        construct(target, args) {
          return makeView({ entry: record(kOpConstruct, materialize(node), undefined, args) });
        },
      });
      viewNodes.set(view, node);
      return view;
    }
    // A node as an operation's target: a known object, or an op's answer.
    function materialize(node) {
      if (node.ref !== undefined || node.entry !== undefined) return node;
      if (node.done === undefined)
        node.done = { entry: record(kOpGet, materialize(node.base), node.name, []) };
      return node.done;
    }
    function newEntry() {
      let resolve, reject;
      const promise = new Promise((a, b) => { resolve = a; reject = b; });
      const entry = { promise, settled: false, value: undefined, batch: null, index: -1 };
      entry.resolve = (v) => { entry.settled = true; entry.value = v; resolve(v); };
      entry.reject = (e) => { entry.settled = true; reject(e); };
      // Nobody may await a Set or a step of a chain: not unhandled here.
      promise.catch(() => {});
      return entry;
    }
    function record(code, target, name, args) {
      const entry = newEntry();
      if (lostReason) {
        entry.reject(lostError());
        return entry;
      }
      const prior = target.entry;
      // The answer of an earlier batch (or of this one, when it is full and
      // goes before this op can join it): used once it is there.
      if (prior !== undefined &&
          (prior.batch !== batch || batch.ops.length >= kMaxRemoteBatch)) {
        prior.promise.then((value) => {
          if (!proxyIds.has(value)) throw new TypeError('remote.async: that answer is not a remote object');
          enqueue(entry, code, { ref: value }, name, args);
        }).catch((e) => entry.reject(e));
        return entry;
      }
      enqueue(entry, code, target, name, args);
      return entry;
    }
    function enqueue(entry, code, target, name, args) {
      if (batch === null || batch.ops.length >= kMaxRemoteBatch) {
        if (batch !== null) flushBatch();
        batch = { ops: [], entries: [], keep: [] };
        queueMicrotaskFn(flushBatch);
      }
      const t = target.ref !== undefined ? target.ref : { answer: target.entry.index };
      if (target.ref !== undefined && released.get(target.ref)) {
        entry.reject(new Error('remote object has been released'));
        return;
      }
      entry.batch = batch;
      entry.index = batch.ops.length;
      batch.ops.push([code, t, name, args]);
      batch.entries.push(entry);
      batch.keep.push(target, args);  // alive until main answers
    }
    function flushBatch() {
      const b = batch;
      if (b === null || b.ops.length === 0) return;
      batch = null;
      try {
        const id = encodeSent(b.ops, (bytes) => {
          try {
            return native.send(kMsgRemoteAsync, '', bytes);
          } catch (e) {
            throw new Error(`remote: ${e && e.message}`);
          }
        });
        pendingBatches.set(id, b);
      } catch (e) {
        for (const entry of b.entries) entry.reject(e);
      }
    }
    function asyncOf(value) {
      if (viewNodes.has(value)) return value;
      if (!proxyIds.has(value)) throw new TypeError('remote.async: not a remote object');
      return viewOf(value);
    }
    function syncOf(value) {
      const node = viewNodes.get(value);
      if (node === undefined) return value;
      if (node.ref === undefined) throw new TypeError('remote.sync: await the answer first');
      return node.ref;
    }

    // ---- require('electron').remote ------------------------------------------------
    let processCopy;
    const builtin = (name) => () => op(kOpGetBuiltin, undefined, name, []);
    const remote = {
      require: (name) => op(kOpRequire, undefined, String(name), []),
      getBuiltin: (name) => op(kOpGetBuiltin, undefined, String(name), []),
      getGlobal: (name) => op(kOpGetGlobal, undefined, String(name), []),
      getCurrentWindow: () => op(kOpGetCurrentWindow, undefined, undefined, []),
      getCurrentWebContents: () => op(kOpGetCurrentWebContents, undefined, undefined, []),
      createFunctionWithReturnValue(value) {
        const f = function () { return value; };
        constants.set(f, value);
        return f;
      },
      // Beyond Electron: release a proxy now (later use throws), and ask.
      release(proxy) {
        const ref = proxyIds.get(proxy);
        if (ref === undefined || released.get(proxy)) return false;
        released.set(proxy, true);
        const entry = imports.get(ref[1]);
        if (entry && entry.ref.deref() === proxy) {
          imports.delete(ref[1]);
          finalizer.unregister(proxy);
          queueRelease(ref[1], entry.count);
        }
        return true;
      },
      isRemote: (value) => proxyIds.has(value),
      async: asyncOf,
      sync: syncOf,
    };
    defineProperty(remote, 'process', {
      enumerable: true,
      get() {
        if (processCopy === undefined) processCopy = ObjectFreeze(op(kOpProcess, undefined, undefined, []));
        return processCopy;
      },
    });
    for (const name of ['app', 'BrowserWindow', 'webContents', 'dialog', 'Menu', 'MenuItem', 'ipcMain'])
      defineProperty(remote, name, { enumerable: true, get: builtin(name) });
    // Test hooks read the tables' sizes.
    const stats = () => ({ imports: imports.size, exports: exportsById.size, promises: promises.size,
                           batches: pendingBatches.size,
                           pendingReleases: pendingReleases.length / 2 });
    return { remote: ObjectFreeze(remote), receive, lost, stats, flushReleases };
  };
})()
