// contextBridge's nesting limit, as Electron's: a value that crosses is
// walked from depth 0 (exposeInMainWorld's API, each argument of a call,
// a return value, a Promise's result); an array's elements are one level
// deeper, a plain object's property values two (Electron copies an object
// through CreateProxyForAPI, one level, whose properties are one more); any
// value at depth 1000 or more throws Electron's TypeError ("Electron
// contextBridge recursion depth exceeded.  Nested objects deeper than 1000
// are not supported.") in the world that made the call.
#include <string>

#include "harness.h"

namespace valence::test {
namespace {

// In both worlds. nestArrays(n): n arrays, each the only element of the one
// around it, the innermost empty (so the innermost is at depth n - 1);
// nestArrays(n, leaf): the innermost holds leaf (at depth n). nestObjects
// likewise with { v }, two levels each.
const char* kNestJs = R"JS(
function nestArrays(n, ...leaf) {
  let v = leaf.length ? [leaf[0]] : []
  for (let i = 1; i < n; i++) v = [v]
  return v
}
function nestObjects(n, ...leaf) {
  let v = leaf.length ? { v: leaf[0] } : {}
  for (let i = 1; i < n; i++) v = { v }
  return v
}
function levels(v) {
  let n = 0
  while (typeof v === 'object' && v !== null) { n++; v = Array.isArray(v) ? v[0] : v.v }
  return n
}
// What f() did: 'ok', or the exception as '<its type in this world>: message'.
function outcome(f) {
  try {
    f()
    return 'ok'
  } catch (e) {
    const kind = e instanceof TypeError && e.constructor === TypeError ? 'TypeError'
               : e instanceof Error ? 'Error ' + e.name : 'not an Error of this world'
    return kind + ': ' + e.message
  }
}
)JS";

const std::string kPreload = std::string(kNestJs) + R"JS(
const { contextBridge } = require('electron')
const exposed = {
  arrays1000: outcome(() => contextBridge.exposeInMainWorld('arrays1000', nestArrays(1000))),
  arrays1001: outcome(() => contextBridge.exposeInMainWorld('arrays1001', nestArrays(1001))),
  leaf999: outcome(() => contextBridge.exposeInMainWorld('leaf999', nestArrays(999, 0))),
  leaf1000: outcome(() => contextBridge.exposeInMainWorld('leaf1000', nestArrays(1000, 0))),
  objects500: outcome(() => contextBridge.exposeInMainWorld('objects500', nestObjects(500))),
  objects501: outcome(() => contextBridge.exposeInMainWorld('objects501', nestObjects(501))),
}
contextBridge.exposeInMainWorld('api', {
  exposed: JSON.stringify(exposed),
  take: (v) => levels(v),
  arrays: (n) => nestArrays(n),
  arraysWithLeaf: (n) => nestArrays(n, 'leaf'),
  objects: (n) => nestObjects(n),
  later: (n) => Promise.resolve(nestArrays(n)),
})
)JS";

const std::string kPage =
    "<!DOCTYPE html><html><body>depth<script>" + std::string(kNestJs) + "</script></body></html>";

constexpr char kTooDeep[] =
    "TypeError: Electron contextBridge recursion depth exceeded.  Nested objects deeper than 1000 "
    "are not supported.";

class BridgeDepthTest : public WebTest {
 protected:
  std::string str(const std::shared_ptr<BrowserWindow>& win, const std::string& code) {
    Value v = eval(win, code);
    return v.is_string() ? v.get_string() : v.to_debug_string();
  }
};

TEST_F(BridgeDepthTest, ExposeInMainWorldThrowsInThePreloadPastTheLimit) {
  auto win = open(kPreload, kPage);
  const std::string tooDeep = std::string("\"") + kTooDeep + "\"";
  EXPECT_EQ(str(win, "api.exposed"), std::string("{\"arrays1000\":\"ok\",\"arrays1001\":") +
                                         tooDeep + ",\"leaf999\":\"ok\",\"leaf1000\":" + tooDeep +
                                         ",\"objects500\":\"ok\",\"objects501\":" + tooDeep + "}");
  EXPECT_EQ(str(win, "levels(arrays1000)"), "1000");
  EXPECT_EQ(str(win, "levels(leaf999)"), "999");
  EXPECT_EQ(str(win, "levels(objects500)"), "500");
  EXPECT_EQ(str(win, "[typeof arrays1001, typeof leaf1000, typeof objects501].join()"),
            "undefined,undefined,undefined")
      << "nothing is exposed when the copy fails";
}

TEST_F(BridgeDepthTest, ArgumentsThrowInThePagePastTheLimit) {
  auto win = open(kPreload, kPage);
  EXPECT_EQ(str(win, "outcome(() => api.take(nestArrays(1000)))"), "ok");
  EXPECT_EQ(str(win, "api.take(nestArrays(1000))"), "1000");
  EXPECT_EQ(str(win, "outcome(() => api.take(nestArrays(1001)))"), kTooDeep);
  EXPECT_EQ(str(win, "outcome(() => api.take(nestArrays(999, 0)))"), "ok");
  EXPECT_EQ(str(win, "outcome(() => api.take(nestArrays(1000, 0)))"), kTooDeep)
      << "the leaf is at depth 1000";
  EXPECT_EQ(str(win, "outcome(() => api.take(nestObjects(500)))"), "ok");
  EXPECT_EQ(str(win, "outcome(() => api.take(nestObjects(501)))"), kTooDeep);
  EXPECT_EQ(str(win, "outcome(() => api.take(nestObjects(499, 0)))"), "ok");
  EXPECT_EQ(str(win, "outcome(() => api.take(nestObjects(500, 0)))"), kTooDeep);
  // Each argument starts at depth 0.
  EXPECT_EQ(str(win, "outcome(() => api.take(nestArrays(1000), nestArrays(1000)))"), "ok");
}

TEST_F(BridgeDepthTest, ResultsThrowInThePagePastTheLimit) {
  auto win = open(kPreload, kPage);
  EXPECT_EQ(str(win, "levels(api.arrays(1000))"), "1000");
  EXPECT_EQ(str(win, "outcome(() => api.arrays(1001))"), kTooDeep);
  EXPECT_EQ(str(win, "outcome(() => api.arraysWithLeaf(999))"), "ok");
  EXPECT_EQ(str(win, "outcome(() => api.arraysWithLeaf(1000))"), kTooDeep);
  EXPECT_EQ(str(win, "levels(api.objects(500))"), "500");
  EXPECT_EQ(str(win, "outcome(() => api.objects(501))"), kTooDeep);
  // A Promise's result too, as a rejection of the page's.
  EXPECT_EQ(str(win, "api.later(1000).then(levels)"), "1000");
  EXPECT_EQ(str(win, "api.later(1001).then(() => 'resolved', (e) => outcome(() => { throw e }))"),
            kTooDeep);
}

}  // namespace
}  // namespace valence::test
