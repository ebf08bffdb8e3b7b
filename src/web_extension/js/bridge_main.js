// The main world's half of contextBridge, evaluated in the page's main world
// once per document, before any script of the page runs. It hands the
// preload world this world's pristine constructors and two tiny factories,
// so the preload can build objects and functions that belong to this world;
// the page never sees this object. Strict mode throughout: a page function
// cannot reach its callers through `caller`.
//
// Everything here is read now, while it is pristine, and kept in objects
// without prototypes: the preload later reads this object's properties and
// the page may by then have changed every prototype and global of its world.
(function () {
  'use strict';
  const G = globalThis;
  const P = G.Promise;
  const StackError = G.RangeError;
  const typed = { __proto__: null };
  for (const name of ['Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array',
                      'Int32Array', 'Uint32Array', 'Float16Array', 'Float32Array', 'Float64Array',
                      'BigInt64Array', 'BigUint64Array', 'DataView']) {
    if (typeof G[name] === 'function') typed[name] = G[name];
  }
  return {
    __proto__: null,
    global: G,
    Object: G.Object,
    ObjectPrototype: G.Object.prototype,
    // The prototypes of the cloneable built-ins: a value whose prototype is
    // one of these is checked for that type alone (a failed brand check
    // throws, and throwing costs about a microsecond in JavaScriptCore).
    DatePrototype: G.Date.prototype,
    RegExpPrototype: G.RegExp.prototype,
    MapPrototype: G.Map.prototype,
    SetPrototype: G.Set.prototype,
    ArrayBufferPrototype: G.ArrayBuffer.prototype,
    Array: G.Array,
    Map: G.Map,
    Set: G.Set,
    Date: G.Date,
    RegExp: G.RegExp,
    ArrayBuffer: G.ArrayBuffer,
    Promise: P,
    PromisePrototype: P.prototype,
    // This world's Reflect.apply: a page function called through it runs
    // with this world as the current realm, so what the engine creates for
    // the call (the argument list a Proxy's apply trap receives) is a page
    // object, never one of the preload's.
    apply: G.Reflect.apply,
    errors: {
      __proto__: null, Error: G.Error, TypeError: G.TypeError, RangeError: G.RangeError,
      SyntaxError: G.SyntaxError, ReferenceError: G.ReferenceError, EvalError: G.EvalError,
      URIError: G.URIError,
    },
    typed,
    freeze: G.Object.freeze,
    defineProperty: G.Object.defineProperty,
    getOwnPropertyDescriptor: G.Object.getOwnPropertyDescriptor,
    // A function of this world that forwards its arguments (an array of
    // this world) to `call(args, box)`, which returns a value of this world,
    // or sets box.threw and box.error (a value of this world) to throw.
    // `call` never throws by design: if something escapes it anyway, it is
    // the engine failing inside the other world (the stack limit, memory),
    // and what it threw may be an object of that world. It is dropped for
    // an error made here: only this world's code is running by then, so
    // even a failure to make it yields this world's error.
    makeFunction(call) {
      return function (...args) {
        const box = { __proto__: null, threw: false, error: undefined };
        let result;
        try {
          result = call(args, box);
        } catch {
          throw new StackError('Maximum call stack size exceeded.');
        }
        if (box.threw) throw box.error;
        return result;
      };
    },
    // Calls onFulfilled or onRejected (which must not throw) with the
    // outcome of `promise`, a Promise of this world. `await`, not `then`:
    // it reads neither Promise.prototype.then nor Promise[Symbol.species],
    // which the page may have replaced.
    // The callbacks are the other world's: whatever they might throw (they
    // catch everything, but entering one can still fail at the stack limit)
    // is dropped, or it would reject settle's own promise with an object of
    // that world, which this world's unhandledrejection listeners would get.
    async settle(promise, onFulfilled, onRejected) {
      let value;
      try {
        value = await promise;
      } catch (e) {
        try { onRejected(e); } catch {}
        return;
      }
      try { onFulfilled(value); } catch {}
    },
    // As makeFunction, for the remote module's twins (bridge.js): `call`
    // also gets the receiver (a method or accessor of a twin) and whether
    // it runs as a constructor (a remote class).
    makeMethod(call) {
      return function (...args) {
        const box = { __proto__: null, threw: false, error: undefined };
        let result;
        try {
          result = call(this, args, box, new.target !== undefined);
        } catch {
          throw new StackError('Maximum call stack size exceeded.');
        }
        if (box.threw) throw box.error;
        return result;
      };
    },
    create: G.Object.create,
    // { promise, resolve, reject } of this world. An object without a
    // prototype, not an array: destructuring an array would run the page's
    // Array.prototype[Symbol.iterator].
    makePromise() {
      let resolve, reject;
      const promise = new P((a, b) => { resolve = a; reject = b; });
      return { __proto__: null, promise, resolve, reject };
    },
  };
})()
