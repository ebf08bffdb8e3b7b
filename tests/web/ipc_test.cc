// ipcRenderer in pages <-> ipcMain in C++, through a real WebKitGTK window.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <optional>
#include <stdexcept>

#include "harness.h"

namespace valence::test {
namespace {

// A preload that exposes a test API over the bridge (as apps do).
const char* kPreload = R"JS(
const { contextBridge, ipcRenderer } = require('electron')
const received = []
ipcRenderer.on('to-page', (event, ...args) => {
  received.push({ args, senderIsIpc: event.sender === ipcRenderer, ports: event.ports.length })
})
contextBridge.exposeInMainWorld('api', {
  send: (ch, ...a) => ipcRenderer.send(ch, ...a),
  invoke: (ch, ...a) => ipcRenderer.invoke(ch, ...a),
  sendSync: (ch, ...a) => ipcRenderer.sendSync(ch, ...a),
  postMessage: (ch, m) => ipcRenderer.postMessage(ch, m),
  received: () => received,
  listen: (ch) => { ipcRenderer.on(ch, (e, ...a) => received.push({ ch, args: a })) },
  listenOnce: (ch) => { ipcRenderer.once(ch, (e, ...a) => received.push({ ch, once: true, args: a })) },
  removeAll: (ch) => { ipcRenderer.removeAllListeners(ch) },
  count: (ch) => ipcRenderer.listenerCount(ch),
})
)JS";

const char* kPage = "<!DOCTYPE html><html><head><title>t</title></head><body>test</body></html>";

class IpcTest : public WebTest {};

TEST_F(IpcTest, SendReachesMainWithItsSender) {
  auto win = open(kPreload, kPage);
  std::vector<Value> got;
  int pid = 0;
  std::shared_ptr<WebContents> sender;
  ipc().on("ping", [&](IpcMainEvent& event, const std::vector<Value>& args) {
    for (auto& a : args) got.push_back(a.clone());
    pid = event.process_id;
    sender = event.sender;
  });
  eval(win, "api.send('ping', 1, 'two', { three: 3 }, [4], null); true");
  ASSERT_TRUE(wait_for([&] { return !got.empty(); }));
  ASSERT_EQ(got.size(), 5u);
  EXPECT_EQ(got[0].get_number(), 1);
  EXPECT_EQ(got[1].get_string(), "two");
  EXPECT_EQ(got[2].get_object().find("three")->get_number(), 3);
  EXPECT_TRUE(got[4].is_null());
  EXPECT_EQ(sender, win->web_contents());
  EXPECT_GT(pid, 0);
  EXPECT_NE(pid, ::getpid());
  EXPECT_EQ(BrowserWindow::from_web_contents(*sender), win);
}

TEST_F(IpcTest, InvokeResolvesWithTheHandlersValue) {
  auto win = open(kPreload, kPage);
  ASSERT_TRUE(ipc().handle("add", [](IpcMainInvokeEvent&, double a, double b) { return a + b; }));
  Value r = eval(win, "api.invoke('add', 2, 40)");
  EXPECT_EQ(r.get_number(), 42);
}

TEST_F(IpcTest, InvokeRejectionsSayWhatElectronSays) {
  auto win = open(kPreload, kPage);
  ASSERT_TRUE(
      ipc().handle("fail", [](IpcMainInvokeEvent&) -> int { throw std::runtime_error("boom"); }));
  Value r = eval(win, "api.invoke('fail').then(() => 'resolved', e => e.message)");
  EXPECT_EQ(r.get_string(), "Error invoking remote method 'fail': Error: boom");
  r = eval(win, "api.invoke('nobody').then(() => 'resolved', e => e.message)");
  EXPECT_EQ(r.get_string(),
            "Error invoking remote method 'nobody': Error: No handler registered for 'nobody'");
  r = eval(win, "api.invoke('fail').catch(e => e instanceof Error)");
  EXPECT_TRUE(r.get_bool()) << "the rejection is an Error of the page's own world";
}

TEST_F(IpcTest, InvokeKeepsTheHandlersErrorAsCause) {
  auto win = open(kPreload, kPage);
  ASSERT_TRUE(ipc().handle("typed", [](IpcMainInvokeEvent&) -> int {
    throw HandlerError(ErrorValue(ErrorPrototype::kRangeError, String("out of range")));
  }));
  Value r = eval(win,
                 "(async () => { try { await api.invoke('typed') } catch (e) {"
                 " return e.message + '|' + (e.cause && e.cause.name) + '|' + (e.cause && "
                 "e.cause.message) } })()");
  EXPECT_EQ(
      r.get_string(),
      "Error invoking remote method 'typed': RangeError: out of range|RangeError|out of range");
}

TEST_F(IpcTest, SendSyncReturnsTheReturnValue) {
  auto win = open(kPreload, kPage);
  ipc().on("sync",
           [](IpcMainEvent& event, std::string arg) { event.set_return_value(arg + " pong"); });
  EXPECT_EQ(eval(win, "api.sendSync('sync', 'ping')").get_string(), "ping pong");
  Value r = eval(win,
                 "(() => { try { api.sendSync('nobody', 1); return 'returned' } catch (e) { return "
                 "e.message } })()");
  EXPECT_NE(r.get_string().find("no listener for the synchronous message 'nobody'"),
            std::string::npos)
      << r.get_string();
}

TEST_F(IpcTest, SendSyncWaitsForADeferredValue) {
  auto win = open(kPreload, kPage);
  std::optional<IpcMainEvent::DeferredReturn> deferred;
  Timer timer;
  ipc().on("later", [&](IpcMainEvent& event) {
    auto d = std::make_shared<IpcMainEvent::DeferredReturn>(event.defer_return_value());
    timer = app().loop().add_timer(std::chrono::milliseconds(50), [d] { d->set(Value("late")); });
  });
  EXPECT_EQ(eval(win, "api.sendSync('later')").get_string(), "late");
}

TEST_F(IpcTest, WebContentsSendReachesPageListeners) {
  auto win = open(kPreload, kPage);
  EXPECT_TRUE(win->web_contents()->send("to-page", 1, "two"));
  ASSERT_TRUE(wait_for([&] { return eval(win, "api.received().length").get_number() == 1; }));
  EXPECT_EQ(eval(win, "JSON.stringify(api.received()[0])").get_string(),
            R"({"args":[1,"two"],"senderIsIpc":true,"ports":0})");
}

TEST_F(IpcTest, EventReplyAnswersTheSender) {
  auto win = open(kPreload, kPage);
  ipc().on("asynchronous-message", [](IpcMainEvent& event, std::string arg) {
    event.reply("asynchronous-reply", arg == "ping" ? "pong" : "?");
  });
  eval(win, "api.listen('asynchronous-reply'); api.send('asynchronous-message', 'ping'); 1");
  ASSERT_TRUE(wait_for([&] { return eval(win, "api.received().length").get_number() == 1; }));
  EXPECT_EQ(eval(win, "api.received()[0].args[0]").get_string(), "pong");
}

TEST_F(IpcTest, OnceOffAndRemoveAllListeners) {
  auto win = open(kPreload, kPage);
  eval(win, "api.listenOnce('o'); api.listen('m'); api.listen('m'); 1");
  EXPECT_EQ(eval(win, "api.count('m')").get_number(), 2);
  win->web_contents()->send("o", 1);
  win->web_contents()->send("o", 2);
  win->web_contents()->send("m", 3);
  ASSERT_TRUE(wait_for([&] { return eval(win, "api.received().length").get_number() == 3; }));
  EXPECT_EQ(eval(win, "JSON.stringify(api.received().map(r => r.args[0]))").get_string(),
            "[1,3,3]");
  eval(win, "api.removeAll('m'); 1");
  EXPECT_EQ(eval(win, "api.count('m')").get_number(), 0);
  win->web_contents()->send("m", 4);
  win->web_contents()->send("o", 5);
  pump(std::chrono::milliseconds(200));
  EXPECT_EQ(eval(win, "api.received().length").get_number(), 3);
}

TEST_F(IpcTest, MessagesKeepTheirOrderAcrossKinds) {
  auto win = open(kPreload, kPage);
  std::vector<std::string> order;
  ipc().on("a", [&](IpcMainEvent&, std::string s) { order.push_back(s); });
  ipc().on("s", [&](IpcMainEvent& e, std::string s) {
    order.push_back(s);
    e.set_return_value(1);
  });
  ASSERT_TRUE(ipc().handle("i", [&](IpcMainInvokeEvent&, std::string s) {
    order.push_back(s);
    return 1;
  }));
  eval(win,
       "api.send('a', '1'); api.invoke('i', '2'); api.sendSync('s', '3'); api.send('a', '4'); 1");
  ASSERT_TRUE(wait_for([&] { return order.size() == 4; }));
  EXPECT_EQ(order, (std::vector<std::string>{"1", "2", "3", "4"}));
}

TEST_F(IpcTest, PostMessageWithoutPortsReachesMain) {
  auto win = open(kPreload, kPage);
  std::string got;
  ipc().on("port-less", [&](IpcMainEvent& e, const std::vector<Value>& args) {
    got = args.at(0).get_object().find("hello")->get_string() + std::to_string(e.ports.size());
  });
  eval(win, "api.postMessage('port-less', { hello: 'world' }); 1");
  ASSERT_TRUE(wait_for([&] { return !got.empty(); }));
  EXPECT_EQ(got, "world0");
}

TEST_F(IpcTest, ExecuteJavaScriptReturnsValuesAndAwaitsPromises) {
  auto win = open("", kPage);
  EXPECT_EQ(eval(win, "1 + 1").get_number(), 2);
  EXPECT_EQ(eval(win, "document.title").get_string(), "t");
  EXPECT_EQ(eval(win, "new Promise(r => setTimeout(() => r('later'), 10))").get_string(), "later");
  EXPECT_EQ(eval(win, "let x = 20; x + 1").get_number(), 21)
      << "statements give their completion value";
  auto r = try_eval(win, "throw new TypeError('nope')");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("nope"), std::string::npos) << r.error().message;
  Value obj = eval(win, "({ a: [1, 'b'], d: new Date(5) })");
  EXPECT_EQ(obj.get_object().find("d")->get_date().time, 5);
}

TEST_F(IpcTest, RenderProcessGoneWhenKilled) {
  auto win = open(kPreload, kPage);
  std::optional<RenderProcessGoneDetails> gone;
  win->web_contents()->on_render_process_gone([&](const RenderProcessGoneDetails& d) { gone = d; });
  win->web_contents()->kill();
  ASSERT_TRUE(wait_for([&] { return gone.has_value(); }));
  EXPECT_EQ(gone->reason, "killed");
  EXPECT_EQ(gone->signal, 9);
}

// Killed from outside: WebKit says "crashed" and nobody knows the status;
// main says so (-1) rather than a made-up exit 0.
TEST_F(IpcTest, RenderProcessGoneWhenKilledFromOutside) {
  auto win = open(kPreload, kPage);
  int pid = 0;
  ipc().on("pid", [&](IpcMainEvent& e) { pid = e.process_id; });
  eval(win, "api.send('pid'); 1");
  ASSERT_TRUE(wait_for([&] { return pid != 0; }));
  std::optional<RenderProcessGoneDetails> gone;
  win->web_contents()->on_render_process_gone([&](const RenderProcessGoneDetails& d) { gone = d; });
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  ASSERT_TRUE(wait_for([&] { return gone.has_value(); }));
  EXPECT_EQ(gone->reason, "crashed");
  EXPECT_EQ(gone->exit_code, -1);
  EXPECT_EQ(gone->signal, -1);
}

TEST_F(IpcTest, WindowApi) {
  auto win = open(kPreload, kPage);
  EXPECT_TRUE(wait_for([&] { return win->get_title() == "t"; }))
      << "the page's <title> becomes the window's: " << win->get_title();
  win->set_title("custom");
  EXPECT_EQ(win->get_title(), "custom");
  EXPECT_EQ(BrowserWindow::from_id(win->id()), win);
  auto all = BrowserWindow::get_all_windows();
  EXPECT_NE(std::find(all.begin(), all.end(), win), all.end());
  EXPECT_TRUE(win->is_visible());
  bool closed = false;
  win->on_closed([&] { closed = true; });
  win->close();
  ASSERT_TRUE(wait_for([&] { return closed; }));
  EXPECT_TRUE(win->is_destroyed());
  EXPECT_EQ(BrowserWindow::from_id(win->id()), nullptr);
}

TEST_F(IpcTest, WindowAllClosedFiresWhenTheLastWindowCloses) {
  auto a = open(kPreload, kPage);
  auto b = open(kPreload, kPage);
  auto fired_count = std::make_shared<int>(0);  // the listener outlives the test
  app().on_window_all_closed([fired_count] { ++*fired_count; });
  const int& fired = *fired_count;
  a->close();
  ASSERT_TRUE(wait_for([&] { return a->is_destroyed(); }));
  pump(std::chrono::milliseconds(50));
  EXPECT_EQ(fired, 0) << "one window is still open";
  b->close();
  ASSERT_TRUE(wait_for([&] { return fired == 1; }));
  EXPECT_TRUE(BrowserWindow::get_all_windows().empty());
}

TEST_F(IpcTest, ReadyToShowFiresForAHiddenWindow) {
  BrowserWindowOptions options;
  options.show = false;
  bool ready = false;
  auto created = BrowserWindow::create(app(), options);
  ASSERT_TRUE(created);
  auto win = *created;
  win->on_ready_to_show([&] {
    ready = true;
    win->show();
  });
  std::string dir = scratch_dir();
  { std::ofstream(dir + "/page.html") << kPage; }
  ASSERT_TRUE(win->load_file(dir + "/page.html"));
  ASSERT_TRUE(wait_for([&] { return ready; }));
  EXPECT_TRUE(win->is_visible());
  win->destroy();
}

}  // namespace
}  // namespace valence::test

namespace valence::test {
namespace {

// Main ends a connection that sends more than 65,536 arguments (and with it
// every page of that web process): the page refuses them itself.
TEST_F(IpcTest, TooManyArgumentsAreRefusedInThePage) {
  auto win = open(kPreload, kPage);
  Value r = eval(win,
                 "(() => { try { api.send('many', ...new Array(65537).fill(0)); return 'sent' }"
                 " catch (e) { return e.name + ': ' + e.message } })()");
  EXPECT_EQ(r.get_string(), "RangeError: ipcRenderer.send('many'): 65537 arguments (limit 65536)");
  r = eval(win,
           "api.invoke('many', ...new Array(65537).fill(0)).then(() => 'resolved',"
           " e => e.message)");
  EXPECT_EQ(r.get_string(), "ipcRenderer.invoke('many'): 65537 arguments (limit 65536)");
  std::size_t count = 0;
  ipc().on("many", [&](IpcMainEvent&, const std::vector<Value>& args) { count = args.size(); });
  eval(win, "api.send('many', ...new Array(65536).fill(0)); 1");
  EXPECT_TRUE(wait_for([&] { return count == 65536; })) << "the limit itself passes";
}

}  // namespace
}  // namespace valence::test
