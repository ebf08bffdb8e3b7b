// The main world's half of contextBridge, evaluated in the page's main world
// once per document, before any script of the page runs. It hands the
// preload world this world's pristine constructors and two tiny factories,
// so the preload can build objects and functions that belong to this world;
// the page never sees this object. Strict mode throughout: a page function
// cannot reach its callers through `caller`.
(function () {
  'use strict';
  const G = globalThis;
  const P = G.Promise;
  const typed = { __proto__: null };
  for (const name of ['Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array',
                      'Int32Array', 'Uint32Array', 'Float32Array', 'Float64Array', 'BigInt64Array',
                      'BigUint64Array', 'DataView'])
    typed[name] = G[name];
  return {
    __proto__: null,
    global: G,
    Object: G.Object,
    Array: G.Array,
    Map: G.Map,
    Set: G.Set,
    Date: G.Date,
    RegExp: G.RegExp,
    ArrayBuffer: G.ArrayBuffer,
    Promise: P,
    PromisePrototype: P.prototype,
    promiseThen: P.prototype.then,
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
    // [promise, resolve, reject] of this world.
    makePromise() {
      let resolve, reject;
      const promise = new P((a, b) => { resolve = a; reject = b; });
      return [promise, resolve, reject];
    },
  };
})()
