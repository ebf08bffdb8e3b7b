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
    // this world) to `call`, which answers with values of this world.
    makeFunction(call) {
      return function (...args) { return call(args); };
    },
    // Calls onFulfilled or onRejected (which must not throw) with the
    // outcome of `promise`, a Promise of this world. `await`, not `then`:
    // it reads neither Promise.prototype.then nor Promise[Symbol.species],
    // which the page may have replaced.
    async settle(promise, onFulfilled, onRejected) {
      let value;
      try {
        value = await promise;
      } catch (e) {
        onRejected(e);
        return;
      }
      onFulfilled(value);
    },
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
