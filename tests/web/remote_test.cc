// The remote module in real WebKitGTK windows: seed 004's behaviours (the B
// numbers of docs/remote.md), its lifetime rules and the attacks a page can
// make on it. The preload world's code runs through eval_preload (the app's
// preload would run the same code); the page's main world never sees remote.
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "harness.h"
#include "support/fds.h"
#include "valence/main/main_process.h"
#include "valence/main/web_contents.h"
#include "valence/remote.h"
#include "valence/ui/dialog.h"
#include "valence/ui/menu.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define VALENCE_REMOTE_TEST_ASAN 1
#endif
#endif
#ifndef VALENCE_REMOTE_TEST_ASAN
#define VALENCE_REMOTE_TEST_ASAN 0
#endif

namespace valence::test {
namespace {

struct Counter {
  explicit Counter(int v) : value(v) {}
  int value = 0;
  int add(int n) { return value += n; }
  std::vector<int> history() const { return {value, value * 2}; }
  remote::Events events;
};

struct Animal {
  virtual ~Animal() = default;
  std::string sound = "...";
  std::string speak() { return "I say " + sound; }
};
struct Dog : Animal {
  Dog() { sound = "woof"; }
  int tricks = 2;
};

struct Fixture {
  std::vector<std::string> order;  // what main saw, in order
  std::weak_ptr<Counter> last_made;
  std::vector<remote::Callback> held;
  std::shared_ptr<Counter> kept = std::make_shared<Counter>(7);
  std::shared_ptr<remote::SharedObject> shared;
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

// Registered once per test process (the App is one per process).
remote::Registry& registry() {
  static remote::Registry* r = [] {
    auto& reg = test_app().remote();
    auto& counter = reg.define<Counter>("Counter");
    counter
        .constructor([](int start) {
          auto c = std::make_shared<Counter>(start);
          fixture().last_made = c;
          return c;
        })
        .property("value", &Counter::value)
        .property("doubled", [](const Counter& c) { return c.value * 2; })
        .method("add", &Counter::add)
        .method("history", &Counter::history)
        .method("guarded", [](Counter&) { return 1; })
        .method("fail",
                [](Counter&) -> Result<int> {
                  return make_error(ErrorCode::kFailed, "it failed in main");
                })
        .method("emit", [](Counter& c, std::string name, int v) { c.events.emit(name, v); })
        .events(&Counter::events)
        .static_method("zero", [] { return std::make_shared<Counter>(0); });
    reg.module("./mapNumbers", [](remote::Module& m) {
      m.function("withRendererCallback", [](remote::Callback mapper) {
        std::vector<Value> out;
        for (int x : {1, 2, 3}) {
          mapper(x);
          out.emplace_back();
        }
        return out;
      });
      m.function("withLocalCallback", [] { return std::vector<int>{2, 3, 4}; });
    });
    auto& animal = reg.define<Animal>("Animal");
    animal.property("sound", &Animal::sound).method("speak", &Animal::speak);
    auto& dog = reg.define<Dog>("Dog");
    dog.inherits(animal)
        .constructor([] { return std::make_shared<Dog>(); })
        .property("tricks", &Dog::tricks);
    reg.module("counter", [&counter, &dog](remote::Module& m) {
      m.constructor("Counter", counter);
      m.constructor("Dog", dog);
      m.function("echo", [](Value v) { return v; });
      m.function("addSharedKey", [](std::string key) { fixture().shared->set(key, Value(1)); });
      m.function("mark", [] { fixture().order.push_back("remote call"); });
      m.function("sendDuring", [](remote::CallContext& ctx) {
        ctx.sender->send("during", 1);
        return 1;
      });
      m.value("answer", Value(42));
      m.object("kept", fixture().kept);
      m.function("hold", [](remote::Callback cb) {
        fixture().held.push_back(cb);
        return fixture().held.size();
      });
      m.function("callHeld", [](int v) {
        int ok = 0;
        for (auto& cb : fixture().held) ok += cb(v) ? 1 : 0;
        return ok;
      });
      m.function("makeMany", [](int n) {
        std::vector<std::shared_ptr<Counter>> out;
        for (int i = 0; i < n; ++i) out.push_back(std::make_shared<Counter>(i));
        return out;
      });
      m.function("later", [](int v) {
        Promise<int> p;
        auto f = p.future();
        auto pp = std::make_shared<Promise<int>>(std::move(p));
        test_app().loop().post([pp, v] { pp->set(v * 2); });
        return f;
      });
      m.function("twice", [](Future<Value> p) {
        Promise<int> out;
        auto f = out.future();
        p.then([o = std::make_shared<Promise<int>>(std::move(out))](Result<Value> settled) {
          if (!settled) {
            o->set(Unexpected{settled.error()});
            return;
          }
          auto n = settled->get_if_number();
          o->set(n ? static_cast<int>(*n * 2) : -1);
        });
        return f;
      });
      m.function("holdMany", [](std::vector<remote::Callback> cbs) {
        for (auto& cb : cbs) fixture().held.push_back(std::move(cb));
        return fixture().held.size();
      });
      m.function("dropHeld", [] { fixture().held.clear(); });
      m.function("constant", [](remote::Callback cb) {
        return cb.has_constant() ? cb.constant().clone() : Value("no constant");
      });
    });
    // Filters (@electron/remote's events, and the central one).
    reg.on_require([](remote::RootEvent& e) {
      if (e.name == "blocked") e.prevent_default();
      if (e.name == "substituted") e.set_return_value(Value("from the filter"));
    });
    reg.on_get_global([](remote::RootEvent& e) {
      if (e.name == "hidden") e.prevent_default();
    });
    reg.set_call_filter([](const remote::OpInfo& op) {
      return op.member == "guarded" ? remote::deny("not for pages") : remote::allow();
    });
    reg.global("hidden", Value("secret"));
    fixture().shared = remote::SharedObject::create({{"someProperty", Value("default value")}});
    reg.global("sharedObject", fixture().shared);
    return &reg;
  }();
  return *r;
}

class RemoteTest : public WebTest {
 protected:
  std::shared_ptr<BrowserWindow> open_remote(const std::string& preload = "") {
    registry();
    BrowserWindowOptions o;
    o.web_preferences.enable_remote_module = true;
    return open(preload, "<!doctype html><title>remote</title><p>remote</p>", {}, o);
  }
  Value pre(const std::shared_ptr<BrowserWindow>& win, const std::string& code) {
    auto r = eval_preload(win, code);
    EXPECT_TRUE(r.has_value()) << code << "\n -> " << (r ? "" : r.error().message);
    return r ? std::move(r).value() : Value();
  }
  std::string pre_string(const std::shared_ptr<BrowserWindow>& win, const std::string& code) {
    Value v = pre(win, code);
    return v.is_string() ? v.get_string() : "<" + v.to_debug_string() + ">";
  }
  remote::Stats stats(const std::shared_ptr<BrowserWindow>& win) {
    return registry().stats(*win->web_contents());
  }
};

TEST_F(RemoteTest, EnabledOnlyWhenAsked) {  // B1, B2, D7
  auto plain = open("", "<p>x</p>");
  EXPECT_EQ(pre_string(plain, "String(require('electron').remote)"), "undefined");
  auto win = open_remote();
  EXPECT_EQ(pre_string(win, "typeof require('electron').remote.require"), "function");
  // B4: GUI modules are main's; the page reaches them through remote only.
  EXPECT_EQ(pre_string(win, "typeof require('electron').dialog"), "undefined");
  EXPECT_EQ(pre_string(win, "typeof require('electron').remote.dialog.showOpenDialog"), "function");
  EXPECT_EQ(pre_string(win, "typeof require('electron').remote.Menu.buildFromTemplate"),
            "function");
  // The page's main world has no require at all.
  EXPECT_EQ(eval(win, "typeof require").get_string(), "undefined");
}

TEST_F(RemoteTest, MethodCallsAndProperties) {  // B6, B10, B12, B13
  auto win = open_remote();
  EXPECT_EQ(pre_string(win, R"(
    const { Counter } = require('electron').remote.require('counter')
    const c = new Counter(1)
    const r = [c.add(2), c.value, c.doubled, Object.keys(c).join(','), typeof c.add,
               c instanceof Counter, c.add === c.add]
    c.value = 10
    r.push(c.value)
    const h = c.history(); h.push(99)
    r.push(JSON.stringify(h), JSON.stringify(c.history()))
    JSON.stringify(r))"),
            R"([3,3,6,"value,doubled","function",true,true,10,"[10,20,99]","[10,20]"])");
}

TEST_F(RemoteTest, ErrorsSayWhatAndWhere) {
  auto win = open_remote();
  EXPECT_EQ(
      pre_string(win, R"(
    const remote = require('electron').remote
    const out = []
    try { remote.require('fs') } catch (e) { out.push(e.message, e.code) }
    const { Counter } = remote.require('counter')
    const c = new Counter(1)
    try { c.add('x') } catch (e) { out.push(e.name, e.message, e.cause && e.cause.message) }
    try { c.fail() } catch (e) { out.push(e.message) }
    try { Counter(1) } catch (e) { out.push(e.name) }
    try { c.value = 'no' } catch (e) { out.push(e.message) }
    JSON.stringify(out))"),
      R"(["Cannot find module 'fs'","MODULE_NOT_FOUND","TypeError",)"
      R"("Could not call remote function 'add'. Check that the function signature is correct. )"
      R"(Underlying error: args[0]: expected number, got string","args[0]: expected number, got string",)"
      R"("Could not call remote function 'fail'. Check that the function signature is correct. )"
      R"(Underlying error: it failed in main","TypeError","value: expected number, got string"])");
}

TEST_F(RemoteTest, MapNumbersSeedExample) {  // B19, B20
  auto win = open_remote();
  EXPECT_EQ(pre_string(win, R"(
    const mapNumbers = require('electron').remote.require('./mapNumbers')
    const withRendererCb = mapNumbers.withRendererCallback(x => x + 1)
    const withLocalCb = mapNumbers.withLocalCallback()
    JSON.stringify([withRendererCb, withLocalCb]))"),
            "[[null,null,null],[2,3,4]]");
}

TEST_F(RemoteTest, CallbacksRunAfterTheCallAndDieWithTheDocument) {  // B18, B19, B22, B24, B25
  auto win = open_remote();
  fixture().held.clear();
  std::vector<std::string> reports;
  ipc().set_error_reporter([&](const std::string& m) { reports.push_back(m); });
  pre(win, R"(
    globalThis.calls = []
    const m = require('electron').remote.require('counter')
    m.hold((v) => calls.push(v))
    'ok')");
  ASSERT_EQ(fixture().held.size(), 1u);
  EXPECT_TRUE(fixture().held[0].alive());
  EXPECT_EQ(stats(win).imports, 1u);
  EXPECT_TRUE(fixture().held[0](5));
  ASSERT_TRUE(wait_for([&] { return pre_string(win, "JSON.stringify(calls)") == "[5]"; }));
  // A reload ends the document: its function is gone, at once.
  eval(win, "location.reload(); 1");
  ASSERT_TRUE(wait_for([&] { return !fixture().held[0].alive(); }));
  EXPECT_FALSE(fixture().held[0](6));
  EXPECT_FALSE(fixture().held[0](7));
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_NE(reports[0].find("Attempting to call a function in a renderer window that has been "
                            "closed or released. Function provided here: "),
            std::string::npos);
  fixture().held.clear();
  ipc().set_error_reporter(nullptr);
}

TEST_F(RemoteTest, EventsListenersLeaveWithTheirDocument) {  // B23, B24, B26, B43
  auto win = open_remote();
  std::shared_ptr<Counter> kept = fixture().kept;
  kept->events.remove_all("", 0, 0);
  for (int i = 0; i < 5; ++i) {
    pre(win, R"(
      const m = require('electron').remote.require('counter')
      globalThis.got = []
      m.kept.on('tick', (v) => got.push(v))
      'ok')");
    EXPECT_EQ(kept->events.listener_count("tick"), 1u) << "round " << i;
    eval(win, "location.reload(); 1");
    ASSERT_TRUE(wait_for([&] { return kept->events.listener_count("tick") == 0; }));
    ASSERT_TRUE(
        wait_for([&] { return pre_string(win, "typeof require('electron').remote") == "object"; }));
  }
  EXPECT_EQ(pre_string(win, R"(
    const k = require('electron').remote.require('counter').kept
    const f = (v) => got.push(v)
    globalThis.got = []
    k.on('tick', f)
    const a = k.listenerCount('tick')
    k.emit('tick', 3)
    k.removeListener('tick', f)
    JSON.stringify([a, k.listenerCount('tick')]))"),
            "[1,0]");
  ASSERT_TRUE(wait_for([&] { return pre_string(win, "JSON.stringify(got)") == "[3]"; }));
}

TEST_F(RemoteTest, ReferencesAreCountedAndReleased) {  // B14, B15, L2, L4
  auto win = open_remote();
  pre(win, R"(
    globalThis.m = require('electron').remote.require('counter')
    globalThis.c = new m.Counter(3)
    'ok')");
  std::weak_ptr<Counter> made = fixture().last_made;
  ASSERT_FALSE(made.expired());
  // The page holds it: main keeps it alive without a reference of its own.
  pre(win, "__valenceTest.gc(); 'ok'");
  pump(std::chrono::milliseconds(100));
  EXPECT_FALSE(made.expired());
  EXPECT_EQ(pre_string(win, "String(c.add(1))"), "4");
  // Dropped and collected: main frees it.
  pre(win, "globalThis.c = null; __valenceTest.gc(); 'ok'");
  ASSERT_TRUE(wait_for([&] {
    pre(win, "__valenceTest.gc(); 'ok'");
    return made.expired();
  }));
  // The same object sent many times to one proxy is freed with it (the
  // @electron/remote pinning case).
  auto before = stats(win).exports;
  pre(win, "globalThis.k = []; for (let i = 0; i < 100; i++) k.push(m.kept); 'ok'");
  EXPECT_EQ(stats(win).exports, before + 1);
  pre(win, "globalThis.k = null; __valenceTest.gc(); 'ok'");
  ASSERT_TRUE(wait_for([&] {
    pre(win, "__valenceTest.gc(); 'ok'");
    return stats(win).exports == before;
  }));
  // 10,000 proxies made by one call and dropped: all released.
  pre(win, "globalThis.many = m.makeMany(10000); String(many.length)");
  EXPECT_EQ(stats(win).exports, before + 10000);
  pre(win, "globalThis.many = null; __valenceTest.gc(); 'ok'");
  ASSERT_TRUE(wait_for([&] {
    pre(win, "__valenceTest.gc(); 'ok'");
    return stats(win).exports == before;
  }));
}

TEST_F(RemoteTest, ReloadReleasesEverything) {  // B16, L1
  auto win = open_remote();
  pre(win, R"(
    const m = require('electron').remote.require('counter')
    globalThis.keep = [m.makeMany(50), new m.Counter(1), m.kept]
    'ok')");
  EXPECT_GE(stats(win).exports, 52u);
  eval(win, "location.reload(); 1");
  ASSERT_TRUE(wait_for([&] { return stats(win).exports == 0; }));
}

TEST_F(RemoteTest, GlobalsWindowsAndProcess) {  // B7, B11, B29, B30, B31, B32
  auto win = open_remote();
  EXPECT_EQ(pre_string(win, R"(
    const remote = require('electron').remote
    const w = remote.getCurrentWindow()
    const s = remote.getGlobal('sharedObject')
    const r = [w.id, w === remote.getCurrentWindow(), w.webContents === remote.getCurrentWebContents(),
               s.someProperty, remote.process.type, remote.process === remote.process,
               typeof remote.BrowserWindow, remote.getGlobal('nothing') === undefined]
    s.someProperty = 'new value'
    r.push(remote.getGlobal('sharedObject').someProperty)
    s.someProperty = 'default value'
    JSON.stringify(r))"),
            "[" + std::to_string(win->id()) +
                R"(,true,true,"default value","browser",true,"function",true,"new value"])");
  std::size_t before = app().windows().size();
  EXPECT_EQ(pre_string(win, R"(
    const { BrowserWindow } = require('electron').remote
    globalThis.w2 = new BrowserWindow({ width: 640, height: 480, show: false })
    JSON.stringify([w2 instanceof BrowserWindow, w2.getSize()]))"),
            "[true,[640,480]]");
  EXPECT_EQ(app().windows().size(), before + 1);
  pre(win, "w2.close(); 'ok'");
  ASSERT_TRUE(wait_for([&] { return app().windows().size() == before; }));
  EXPECT_EQ(pre_string(win, "try { w2.getTitle() } catch (e) { e.message }"),
            "Object has been destroyed");
}

TEST_F(RemoteTest, PagePromisesReachMainAsFutures) {  // B42 (page -> main)
  auto win = open_remote();
  pre(win, R"({
    globalThis.out = []
    const m = require('electron').remote.require('counter')
    m.twice(Promise.resolve(1234)).then((v) => out.push(v))
    m.twice(Promise.reject(new TypeError('no'))).catch((e) => out.push(e.name, e.message))
    let resolveLater
    m.twice(new Promise((r) => { resolveLater = r })).then((v) => out.push(v))
    setTimeout(() => resolveLater(21), 50)
    'ok' })");
  ASSERT_TRUE(wait_for(
      [&] { return pre_string(win, "JSON.stringify(out)") == R"([2468,"TypeError","no",42])"; }));
}

TEST_F(RemoteTest, PromisesAndConstants) {  // B42 (main -> page), B44
  auto win = open_remote();
  pre(win, R"(
    globalThis.out = []
    const m = require('electron').remote.require('counter')
    m.later(21).then((v) => out.push(v))
    out.push(m.constant(require('electron').remote.createFunctionWithReturnValue(5)))
    'ok')");
  ASSERT_TRUE(wait_for([&] { return pre_string(win, "JSON.stringify(out)") == "[5,42]"; }));
}

TEST_F(RemoteTest, NothingUndeclaredReachesMain) {  // §d.9
  auto win = open_remote();
  // Undeclared names resolve in the page's own world (Object.prototype and
  // Function.prototype of the preload), never as an operation in main.
  EXPECT_EQ(pre_string(win, R"(
    const m = require('electron').remote.require('counter')
    const c = new m.Counter(1)
    JSON.stringify([c.constructor === m.Counter, m.Counter.constructor === Function,
                    c.nothing === undefined, Object.getPrototypeOf(Object.getPrototypeOf(c)) === Object.prototype]))"),
            "[true,true,true,true]");
}

// Seed 001's "Remote module RMI" page, as the seed prints it (the gallery's
// examples/legacy/rmi/index.html), in a node_integration window: the page's main world requires
// remote itself (its objects are twins of the preload's proxies) and builds a URL from
// __dirname.
std::string seed001_rmi_page() {
  std::ifstream in(std::string(VALENCE_SOURCE_DIR) + "/examples/legacy/rmi/index.html");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST_F(RemoteTest, Seed001RmiPageOpensAWindow) {  // B33, B34 (D5, D6)
  registry();
  BrowserWindowOptions o;
  o.web_preferences.enable_remote_module = true;
  o.web_preferences.node_integration = true;
  const std::string page = seed001_rmi_page();
  ASSERT_NE(page.find("require('electron').remote"), std::string::npos);
  auto win = open("", page, {}, o);
  EXPECT_EQ(eval(win, "typeof BrowserWindow").get_string(), "function");
  EXPECT_EQ(eval(win, "typeof app.quit").get_string(), "function");
  EXPECT_EQ(eval(win, "require('electron').remote === require('electron').remote").get_bool(),
            true);
  EXPECT_EQ(eval(win, "require('electron').remote.getCurrentWindow().id").get_number(), win->id());
  std::size_t before = app().windows().size();
  eval(win, "document.querySelectorAll('button')[0].click(); 1");
  ASSERT_EQ(app().windows().size(), before + 1);
  auto opened = app().windows().back();
  ASSERT_TRUE(wait_for([&] {
    const std::string url = opened->get_url();
    return url.size() > 11 && url.substr(url.size() - 11) == "/index.html";
  }));
  EXPECT_EQ(opened->get_url(), win->get_url());
  // The page made the window: a twin of a preload proxy of a main object.
  EXPECT_EQ(eval(win,
                 "(() => { const w = new BrowserWindow({show: false}); const r = [w instanceof "
                 "BrowserWindow, typeof w.loadURL, w.id > 0]; w.close(); return "
                 "JSON.stringify(r) })()")
                .get_string(),
            "[true,\"function\",true]");
  opened->close();
  ASSERT_TRUE(wait_for([&] { return app().windows().size() == before; }));
}

TEST_F(RemoteTest, FiltersSeeEveryEntryAndOperation) {  // B27a, §d.9
  auto win = open_remote();
  EXPECT_EQ(
      pre_string(win, R"({
    const remote = require('electron').remote
    const out = []
    try { remote.require('blocked') } catch (e) { out.push(e.message, e.code) }
    out.push(remote.require('substituted'))
    try { remote.getGlobal('hidden') } catch (e) { out.push(e.message) }
    const c = new (remote.require('counter').Counter)(1)
    try { c.guarded() } catch (e) { out.push(e.message, e.code) }
    out.push(c.add(1))
    JSON.stringify(out) })"),
      R"js(["Blocked remote.require('blocked')","ERR_REMOTE_BLOCKED","from the filter",)js"
      R"js("Blocked remote.getGlobal('hidden')","Blocked remote callMember of 'Counter.guarded': )js"
      R"js(not for pages","ERR_REMOTE_BLOCKED",2])js");
}

TEST_F(RemoteTest, AsyncViewPipelinesDependentCalls) {  // beyond Electron (§d.5)
  auto win = open_remote();
  pre(win, R"({
    const remote = require('electron').remote
    const am = remote.async(remote.require('counter'))
    globalThis.out = []
    globalThis.done = false
    ;(async () => {
      const c = await new am.Counter(5)
      out.push(remote.isRemote(remote.sync(c)), remote.async(remote.sync(c)) === c)
      out.push(await c.add(2), await c.value)
      c.value = 1
      out.push(await c.doubled)
      out.push(await am.Counter.zero().add(3))
      try { await am.nothing() } catch (e) { out.push(e.name, e.message) }
      out.push(await am.later(4))  // a C++ Future: its value
      done = true
    })().catch((e) => { out.push('failed: ' + e); done = true })
    'ok' })");
  ASSERT_TRUE(wait_for([&] { return pre_string(win, "String(done)") == "true"; }));
  EXPECT_EQ(
      pre_string(win, "JSON.stringify(out)"),
      R"js([true,true,7,7,2,3,"TypeError","remote object of class 'counter' has no member 'nothing'",8])js");
}

TEST_F(RemoteTest, AChainOfThreeDependentCallsIsOneMessage) {  // §d.5, R7's premise
  auto win = open_remote();
  pre(win, R"({
    const remote = require('electron').remote
    globalThis.am = remote.async(remote.require('counter'))
    globalThis.r = undefined
    'ok' })");
  auto before = stats(win);
  pre(win, "am.Counter.zero().add(3).then((v) => { r = v }); 'ok'");
  ASSERT_TRUE(wait_for([&] { return pre_string(win, "String(r)") == "3"; }));
  auto after = stats(win);
  EXPECT_EQ(after.messages - before.messages, 1u);
  EXPECT_EQ(after.operations - before.operations, 3u);
}

TEST_F(RemoteTest, DialogAndMenusFromThePage) {  // B4, B27, L8
  auto win = open_remote();
  dialog::set_test_responder([](const dialog::OpenDialogOptions& o) {
    dialog::OpenDialogReturnValue r;
    r.canceled = false;
    r.file_paths = {"/tmp/" + o.title};
    return r;
  });
  pre(win, R"({
    const remote = require('electron').remote
    globalThis.out = []
    remote.dialog.showOpenDialog({ title: 'async' }).then((r) => out.push(r.canceled, r.filePaths[0]))
    out.push(remote.dialog.showOpenDialogSync(remote.getCurrentWindow(), { title: 'sync' })[0])
    'ok' })");
  ASSERT_TRUE(wait_for([&] {
    return pre_string(win, "JSON.stringify(out)") == R"(["/tmp/sync",false,"/tmp/async"])";
  }));
  dialog::set_test_responder(nullptr);

  // Menus whose clicks are page functions; each replaced menu frees its
  // functions in the page (Electron #24187 kept them for ever).
  for (int i = 0; i < 20; ++i) {
    pre(win, R"({
      const { Menu } = require('electron').remote
      const click = (item, w) => out.push('clicked', w.id)
      __valenceTest.track(click, 'menu-click')
      Menu.setApplicationMenu(Menu.buildFromTemplate([
        { label: 'File', submenu: [{ label: 'Hello', id: 'hello', click }] }]))
      'ok' })");
  }
  pre(win, "out.length = 0; 'ok'");
  auto menu = Menu::get_application_menu();
  ASSERT_TRUE(menu);
  auto item = menu->get_menu_item_by_id("hello");
  ASSERT_TRUE(item);
  item->click(win);
  ASSERT_TRUE(wait_for([&] {
    return pre_string(win, "JSON.stringify(out)") ==
           "[\"clicked\"," + std::to_string(win->id()) + "]";
  }));
  ASSERT_TRUE(wait_for([&] {
    pre(win, "__valenceTest.gc(); 'ok'");
    return pre_string(win, "String(__valenceTest.live('menu-click'))") == "1";
  }));
  EXPECT_EQ(stats(win).imports, 1u);
  item.reset();
  menu.reset();
  Menu::set_application_menu(nullptr);
  ASSERT_TRUE(wait_for([&] { return stats(win).imports == 0u; }));
}

TEST_F(RemoteTest, OrderedWithIpcAndSynchronous) {  // B3, B5, B10
  auto win = open_remote();
  fixture().order.clear();
  ipc().on("fifo", [](IpcMainEvent&, std::string what) { fixture().order.push_back(what); });
  EXPECT_EQ(pre_string(win, R"({
    const { ipcRenderer, remote } = require('electron')
    const m = remote.require('counter')
    globalThis.order = []
    ipcRenderer.on('during', () => order.push('message main sent during the call'))
    setTimeout(() => order.push('timeout queued before the call'), 0)
    ipcRenderer.send('fifo', 'a')
    m.mark()
    ipcRenderer.send('fifo', 'b')
    order.push('call returned: ' + m.sendDuring())
    'ok' })"),
            "ok");
  ASSERT_TRUE(wait_for([&] { return fixture().order.size() == 3; }));
  EXPECT_EQ(fixture().order, (std::vector<std::string>{"a", "remote call", "b"}));
  ASSERT_TRUE(wait_for([&] { return pre_string(win, "String(order.length)") == "3"; }));
  // The call returned first; the timer and main's message (two tasks, in
  // either order) only then.
  EXPECT_EQ(pre_string(win, "order[0]"), "call returned: 1");
  EXPECT_EQ(pre_string(win, "JSON.stringify(order.slice(1).sort())"),
            R"(["message main sent during the call","timeout queued before the call"])");
  ipc().remove_all_listeners("fifo");
}

TEST_F(RemoteTest, Electron14SpecCases) {  // B32, B36-B41
  auto win = open_remote();
  EXPECT_EQ(
      pre_string(win, R"({
    const remote = require('electron').remote
    const m = remote.require('counter')
    const out = []
    // B36: an extracted method keeps its object.
    let c = new m.Counter(1)
    const add = c.add
    c = null
    __valenceTest.gc()
    out.push(add(2))
    // B37: a property write is seen through another require.
    m.kept.value = 9
    out.push(remote.require('counter').kept.value)
    m.kept.value = 7
    // B38: methods on prototypes; a derived class keeps its base's chain.
    const d = new m.Dog()
    out.push(d.speak(), d.tricks, d.sound, Object.keys(d).sort().join(','),
             Object.prototype.hasOwnProperty.call(d, 'speak'), d instanceof m.Dog)
    // B39: a method reassigned, then deleted.
    const e = new m.Counter(1)
    e.add = () => 'mine'
    out.push(e.add())
    delete e.add
    out.push(e.add(1))
    // B40/B41: a constructor from a member keeps its name; Dates, typed
    // arrays and Maps round-trip by copy.
    out.push(e.constructor.name, e.constructor === m.Counter)
    const date = m.echo(new Date(5))
    const bytes = m.echo(new Uint8Array([1, 2]))
    const map = m.echo(new Map([[1, 'one']]))
    out.push(date instanceof Date && date.getTime(), bytes instanceof Uint8Array && bytes.join(),
             map.get(1))
    JSON.stringify(out) })"),
      R"([3,9,"I say woof",2,"woof","sound,tricks",false,true,"mine",2,"Counter",true,5,"1,2","one"])");
  // B12: a shared object's keys are those it had when it first reached the
  // document; B28: one module, one proxy.
  EXPECT_EQ(pre_string(win, R"({
    const remote = require('electron').remote
    const s = remote.getGlobal('sharedObject')
    remote.require('counter').addSharedKey('later')
    JSON.stringify([Object.keys(s), s.later === undefined, remote.getGlobal('sharedObject') === s,
                    remote.require('counter') === remote.require('counter')]) })"),
            R"([["someProperty"],true,true,true])");
  // B32: remote.process is main's, a copy read once.
  auto before = stats(win).messages;
  EXPECT_EQ(pre_string(win, R"({
    const remote = require('electron').remote
    let same = true
    const p = remote.process
    for (let i = 0; i < 10; i++) same = same && remote.process === p
    JSON.stringify([same, p.type, typeof p.pid, p.env, Object.isFrozen(p)]) })"),
            R"([true,"browser","number",null,true])");
  EXPECT_EQ(stats(win).messages - before, 1u);
}

TEST_F(RemoteTest, AChainAcrossTheBatchLimit) {  // a batch carries at most 64 ops
  auto win = open_remote();
  pre(win, R"({
    const remote = require('electron').remote
    const m = remote.require('counter')
    const am = remote.async(m)
    const c = remote.async(new m.Counter(0))
    globalThis.r = undefined
    for (let i = 0; i < 63; i++) c.add(1)
    // Op 64 is the Get of Counter; `zero()` on its answer cannot join the
    // full batch: it waits for the answer.
    am.Counter.zero().add(5).then((v) => { r = v }, (e) => { r = String(e) })
    globalThis.c = c
    'ok' })");
  ASSERT_TRUE(wait_for([&] { return pre_string(win, "String(r)") == "5"; }));
  pre(win, "c.value.then((v) => { r = v }); 'ok'");
  ASSERT_TRUE(wait_for([&] { return pre_string(win, "String(r)") == "63"; }));
  EXPECT_TRUE(win->web_contents()->is_connected());
}

// ---- leaks: both processes flat -------------------------------------------------

TEST_F(RemoteTest, TwoHundredReloadsLeakNothing) {  // L1, B16, B24
  auto win = open_remote();
  auto kept = fixture().kept;
  kept->events.remove_all("", 0, 0);
  const std::string work = R"(
    const remote = require('electron').remote
    const m = remote.require('counter')
    // Every proxy kept: one collected early would give its reference back.
    globalThis.keep = [m, remote.getGlobal('sharedObject'), remote.getCurrentWindow(), m.Counter, m.kept]
    for (let i = 0; i < 100; i++) keep.push(new m.Counter(i))
    m.kept.on('tick', (v) => keep.push(v))
    remote.getCurrentWindow().on('close', () => keep.push('closed'))
    String(keep.length))";
  long main_rss_100 = 0;
  int main_fds_100 = 0;
  std::string page_100;
  for (int round = 1; round <= 200; ++round) {
    ASSERT_EQ(pre_string(win, work), "105") << "round " << round;
    auto s = stats(win);
    // This document's only: the module, its Counter constructor, the shared
    // object, the window, 100 counters and `kept`; the two listeners.
    ASSERT_EQ(s.exports, 105u) << "round " << round << ", imports " << s.imports << ", page "
                               << pre_string(win, "JSON.stringify(__valenceTest.remoteStats())");
    ASSERT_EQ(s.imports, 2u) << "round " << round << ", exports " << s.exports;
    ASSERT_EQ(kept->events.listener_count("tick"), 1u) << "round " << round;
    if (round == 100 || round == 200) {
      pre(win, "__valenceTest.gc(); 'ok'");
      std::string page = pre_string(win, "JSON.stringify(__valenceTest.resources().slice(0, 2))");
      if (round == 100) {
        main_rss_100 = rss_kib();
        main_fds_100 = count_open_fds();
        page_100 = page;
      } else {
        // Descriptors and loop-held objects exactly; memory within noise.
        EXPECT_EQ(count_open_fds(), main_fds_100);
        EXPECT_EQ(page, page_100);
        std::printf("main RSS: %ld KiB at reload 100, %ld KiB at 200\n", main_rss_100, rss_kib());
#if defined(__SANITIZE_ADDRESS__) || VALENCE_REMOTE_TEST_ASAN
        // ASan's quarantine keeps freed memory (up to 256 MiB) by design.
#else
        EXPECT_LT(rss_kib() - main_rss_100, 2 * 1024) << "main grew over 100 reloads";
#endif
      }
    }
    eval(win, "location.reload(); 1");
    ASSERT_TRUE(wait_for([&] { return stats(win).exports == 0 && stats(win).imports == 0; }))
        << "round " << round << ": exports " << stats(win).exports << ", imports "
        << stats(win).imports;
    ASSERT_TRUE(wait_for([&] { return kept->events.listener_count("tick") == 0; }));
    ASSERT_TRUE(
        wait_for([&] { return pre_string(win, "typeof require('electron').remote") == "object"; }));
  }
}

TEST_F(RemoteTest, TenThousandCallbacksComeBackToZero) {  // L3, B22
  auto win = open_remote();
  fixture().held.clear();
  for (int round = 0; round < 3; ++round) {
    EXPECT_EQ(pre_string(win, R"({
      const m = require('electron').remote.require('counter')
      const fns = []
      for (let i = 0; i < 10000; i++) fns.push(() => i)
      String(m.holdMany(fns)) })"),
              "10000");
    EXPECT_EQ(stats(win).imports, 10000u);
    EXPECT_EQ(pre_string(win, "String(__valenceTest.remoteStats().exports)"), "10000");
    fixture().held.clear();
    // Main gave them all back: the page forgets them (one frame).
    ASSERT_TRUE(wait_for([&] {
      return stats(win).imports == 0 &&
             pre_string(win, "String(__valenceTest.remoteStats().exports)") == "0";
    })) << "round "
        << round;
  }
}

TEST_F(RemoteTest, AClosedWindowReleasesEverythingAtOnce) {  // L6, B16
  auto win = open_remote();
  fixture().held.clear();
  pre(win, R"(
    const m = require('electron').remote.require('counter')
    globalThis.keep = [m.makeMany(100), m.kept]
    m.hold(() => 1)
    'ok')");
  EXPECT_GE(registry().stats().exports, 101u);
  ASSERT_EQ(fixture().held.size(), 1u);
  win->close();
  ASSERT_TRUE(wait_for([&] { return registry().stats().exports == 0; }));
  EXPECT_EQ(registry().stats().imports, 0u);
  EXPECT_FALSE(fixture().held[0].alive());
  fixture().held.clear();
}

TEST_F(RemoteTest, AKilledWebProcessReleasesEverything) {  // L6
  auto win = open_remote();
  fixture().held.clear();
  pre(win, R"(
    const m = require('electron').remote.require('counter')
    globalThis.keep = [m.makeMany(100), m.kept]
    m.hold(() => 1)
    'ok')");
  EXPECT_GE(stats(win).exports, 101u);
  win->web_contents()->kill();
  ASSERT_TRUE(wait_for([&] { return stats(win).exports == 0 && stats(win).imports == 0; }));
  ASSERT_EQ(fixture().held.size(), 1u);
  EXPECT_FALSE(fixture().held[0].alive());
  EXPECT_FALSE(fixture().held[0](1));
  fixture().held.clear();
}

}  // namespace
}  // namespace valence::test
