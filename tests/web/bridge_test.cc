// contextBridge in a real WebKitGTK window: Electron's rules for values,
// functions, Promises and errors crossing between the preload's isolated
// world and the page's main world, and the rules of exposeInMainWorld.
//
// The checks run in JavaScript and answer with the names of what failed
// (a JSON array), so a failure says which property broke.
#include <string>

#include "harness.h"

namespace valence::test {
namespace {

// Defined in both worlds: makeValues() builds one value of each
// structured-clone type; checkValues(v) answers, in the world it runs in,
// which of them did not arrive as that world's own instance with its
// contents intact.
const char* kValuesJs = R"JS(
function makeValues() {
  const buffer = new ArrayBuffer(16)
  new Uint8Array(buffer)[2] = 7
  const shared = new Uint8Array([9, 8, 7, 6])
  return {
    str: 's', num: 1.5, bool: true, nul: null, und: undefined, big: 10n, neg0: -0, nan: NaN,
    obj: { a: { b: 'c' } }, arr: [1, 'two', [3]],
    map: new Map([['k', 'v'], [1, { one: 1 }]]), set: new Set([3, 'x']),
    date: new Date(1234), re: /a+b/gi,
    u8: new Uint8Array([1, 2, 3]), ab: buffer, dv: new DataView(buffer, 2, 4),
    f64: new Float64Array([1.5, -2]), sub: new Int16Array(new Int16Array([5, -3, 4]).buffer, 2, 2),
    big64: new BigInt64Array([-5n]), sharedView: shared, sharedBuffer: shared.buffer,
    err: new TypeError('bad'), range: new RangeError('far'),
  }
}
function checkValues(v) {
  const ok = {
    str: v.str === 's', num: v.num === 1.5, bool: v.bool === true, nul: v.nul === null,
    und: 'und' in v && v.und === undefined, big: v.big === 10n, neg0: Object.is(v.neg0, -0),
    nan: Number.isNaN(v.nan),
    obj: Object.getPrototypeOf(v.obj) === Object.prototype && v.obj.a.b === 'c' &&
         Object.getPrototypeOf(v.obj.a) === Object.prototype,
    arr: Array.isArray(v.arr) && v.arr instanceof Array && v.arr.length === 3 && v.arr[1] === 'two' &&
         v.arr[2] instanceof Array && v.arr[2][0] === 3,
    map: v.map instanceof Map && v.map.size === 2 && v.map.get('k') === 'v' &&
         v.map.get(1) instanceof Object && v.map.get(1).one === 1,
    set: v.set instanceof Set && v.set.size === 2 && v.set.has(3) && v.set.has('x'),
    date: v.date instanceof Date && v.date.getTime() === 1234,
    re: v.re instanceof RegExp && v.re.source === 'a+b' && v.re.flags === 'gi',
    u8: v.u8 instanceof Uint8Array && v.u8.length === 3 && v.u8.join() === '1,2,3',
    ab: v.ab instanceof ArrayBuffer && v.ab.byteLength === 16 && new Uint8Array(v.ab)[2] === 7,
    dv: v.dv instanceof DataView && v.dv.buffer instanceof ArrayBuffer && v.dv.byteOffset === 2 &&
        v.dv.byteLength === 4 && v.dv.getUint8(0) === 7,
    f64: v.f64 instanceof Float64Array && v.f64.length === 2 && v.f64[0] === 1.5 && v.f64[1] === -2,
    sub: v.sub instanceof Int16Array && v.sub.byteOffset === 2 && v.sub.length === 2 &&
         v.sub[0] === -3 && v.sub[1] === 4,
    big64: v.big64 instanceof BigInt64Array && v.big64[0] === -5n,
    sharedBuffer: v.sharedView.buffer === v.sharedBuffer && v.sharedBuffer instanceof ArrayBuffer,
    err: v.err instanceof TypeError && v.err.constructor === TypeError && v.err.message === 'bad',
    range: v.range instanceof RangeError && v.range.message === 'far',
  }
  return JSON.stringify(Object.keys(ok).filter(k => ok[k] !== true))
}
)JS";

const char* kPreloadApi = R"JS(
const { contextBridge } = require('electron')
const saved = []
const results = []
const stored = { n: 1, list: [1, 2] }
contextBridge.exposeInMainWorld('api', {
  echo: (x) => x,
  call: (cb, ...args) => cb(...args),
  save: (cb) => saved.push(cb) - 1,
  callSaved: (i, ...args) => saved[i](...args),
  callSavedLater: (i, ...args) => {
    setTimeout(() => {
      try {
        results.push({ ok: saved[i](...args) })
      } catch (e) {
        results.push({ error: e.message })
      }
    }, 20)
  },
  results: () => results,
  stored: () => stored,
  mutate: (o) => { o.changed = true; o.list.push(3); return o },
  makeAdder: (a) => (b) => a + b,
  values: () => makeValues(),
  valuesLater: () => new Promise(resolve => setTimeout(() => resolve(makeValues()), 10)),
  giveValues: (cb) => cb(makeValues()),
  checkHere: (v) => checkValues(v),
  resolveLater: (v) => new Promise(resolve => setTimeout(() => resolve(v), 10)),
  rejectWith: async (kind, message) => { throw new globalThis[kind](message) },
  throwWith: (kind, message) => { throw new globalThis[kind](message) },
  throwValue: (v) => { throw v },
  throwWithCause: () => { throw new Error('outer', { cause: new RangeError('inner') }) },
  causeOf: (cb) => {
    try {
      cb()
    } catch (e) {
      return JSON.stringify([e.message, e.cause instanceof RangeError, e.cause.message])
    }
  },
  throwCustom: () => {
    class MyError extends Error {}
    const e = new MyError('mine')
    e.name = 'MyError'
    throw e
  },
  // How a page callback's exception looks in this world.
  catchFrom: (cb) => {
    try {
      cb()
      return 'no exception'
    } catch (e) {
      return JSON.stringify({ name: e.name, message: e.message, isError: e instanceof Error,
                              isOwnKind: e instanceof globalThis[e.name] })
    }
  },
  // How a page Promise's outcome looks in this world.
  settle: async (p) => {
    try {
      const value = await p
      return JSON.stringify({ value, isPromise: true })
    } catch (e) {
      return JSON.stringify({ rejected: e.message, isError: e instanceof Error,
                              isTypeError: e instanceof TypeError })
    }
  },
  isPromiseHere: (p) => p instanceof Promise,
  awaitCallback: async (cb) => (await cb()) + 1,
  cyclic: () => {
    const a = { name: 'a' }
    a.self = a
    const shared = { s: 1 }
    return { a, x: shared, y: shared, list: [shared, shared], map: new Map([[shared, shared]]) }
  },
  cyclesHere: (v) => JSON.stringify({
    self: v.a.self === v.a, shared: v.x === v.y, list: v.list[0] === v.x && v.list[1] === v.x,
    map: v.map.get(v.x) === v.x && [...v.map.keys()][0] === v.x,
  }),
  same: (a, b) => a === b,
  symbols: () => ({ s: Symbol('x'), keep: 1, arr: [Symbol('y'), 2], [Symbol('k')]: 3 }),
  symbolsHere: (v) => JSON.stringify({ keys: Object.keys(v), hasS: 's' in v, arr0: v.arr[0] === undefined,
                                       arrLength: v.arr.length, symbolKeys: Object.getOwnPropertySymbols(v).length }),
  symbol: () => Symbol('alone'),
  classInstance: () => new (class Point { constructor() { this.x = 1 } norm() { return 1 } })(),
  nested: { deeper: { value: 42, list: [1, { x: 2 }] }, fn: () => 'nested' },
  date: new Date(1000),
  version: '1.0',
})
)JS";

const char* kPage =
    R"(<!DOCTYPE html><html><head><title>bridge</title></head><body>bridge</body></html>)";

class BridgeTest : public WebTest {
 protected:
  std::shared_ptr<BrowserWindow> open_api() {
    std::string page = std::string("<!DOCTYPE html><html><head><title>bridge</title><script>") +
                       kValuesJs + "</script></head><body>bridge</body></html>";
    return open(std::string(kValuesJs) + kPreloadApi, page);
  }
  std::string str(const std::shared_ptr<BrowserWindow>& win, const std::string& code) {
    Value v = eval(win, code);
    return v.is_string() ? v.get_string() : "<not a string>";
  }
  bool yes(const std::shared_ptr<BrowserWindow>& win, const std::string& code) {
    Value v = eval(win, code);
    return v.is_bool() && v.get_bool();
  }
};

TEST_F(BridgeTest, ValuesAreCopiesNotReferences) {
  auto win = open_api();
  // Page -> preload: the preload's changes stay on its copy.
  EXPECT_EQ(str(win,
                "(() => { const o = { list: [1] }; const r = api.mutate(o);"
                " return JSON.stringify([o, r]) })()"),
            R"([{"list":[1]},{"list":[1,3],"changed":true}])");
  // Preload -> page: the page's changes stay on its copy.
  EXPECT_EQ(str(win,
                "(() => { const s = api.stored(); s.n = 2; s.list.push(9);"
                " return JSON.stringify([s, api.stored()]) })()"),
            R"([{"n":2,"list":[1,2,9]},{"n":1,"list":[1,2]}])");
  EXPECT_TRUE(yes(win, "api.stored() !== api.stored()")) << "a new copy per call";
  // Class instances arrive as plain objects: own data properties, no methods.
  EXPECT_EQ(str(win,
                "(() => { const p = api.classInstance(); return JSON.stringify([p,"
                " Object.getPrototypeOf(p) === Object.prototype, typeof p.norm]) })()"),
            R"([{"x":1},true,"undefined"])");
}

TEST_F(BridgeTest, StructuredCloneTypesArriveAsThePagesInstances) {
  auto win = open_api();
  EXPECT_EQ(str(win, "checkValues(api.values())"), "[]") << "a return value";
  EXPECT_EQ(str(win, "api.valuesLater().then(checkValues)"), "[]") << "a Promise's value";
  EXPECT_EQ(str(win, "api.giveValues(v => checkValues(v))"), "[]") << "a callback's argument";
  EXPECT_EQ(str(win, "JSON.stringify([api.date instanceof Date, api.date.getTime(), api.version])"),
            R"([true,1000,"1.0"])")
      << "values of the exposed API itself";
}

TEST_F(BridgeTest, StructuredCloneTypesArriveAsThePreloadsInstances) {
  auto win = open_api();
  EXPECT_EQ(str(win, "api.checkHere(makeValues())"), "[]") << "an argument";
  EXPECT_EQ(str(win, "api.call(api.checkHere, makeValues())"), "[]")
      << "through a preload function the page got back";
  EXPECT_EQ(str(win, "api.resolveLater(makeValues()).then(checkValues)"), "[]")
      << "there and back through a Promise";
}

TEST_F(BridgeTest, CyclesAndSharedReferencesAreKeptWithinOneCopy) {
  auto win = open_api();
  EXPECT_EQ(str(win,
                "(() => { const v = api.cyclic(); return JSON.stringify({ self: v.a.self === v.a,"
                " shared: v.x === v.y, list: v.list[0] === v.x && v.list[1] === v.x,"
                " map: v.map.get(v.x) === v.x }) })()"),
            R"({"self":true,"shared":true,"list":true,"map":true})");
  EXPECT_EQ(str(win,
                "(() => { const a = { name: 'a' }; a.self = a; const shared = { s: 1 };"
                " return api.cyclesHere({ a, x: shared, y: shared, list: [shared, shared],"
                " map: new Map([[shared, shared]]) }) })()"),
            R"({"self":true,"shared":true,"list":true,"map":true})");
  EXPECT_TRUE(yes(win, "(() => { const o = {}; return api.same(o, o) })()"))
      << "one object passed as two arguments of one call stays one object";
  EXPECT_TRUE(yes(
      win, "(() => { const o = {}; return api.echo([o, o]).every((x, i, a) => x === a[0]) })()"));
}

TEST_F(BridgeTest, SymbolsAreDropped) {
  auto win = open_api();
  EXPECT_EQ(str(win,
                "(() => { const v = api.symbols(); return JSON.stringify({ keys: Object.keys(v),"
                " hasS: 's' in v, arr0: v.arr[0] === undefined, arrLength: v.arr.length,"
                " symbolKeys: Object.getOwnPropertySymbols(v).length }) })()"),
            R"({"keys":["keep","arr"],"hasS":false,"arr0":true,"arrLength":2,"symbolKeys":0})");
  EXPECT_EQ(
      str(win,
          "api.symbolsHere({ s: Symbol('x'), keep: 1, arr: [Symbol('y'), 2], [Symbol('k')]: 3 })"),
      R"({"keys":["keep","arr"],"hasS":false,"arr0":true,"arrLength":2,"symbolKeys":0})");
  EXPECT_TRUE(yes(win, "api.symbol() === undefined"));
  EXPECT_TRUE(yes(win, "api.echo(Symbol('x')) === undefined"));
}

TEST_F(BridgeTest, PageCallbacksAreProxiedAndCanBeCalledLater) {
  auto win = open_api();
  EXPECT_EQ(eval(win, "api.call((a, b) => a * b, 6, 7)").get_number(), 42);
  // Saved, then called from the preload later (a timer), with copies of the
  // preload's arguments; the callback's return value comes back.
  EXPECT_EQ(eval(win,
                 "window.seen = []; api.save((a, b) => { seen.push([a, b]);"
                 " return { sum: a.n + b, argIsPages: a instanceof Object } })")
                .get_number(),
            0);
  eval(win, "(api.callSavedLater(0, { n: 1 }, 2), api.callSavedLater(0, { n: 10 }, 20), 1)");
  ASSERT_TRUE(wait_for([&] { return eval(win, "api.results().length").get_number() == 2; }));
  EXPECT_EQ(str(win, "JSON.stringify(api.results())"),
            R"([{"ok":{"sum":3,"argIsPages":true}},{"ok":{"sum":30,"argIsPages":true}}])");
  EXPECT_EQ(str(win, "JSON.stringify(seen)"), R"([[{"n":1},2],[{"n":10},20]])");
  // A callback saved by the preload can be called synchronously, too.
  EXPECT_EQ(str(win, "JSON.stringify(api.callSaved(0, { n: 5 }, 5))"),
            R"({"sum":10,"argIsPages":true})");
  // A page function that comes back from the preload is a proxy, but works.
  EXPECT_EQ(eval(win, "api.echo((x) => x + 1)(41)").get_number(), 42);
}

TEST_F(BridgeTest, PreloadFunctionsAreProxiedToThePage) {
  auto win = open_api();
  EXPECT_EQ(eval(win, "api.makeAdder(2)(40)").get_number(), 42);
  EXPECT_EQ(str(win, "api.nested.fn()"), "nested");
  EXPECT_EQ(str(win, "typeof api.echo"), "function");
  EXPECT_TRUE(yes(win, "api.echo instanceof Function"));
  // Preload functions passed back into the preload keep working.
  EXPECT_EQ(eval(win, "api.call(api.makeAdder(1), 2)").get_number(), 3);
  // A page callback that receives a preload function.
  EXPECT_EQ(eval(win, "api.call(f => f(5), api.makeAdder(10))").get_number(), 15);
}

TEST_F(BridgeTest, PromisesCrossBothWays) {
  auto win = open_api();
  // Preload Promise -> page Promise.
  EXPECT_TRUE(yes(win, "(() => { const p = api.resolveLater(1); return p instanceof Promise })()"));
  EXPECT_EQ(eval(win, "api.resolveLater(41).then(v => v + 1)").get_number(), 42);
  EXPECT_EQ(
      str(win,
          "api.rejectWith('TypeError', 'no way').then(() => 'resolved', e =>"
          " JSON.stringify([e instanceof TypeError, e.constructor === TypeError, e.message]))"),
      R"([true,true,"no way"])");
  // Page Promise -> preload Promise.
  EXPECT_TRUE(yes(win, "api.isPromiseHere(Promise.resolve(1))"));
  EXPECT_EQ(str(win, "api.settle(new Promise(r => setTimeout(() => r(7), 10)))"),
            R"({"value":7,"isPromise":true})");
  EXPECT_EQ(str(win, "api.settle(Promise.reject(new TypeError('page says no')))"),
            R"({"rejected":"page says no","isError":true,"isTypeError":true})");
  // A page callback's Promise, awaited by the preload.
  EXPECT_EQ(eval(win, "api.awaitCallback(() => new Promise(r => setTimeout(() => r(41), 10)))")
                .get_number(),
            42);
  // A Promise nested in a value.
  EXPECT_EQ(eval(win, "api.echo({ p: Promise.resolve(5) }).p.then(v => v * 2)").get_number(), 10);
}

TEST_F(BridgeTest, ErrorsAreRethrownInTheCallersWorld) {
  auto win = open_api();
  for (const char* kind : {"Error", "TypeError", "RangeError", "SyntaxError", "ReferenceError"}) {
    std::string k = kind;
    EXPECT_EQ(str(win, "(() => { try { api.throwWith('" + k + "', 'thrown " + k +
                           "'); return 'returned' } catch (e) {"
                           " return JSON.stringify([e instanceof " +
                           k + ", e.constructor === " + k + ", e.message, e.name]) } })()"),
              "[true,true,\"thrown " + k + "\",\"" + k + "\"]");
  }
  // A custom error class: an Error of the page, name and message kept.
  EXPECT_EQ(str(win,
                "(() => { try { api.throwCustom() } catch (e) {"
                " return JSON.stringify([e instanceof Error, e.name, e.message]) } })()"),
            R"([true,"MyError","mine"])");
  // Values that are not Errors are copied.
  EXPECT_EQ(
      str(win,
          "(() => { try { api.throwValue({ code: 7 }) } catch (e) {"
          " return JSON.stringify([e, Object.getPrototypeOf(e) === Object.prototype]) } })()"),
      R"([{"code":7},true])");
  EXPECT_EQ(str(win, "(() => { try { api.throwValue('text') } catch (e) { return e } })()"),
            "text");
  // An Error's cause crosses with it (ipcRenderer.invoke's rejections keep
  // the handler's error there).
  EXPECT_EQ(
      str(win,
          "(() => { try { api.throwWithCause() } catch (e) { return JSON.stringify([e.message,"
          " e.cause instanceof RangeError, e.cause.message]) } })()"),
      R"(["outer",true,"inner"])");
  EXPECT_EQ(
      str(win,
          "api.causeOf(() => { throw new Error('outer', { cause: new RangeError('inner') }) })"),
      R"(["outer",true,"inner"])");
  // Page callbacks' errors reach the preload as the preload's own.
  EXPECT_EQ(str(win, "api.catchFrom(() => { throw new RangeError('from the page') })"),
            R"({"name":"RangeError","message":"from the page","isError":true,"isOwnKind":true})");
  EXPECT_EQ(
      str(win, "api.catchFrom(() => null.x)"),
      R"J({"name":"TypeError","message":"null is not an object (evaluating 'null.x')","isError":true,"isOwnKind":true})J");
}

TEST_F(BridgeTest, TheExposedApiIsFrozenAndReadOnly) {
  auto win = open_api();
  EXPECT_EQ(str(win,
                "(() => { const d = Object.getOwnPropertyDescriptor(window, 'api');"
                " return JSON.stringify([d.writable, d.configurable, d.enumerable]) })()"),
            "[false,false,true]");
  EXPECT_EQ(str(win,
                "JSON.stringify([Object.isFrozen(api), Object.isFrozen(api.nested),"
                " Object.isFrozen(api.nested.deeper), Object.isFrozen(api.nested.deeper.list),"
                " Object.isFrozen(api.nested.deeper.list[1]), Object.isFrozen(api.echo),"
                " Object.isFrozen(api.date)])"),
            "[true,true,true,true,true,true,true]");
  // Writes fail (and throw in strict code); the API stays as it was.
  EXPECT_EQ(str(win,
                "(() => { 'use strict'; const r = [];"
                " for (const f of [() => { api.echo = 1 }, () => { api.nested.deeper.value = 0 },"
                "   () => { window.api = {} }, () => { delete window.api },"
                "   () => { Object.defineProperty(window, 'api', { value: 1 }) },"
                "   () => { api.echo.extra = 1 }])"
                "   try { f(); r.push('wrote') } catch (e) { r.push(e instanceof TypeError) }"
                " return JSON.stringify(r) })()"),
            "[true,true,true,true,true,true]");
  EXPECT_EQ(str(win, "typeof api.echo + api.nested.deeper.value + api.echo.extra"),
            "function42undefined");
  // Sloppy writes are ignored silently.
  eval(win, "api = 5; api.version = '2'; 1");
  EXPECT_EQ(str(win, "api.version"), "1.0");
}

TEST_F(BridgeTest, ExposeInMainWorldRules) {
  auto win = open(R"JS(
const { contextBridge } = require('electron')
window.exposeLog = []
function attempt(label, f) {
  try {
    f()
    exposeLog.push([label, 'ok'])
  } catch (e) {
    exposeLog.push([label, e.constructor === Error || e.constructor === TypeError, e.message])
  }
}
attempt('first', () => contextBridge.exposeInMainWorld('api', { a: 1 }))
attempt('twice', () => contextBridge.exposeInMainWorld('api', { a: 2 }))
attempt('document', () => contextBridge.exposeInMainWorld('document', {}))
attempt('location', () => contextBridge.exposeInMainWorld('location', {}))
attempt('inherited', () => contextBridge.exposeInMainWorld('addEventListener', {}))
attempt('key', () => contextBridge.exposeInMainWorld(42, {}))
attempt('string', () => contextBridge.exposeInMainWorld('version', '3.1'))
attempt('function', () => contextBridge.exposeInMainWorld('answer', () => 42))
attempt('isolated', () => contextBridge.exposeInIsolatedWorld(1, 'x', {}))
)JS",
                  kPage);
  auto log = eval_preload(win, "JSON.stringify(exposeLog)");
  ASSERT_TRUE(log) << log.error().message;
  const std::string bound =
      "\"Cannot bind an API on top of an existing property on the window object\"";
  EXPECT_EQ(log->get_string(),
            "[[\"first\",\"ok\"],[\"twice\",true," + bound + "],[\"document\",true," + bound +
                "],[\"location\",true," + bound + "],[\"inherited\",true," + bound +
                "],[\"key\",true,\"contextBridge.exposeInMainWorld: the key must be a string\"],"
                "[\"string\",\"ok\"],[\"function\",\"ok\"],[\"isolated\",true,"
                "\"contextBridge.exposeInIsolatedWorld: valence has one isolated world (the "
                "preload)\"]]");
  EXPECT_EQ(eval(win, "api.a").get_number(), 1) << "the first exposure stays";
  EXPECT_EQ(str(win, "typeof document.createElement + typeof addEventListener"),
            "functionfunction");
  EXPECT_EQ(str(win, "version"), "3.1");
  EXPECT_EQ(eval(win, "answer()").get_number(), 42);
  EXPECT_TRUE(yes(win, "Object.isFrozen(answer)"));
  // A page global defined before the preload exposes the same key.
  eval(win, "(window.pageOwn = 1)");
  auto late = eval_preload(win,
                           "(() => { try { require('electron').contextBridge.exposeInMainWorld("
                           "'pageOwn', {}); return 'ok' } catch (e) { return e.message } })()");
  ASSERT_TRUE(late) << late.error().message;
  EXPECT_EQ(late->get_string(),
            "Cannot bind an API on top of an existing property on the window object");
  // Exposing later, after the page ran, still works.
  auto later = eval_preload(win,
                            "require('electron').contextBridge.exposeInMainWorld('later',"
                            " { f: () => 'late' }); 'done'");
  ASSERT_TRUE(later) << later.error().message;
  EXPECT_EQ(str(win, "later.f()"), "late");
}

TEST_F(BridgeTest, TheApiIsCopiedWhenExposed) {
  auto win = open(R"JS(
const { contextBridge } = require('electron')
const api = { n: 1, list: [1], get computed() { return 'once' } }
contextBridge.exposeInMainWorld('api', api)
api.n = 2
api.list.push(2)
api.added = true
)JS",
                  kPage);
  EXPECT_EQ(str(win, "JSON.stringify(api)"), R"({"n":1,"list":[1],"computed":"once"})");
  EXPECT_TRUE(yes(win, "Object.getOwnPropertyDescriptor(api, 'computed').value === 'once'"))
      << "getters are read once, at exposure";
}

// Not the bridge, but how preloads hand ipcRenderer's methods around.
TEST_F(BridgeTest, IpcRendererMethodsWorkUnbound) {
  auto win = open(kPreloadApi, kPage);
  auto r = eval_preload(win, R"JS((() => {
  const { on, off, once, removeListener, listenerCount } = require('electron').ipcRenderer
  const ipc = require('electron').ipcRenderer
  const f = () => {}, g = () => {}
  on('unbound', f); once('unbound', g); on('unbound', g)
  const counts = [ipc.listenerCount('unbound')]
  off('unbound', f); counts.push(ipc.listenerCount('unbound'))
  removeListener('unbound', g); counts.push(ipc.listenerCount('unbound'))
  return JSON.stringify(counts)
})())JS");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->get_string(), "[3,2,1]");
}

}  // namespace
}  // namespace valence::test
