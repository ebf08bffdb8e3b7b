// webContents.executeJavaScript as Electron's: the code runs once, as a
// script of the page (its completion value is the result, a Promise is
// awaited), whatever the page's Content-Security-Policy; the result arrives
// by structured clone, and what cannot be cloned rejects naming its path.
#include <cmath>

#include "harness.h"

namespace valence::test {
namespace {

const char* kPage =
    "<!DOCTYPE html><html><body>page<script>window.count = 0</script></body></html>";

// Only scripts of the page's own origin run, and no eval: the policy
// Electron's security checklist recommends. Violations are counted by the
// preload (the page's own scripts could not even run inline).
const char* kStrictCspPage =
    "<!DOCTYPE html><html><head><meta http-equiv=\"Content-Security-Policy\" "
    "content=\"default-src 'none'; script-src 'self'\"></head><body>strict</body></html>";
const char* kCountViolations = R"JS(
document.addEventListener('securitypolicyviolation', (e) => {
  const root = document.documentElement
  root.dataset.violations = String(Number(root.dataset.violations || 0) + 1)
  root.dataset.lastViolation = e.violatedDirective
})
)JS";

class ExecuteJavaScriptTest : public WebTest {
 protected:
  std::string error_of(const std::shared_ptr<BrowserWindow>& win, const std::string& code) {
    auto r = try_eval(win, code);
    EXPECT_FALSE(r) << code << " resolved with " << (r ? r->to_debug_string() : "");
    return r ? std::string() : r.error().message;
  }
  std::string debug(const std::shared_ptr<BrowserWindow>& win, const std::string& code) {
    return eval(win, code).to_debug_string();
  }
};

TEST_F(ExecuteJavaScriptTest, CodeThatThrowsASyntaxErrorAtRunTimeRunsOnce) {
  auto win = open("", kPage);
  // An expression that parses, then throws a SyntaxError while running.
  std::string message = error_of(win, "(window.count++, JSON.parse('{'))");
  EXPECT_NE(message.find("SyntaxError"), std::string::npos) << message;
  EXPECT_NE(message.find("JSON"), std::string::npos) << "the real error: " << message;
  EXPECT_EQ(debug(win, "window.count"), "1") << "the code ran more than once";

  // A rejected Promise whose reason is a SyntaxError.
  message = error_of(win, "(window.count++, Promise.reject(new SyntaxError('boom')))");
  EXPECT_NE(message.find("boom"), std::string::npos) << message;
  EXPECT_EQ(debug(win, "window.count"), "2");

  // Statements that throw one.
  message = error_of(win, "window.count++; JSON.parse('{')");
  EXPECT_NE(message.find("JSON"), std::string::npos) << message;
  EXPECT_EQ(debug(win, "window.count"), "3");

  // Statements, then a Promise.
  EXPECT_EQ(debug(win, "window.count++; Promise.resolve(window.count)"), "4");
  EXPECT_EQ(debug(win, "window.count"), "4");
  // Side effects without errors happen once too.
  EXPECT_EQ(debug(win, "++window.count"), "5");
  EXPECT_EQ(debug(win, "window.count++; window.count"), "6");
  EXPECT_EQ(debug(win, "window.count"), "6");
}

TEST_F(ExecuteJavaScriptTest, CodeThatDoesNotParseRunsNeverAndSaysWhy) {
  auto win = open("", kPage);
  std::string message = error_of(win, "window.count++; )");
  EXPECT_NE(message.find("SyntaxError"), std::string::npos) << message;
  EXPECT_EQ(debug(win, "window.count"), "0");
}

TEST_F(ExecuteJavaScriptTest, TheCodeIsAScriptOfThePage) {
  auto win = open("", kPage);
  EXPECT_EQ(debug(win, "var x = 1; x + 1"), "2");
  EXPECT_EQ(debug(win, "x"), "1") << "a var of the script is a global";
  EXPECT_EQ(debug(win, "let y = 20\ny * 2"), "40") << "no semicolons";
  EXPECT_EQ(debug(win, "document.title = 'one'; document.title;"), "\"one\"");
  // A function declaration declares a global (not a function expression).
  EXPECT_EQ(debug(win, "function hello() { return 'hi' }"), "undefined");
  EXPECT_EQ(debug(win, "hello()"), "\"hi\"");
  EXPECT_EQ(debug(win, "if (x === 1) { 'one' } else { 'other' }"), "\"one\"");
  // A block with a label, as a script reads it (not an object literal).
  EXPECT_EQ(debug(win, "{ a: 1 }"), "1");
  EXPECT_EQ(debug(win, "this === window"), "true");
  // The last expression statement's value, structured-cloned and awaited.
  EXPECT_EQ(debug(win, "const set = new Set([1])\nset"), "Set(1) {1}");
  EXPECT_EQ(debug(win, "var z = 2; z * 3; // done"), "6");
  // Where statements end. A line break before `(` continues the statement:
  // this declares f and completes with nothing.
  EXPECT_EQ(debug(win, "var f = (v) => v * 2\n(3)"), "undefined");
  // A `;` in a comment ends nothing.
  EXPECT_EQ(debug(win, "var q = 5 // a; q + 100"), "undefined");
  EXPECT_EQ(debug(win, "var r = 1; for (let i = 0; i < 3; i++) r *= 2; r"), "8");
  EXPECT_EQ(debug(win, "var s = 'a;b'; s.split(';')"), R"(["a", "b"])");
  EXPECT_EQ(debug(win, "// a comment\n 6 * 7 // another"), "42");
  EXPECT_EQ(eval(win, "'use strict'; (function () { return this })()").to_debug_string(),
            "undefined");
}

TEST_F(ExecuteJavaScriptTest, APromiseIsAwaited) {
  auto win = open("", kPage);
  EXPECT_EQ(debug(win, "new Promise(r => setTimeout(() => r(41), 10)).then(v => v + 1)"), "42");
  EXPECT_EQ(debug(win, "const p = Promise.resolve(new Map([[1, 2]])); p"), "Map(1) {1 => 2}");
  std::string message = error_of(win,
                                 "new Promise((_, no) => setTimeout(() => no(new "
                                 "TypeError('late')), 10))");
  EXPECT_NE(message.find("TypeError: late"), std::string::npos) << message;
  auto r = try_eval(win, "Promise.reject(new RangeError('far', { cause: 7 }))");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kHandlerRejected);
  ASSERT_TRUE(r.error().remote) << "the rejection's Error arrives as a value";
  ASSERT_TRUE(r.error().remote->is_error()) << *r.error().remote;
  EXPECT_EQ(r.error().remote->get_error().prototype, ErrorPrototype::kRangeError);
  EXPECT_EQ(r.error().remote->get_error().message->utf8(), "far");
  EXPECT_EQ(r.error().remote->get_error().cause.to_debug_string(), "7");
}

TEST_F(ExecuteJavaScriptTest, TheResultIsAStructuredClone) {
  auto win = open("", kPage);
  EXPECT_EQ(debug(win, "new Map([[1, 'one'], ['k', { deep: [true] }]])"),
            R"(Map(2) {1 => "one", "k" => {deep: [true]}})");
  EXPECT_EQ(debug(win, "new Set([1, 'a', null])"), R"(Set(3) {1, "a", null})");
  EXPECT_EQ(debug(win, "new Uint16Array([1, 2, 65535])"), "Uint16Array(3) [1, 2, 65535]");
  EXPECT_EQ(debug(win, "123456789012345678901234567890n"), "123456789012345678901234567890n");
  EXPECT_EQ(debug(win, "-10n"), "-10n");
  Value date = eval(win, "new Date(1700000000000)");
  ASSERT_TRUE(date.is_date()) << date;
  EXPECT_EQ(date.get_date().time, 1700000000000.0);
  EXPECT_EQ(debug(win, "/a+b/gi"), "/a+b/gi");
  Value buffer = eval(win, "new Uint8Array([0, 1, 255]).buffer");
  ASSERT_TRUE(buffer.is_array_buffer()) << buffer;
  EXPECT_EQ(buffer.get_array_buffer().byte_length(), 3u);
  Value error = eval(win, "new TypeError('t', { cause: 'c' })");
  ASSERT_TRUE(error.is_error()) << error;
  EXPECT_EQ(error.get_error().prototype, ErrorPrototype::kTypeError);
  EXPECT_EQ(error.get_error().cause.to_debug_string(), "\"c\"");
  EXPECT_EQ(debug(win, "[1, , 3]"), "[1, <hole>, 3]");
  Value zero = eval(win, "-0");
  ASSERT_TRUE(zero.is_number());
  EXPECT_TRUE(std::signbit(zero.get_number()));
  EXPECT_EQ(debug(win, "NaN"), "NaN");
  Value s = eval(win, "'\\u00e9 \\u{1F600} \\ud800 \\0 end'");
  ASSERT_TRUE(s.is_string());
  EXPECT_EQ(s.get_string(), std::string("\xC3\xA9 \xF0\x9F\x98\x80 \xED\xA0\x80 \0 end", 17))
      << "lone surrogates and NULs survive";
  EXPECT_EQ(debug(win, "undefined"), "undefined");
  EXPECT_TRUE(eval(win, "null").is_null());
  // Shared references and cycles.
  EXPECT_EQ(debug(win, "(() => { const o = { name: 'o' }; o.self = o; return { a: o, b: o } })()"),
            R"({a: {name: "o", self: <ref #1>}, b: <ref #1>})");
  EXPECT_EQ(debug(win, "(() => { const a = [1]; a.push(a); return a })()"), "[1, <ref #0>]");
  // Class instances clone as plain objects, boxed primitives as themselves.
  EXPECT_EQ(debug(win, "new (class { constructor() { this.n = 1 } })()"), "{n: 1}");
  Value boxed = eval(win, "new Number(5)");
  ASSERT_EQ(boxed.type(), Type::kNumberObject) << boxed;
  EXPECT_EQ(boxed.get_number_object().value, 5);
}

TEST_F(ExecuteJavaScriptTest, CodeThatBreaksTheIntrinsicsStillGetsItsResult) {
  auto win = open("", kPage);
  // The encoder captured what it uses before the statements ran.
  EXPECT_EQ(debug(win, R"JS(
const m = new Map([[1, [2]]])
Map.prototype.forEach = Array.prototype.push = Object.keys = null
Object.defineProperty(Array.prototype, '0', { set() { throw 1 }, configurable: true })
Promise.prototype.then = () => { throw 2 }
m
)JS"),
            "Map(1) {1 => [2]}");
}

TEST_F(ExecuteJavaScriptTest, LargeAndDeepResults) {
  auto win = open("", kPage);
  Value big = eval(win, "new Uint8Array(1 << 20).fill(7)");
  ASSERT_TRUE(big.is_view()) << big.type_name();
  ASSERT_EQ(big.get_view().byte_length(), 1u << 20);
  EXPECT_EQ(big.get_view().own_bytes()[12345], 7);
  Value text = eval(win, "'\u00ff'.repeat(300000) + '\u0100'");
  ASSERT_TRUE(text.is_string());
  EXPECT_EQ(text.get_js_string().length(), 300001u);
  // As deep as the codec carries (1000 levels), and one more.
  const std::string nest = "(n => { let v = []; for (let i = 1; i < n; i++) v = [v]; return v })";
  Value deep = eval(win, nest + "(1000)");
  int levels = 0;
  for (const Value* v = &deep; v && v->is_array(); v = v->get_array().get(0)) ++levels;
  EXPECT_EQ(levels, 1000);
  auto r = try_eval(win, nest + "(1001)");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kCloneError);
  EXPECT_NE(r.error().message.find("nested deeper than 1000 levels"), std::string::npos)
      << r.error().message.substr(0, 200);
}

TEST_F(ExecuteJavaScriptTest, WhatCannotBeClonedRejectsNamingItsPath) {
  auto win = open("", kPage);
  auto expect_clone_error = [&](const std::string& code, const std::string& message) {
    auto r = try_eval(win, code);
    ASSERT_FALSE(r) << code << " resolved with " << r->to_debug_string();
    EXPECT_EQ(r.error().code, ErrorCode::kCloneError) << code << ": " << r.error().message;
    EXPECT_EQ(r.error().message, message) << code;
  };
  expect_clone_error("({ f() {} })", "result.f: function could not be cloned");
  expect_clone_error("() => 1", "result: function could not be cloned");
  expect_clone_error("[1, Symbol('s')]", "result[1]: symbol could not be cloned");
  expect_clone_error("({ el: document.body })", "result.el: HTMLBodyElement could not be cloned");
  expect_clone_error("new Map([[1, { g: window }]])",
                     "result[Map value 0].g: Window could not be cloned");
  expect_clone_error("Promise.resolve({ 'a b': [() => 0] })",
                     "result[\"a b\"][0]: function could not be cloned");
  // The code ran (once) before its result failed to clone.
  expect_clone_error("(window.count++, { f: Math.max })", "result.f: function could not be cloned");
  EXPECT_EQ(debug(win, "window.count"), "1");
}

TEST_F(ExecuteJavaScriptTest, AStrictContentSecurityPolicyDoesNotStopIt) {
  auto win = open(kCountViolations, kStrictCspPage);
  // The policy is in force for the page itself.
  EXPECT_EQ(error_of(win, "eval('1')").find("EvalError"), 0u);
  // The violation event is a task of its own: it may come after eval's error.
  EXPECT_TRUE(wait_for(
      [&] { return debug(win, "document.documentElement.dataset.violations") == "\"1\""; }));
  EXPECT_EQ(debug(win, "document.body.textContent"), "\"strict\"");
  EXPECT_EQ(debug(win, "Promise.resolve(6).then(v => v * 7)"), "42");
  EXPECT_EQ(debug(win, "var m = new Map([[1, new Set([2])]]); m"), "Map(1) {1 => Set(1) {2}}");
  EXPECT_EQ(debug(win, "function f() { return 'f' } f()"), "\"f\"");
  EXPECT_EQ(debug(win, "if (m.size) { 'yes' }"), "\"yes\"");
  EXPECT_EQ(error_of(win, "null.x").find("TypeError"), 0u);
  // Running the app's code itself violated nothing.
  EXPECT_EQ(debug(win, "document.documentElement.dataset.violations"), "\"1\"");
}

}  // namespace
}  // namespace valence::test
