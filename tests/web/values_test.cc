// Structured-clone fidelity between page JavaScript and C++: what a page
// sends arrives in main as the same Value, and what main answers arrives in
// the page as the page world's own objects.
#include "harness.h"

namespace valence::test {
namespace {

const char* kPreload = R"JS(
const { contextBridge, ipcRenderer } = require('electron')
contextBridge.exposeInMainWorld('api', {
  send: (ch, ...a) => ipcRenderer.send(ch, ...a),
  invoke: (ch, ...a) => ipcRenderer.invoke(ch, ...a),
})
// The same calls without the bridge, for values the bridge itself reshapes.
globalThis.direct = { invoke: (ch, ...a) => ipcRenderer.invoke(ch, ...a), send: (ch, ...a) => ipcRenderer.send(ch, ...a) }
)JS";

const char* kPage = "<!DOCTYPE html><html><body>values</body></html>";

class ValuesTest : public WebTest {
 protected:
  void SetUp() override {
    ASSERT_TRUE(ipc().handle("echo", [](IpcMainInvokeEvent&, const std::vector<Value>& args) {
      return args.empty() ? Value() : args[0].clone();
    }));
    ipc().on("keep", [this](IpcMainEvent&, const std::vector<Value>& args) {
      kept_ = args.empty() ? Value() : args[0].clone();
      got_ = true;
    });
  }
  // Sends `expr` (page JS) to main and returns what main received.
  Value received(const std::shared_ptr<BrowserWindow>& win, const std::string& expr) {
    got_ = false;
    eval(win, "api.send('keep', " + expr + "); 1");
    EXPECT_TRUE(wait_for([&] { return got_; })) << expr;
    return std::move(kept_);
  }
  Value kept_;
  bool got_ = false;
};

TEST_F(ValuesTest, PageValuesArriveInMainIntact) {
  auto win = open(kPreload, kPage);
  Value v = received(win, "new Map([[1, 'one'], ['k', { deep: [true] }]])");
  ASSERT_TRUE(v.is_map()) << v.to_debug_string();
  EXPECT_EQ(v.to_debug_string(), R"(Map(2) {1 => "one", "k" => {deep: [true]}})");
  v = received(win, "new Set([1, 'a', null])");
  EXPECT_EQ(v.to_debug_string(), R"(Set(3) {1, "a", null})");
  v = received(win, "new Date(1700000000000)");
  ASSERT_TRUE(v.is_date());
  EXPECT_EQ(v.get_date().time, 1700000000000.0);
  v = received(win, "/a+b/gi");
  EXPECT_EQ(v.to_debug_string(), "/a+b/gi");
  v = received(win, "new Uint16Array([1, 2, 65535])");
  EXPECT_EQ(v.to_debug_string(), "Uint16Array(3) [1, 2, 65535]");
  v = received(win, "123456789012345678901234567890n");
  EXPECT_EQ(v.to_debug_string(), "123456789012345678901234567890n");
  v = received(win, "'\\u00e9t\\u00e9 \\u{1F600} \\ud800'");
  ASSERT_TRUE(v.is_string());
  EXPECT_EQ(v.get_string(), "\xC3\xA9t\xC3\xA9 \xF0\x9F\x98\x80 \xED\xA0\x80")
      << "a lone surrogate survives (WTF-8)";
  v = received(win, "-0");
  ASSERT_TRUE(v.is_number());
  EXPECT_TRUE(std::signbit(v.get_number()));
}

TEST_F(ValuesTest, CyclesAndSharedReferencesSurvive) {
  auto win = open(kPreload, kPage);
  Value v =
      received(win, "(() => { const o = { name: 'o' }; o.self = o; return { a: o, b: o } })()");
  EXPECT_EQ(v.to_debug_string(), R"({a: {name: "o", self: <ref #1>}, b: <ref #1>})")
      << "the argument is a tree of its own: ids count from its root";
  // And back: the page gets one object, referenced twice, that contains itself.
  Value r = eval(win,
                 "api.invoke('echo', (() => { const o = { n: 1 }; o.me = o; return [o, o] })())"
                 ".then(a => a[0] === a[1] && a[0].me === a[0])");
  EXPECT_TRUE(r.get_bool());
}

TEST_F(ValuesTest, MainsAnswerArrivesAsThePageWorldsObjects) {
  auto win = open(kPreload, kPage);
  ASSERT_TRUE(ipc().handle("rich", [](IpcMainInvokeEvent&) {
    Map m;
    m.set(Value("when"), Value(Date{86400000}));
    return Value(std::move(m));
  }));
  Value r = eval(win,
                 "api.invoke('rich').then(m => [m instanceof Map, m.get('when') instanceof Date,"
                 " m.get('when').getTime()].join())");
  EXPECT_EQ(r.get_string(), "true,true,86400000");
  r = eval(win,
           "api.invoke('echo', new Float64Array([1.5, -2])).then(a => a instanceof Float64Array &&"
           " a.length === 2 && a[0] === 1.5 && a[1] === -2)");
  EXPECT_TRUE(r.get_bool());
  r = eval(win, "api.invoke('echo', new Set(['x'])).then(s => s instanceof Set && s.has('x'))");
  EXPECT_TRUE(r.get_bool());
}

TEST_F(ValuesTest, ErrorsRoundTrip) {
  auto win = open(kPreload, kPage);
  Value v = received(win, "new TypeError('bad input')");
  ASSERT_TRUE(v.is_error()) << v.to_debug_string();
  EXPECT_EQ(v.get_error().prototype, ErrorPrototype::kTypeError);
  EXPECT_EQ(v.get_error().message->utf8(), "bad input");
  Value r = eval(
      win,
      "api.invoke('echo', new RangeError('far')).then(e => e instanceof RangeError && e.message)");
  EXPECT_EQ(r.get_string(), "far");
}

TEST_F(ValuesTest, UncloneableValuesFailWithTheirPath) {
  auto win = open(kPreload, kPage);
  auto r = eval_preload(win,
                        "try { direct.send('keep', 1, { user: { cb() {} } }); 'sent' } catch (e) { "
                        "e.name + ': ' + e.message }");
  ASSERT_TRUE(r);
  EXPECT_NE(r->get_string().find("args[1].user.cb"), std::string::npos) << r->get_string();
  EXPECT_NE(r->get_string().find("could not be cloned"), std::string::npos) << r->get_string();
  // A page function crosses the bridge as a function, which cannot be cloned.
  Value page =
      eval(win, "api.invoke('echo', { w: () => 1 }).then(() => 'resolved', e => e.message)");
  EXPECT_NE(page.get_string().find("args[0].w"), std::string::npos) << page.get_string();
}

TEST_F(ValuesTest, LargeBuffersAndManyObjects) {
  auto win = open(kPreload, kPage);
  Value r =
      eval(win,
           "(async () => { const a = new Uint8Array(1 << 20); for (let i = 0; i < a.length; i += "
           "4096) a[i] = i >> 12;"
           " const b = await api.invoke('echo', a);"
           " if (!(b instanceof Uint8Array) || b.length !== a.length) return 'wrong type';"
           " for (let i = 0; i < a.length; i += 4096) if (b[i] !== a[i]) return 'wrong byte ' + i;"
           " return 'ok' })()");
  EXPECT_EQ(r.get_string(), "ok");
  r = eval(
      win,
      "(async () => { const xs = []; for (let i = 0; i < 10000; i++) xs.push({ i, s: 'item' + i });"
      " const ys = await api.invoke('echo', xs); return ys.length === 10000 && ys[9999].s === "
      "'item9999' })()");
  EXPECT_TRUE(r.get_bool());
}

}  // namespace
}  // namespace valence::test
