// MessagePorts in pages: main hands a page a port (webContents.postMessage),
// a page hands main a port (ipcRenderer.postMessage), and two pages talk over
// a MessageChannelMain's ports directly. Pages hold real WebKit MessagePorts.
#include "harness.h"
#include "valence/message_port.h"

namespace valence::test {
namespace {

const char* kPage = "<!DOCTYPE html><html><body>ports</body></html>";

class PortsTest : public WebTest {
 protected:
  std::shared_ptr<MessagePort> make_pair(std::shared_ptr<MessagePort>& other) {
    auto channel = MessageChannelMain::create(app().loop());
    EXPECT_TRUE(channel);
    other = channel->port2;
    return channel->port1;
  }
};

TEST_F(PortsTest, MainGivesThePageAPort) {
  const char* preload = R"JS(
    const { ipcRenderer } = require('electron')
    ipcRenderer.on('port', (event, msg) => {
      const port = event.ports[0]
      port.onmessage = (e) => port.postMessage(msg.prefix + e.data + ':' + (port instanceof MessagePort))
    })
  )JS";
  auto win = open(preload, kPage);
  std::shared_ptr<MessagePort> theirs;
  auto ours = make_pair(theirs);
  std::vector<std::string> got;
  ours->on_message([&](MessageEvent& e) { got.push_back(e.data.get_string()); });
  ours->start();
  ASSERT_TRUE(
      win->web_contents()->post_message("port", Value::object({{"prefix", "echo:"}}), {theirs}));
  EXPECT_TRUE(ours->post_message(Value("one")));
  EXPECT_TRUE(ours->post_message(Value("two")));
  ASSERT_TRUE(wait_for([&] { return got.size() == 2; }));
  EXPECT_EQ(got[0], "echo:one:true");
  EXPECT_EQ(got[1], "echo:two:true");
}

TEST_F(PortsTest, ThePageGivesMainAPort) {
  const char* preload = R"JS(
    const { ipcRenderer } = require('electron')
    const { port1, port2 } = new MessageChannel()
    port1.onmessage = (e) => port1.postMessage('back:' + e.data)
    ipcRenderer.postMessage('give', { hello: 'main' }, [port2])
  )JS";
  std::shared_ptr<MessagePort> port;
  std::string hello;
  ipc().on("give", [&](IpcMainEvent& event, const std::vector<Value>& args) {
    hello = args.at(0).get_object().find("hello")->get_string();
    ASSERT_EQ(event.ports.size(), 1u);
    port = event.ports[0];
  });
  auto win = open(preload, kPage);
  ASSERT_TRUE(wait_for([&] { return port != nullptr; }));
  EXPECT_EQ(hello, "main");
  std::string got;
  port->on_message([&](MessageEvent& e) { got = e.data.get_string(); });
  port->start();
  EXPECT_TRUE(port->post_message(Value("ping")));
  ASSERT_TRUE(wait_for([&] { return !got.empty(); }));
  EXPECT_EQ(got, "back:ping");
}

TEST_F(PortsTest, TwoPagesTalkDirectlyOverMainsChannel) {
  // Pattern 4 with ports: main hands each window one end; the pages talk
  // without main (the ports' sockets live in the two web processes).
  const char* preload = R"JS(
    const { ipcRenderer } = require('electron')
    ipcRenderer.on('port', (event, role) => {
      const port = event.ports[0]
      port.onmessage = (e) => {
        ipcRenderer.send('heard', role, e.data)
        if (role === 'b') port.postMessage('hello a, from b')
      }
      if (role === 'a') port.postMessage('hello b, from a')
    })
  )JS";
  std::vector<std::string> heard;
  ipc().on("heard", [&](IpcMainEvent&, std::string role, std::string text) {
    heard.push_back(role + ": " + text);
  });
  auto a = open(preload, kPage);
  auto b = open(preload, kPage);
  auto channel = MessageChannelMain::create(app().loop());
  ASSERT_TRUE(channel);
  ASSERT_TRUE(b->web_contents()->post_message("port", Value("b"), {channel->port2}));
  ASSERT_TRUE(a->web_contents()->post_message("port", Value("a"), {channel->port1}));
  ASSERT_TRUE(wait_for([&] { return heard.size() == 2; }));
  EXPECT_EQ(heard[0], "b: hello b, from a");
  EXPECT_EQ(heard[1], "a: hello a, from b");
}

TEST_F(PortsTest, PortsReachThePageWorldThroughWindowPostMessage) {
  // Electron's documented way to hand a port to the page's own scripts.
  const char* preload = R"JS(
    const { ipcRenderer } = require('electron')
    ipcRenderer.on('port', (event) => window.postMessage('main-world-port', '*', event.ports))
  )JS";
  auto win = open(preload, kPage);
  eval(win,
       "window.got = []; window.addEventListener('message', (e) => { if (e.data !== "
       "'main-world-port') return; const port = e.ports[0]; port.onmessage = (m) => "
       "port.postMessage('page saw ' + m.data) }); 1");
  std::shared_ptr<MessagePort> theirs;
  auto ours = make_pair(theirs);
  std::string got;
  ours->on_message([&](MessageEvent& e) { got = e.data.get_string(); });
  ours->start();
  ASSERT_TRUE(win->web_contents()->post_message("port", Value(nullptr), {theirs}));
  EXPECT_TRUE(ours->post_message(Value("x")));
  ASSERT_TRUE(wait_for([&] { return !got.empty(); }));
  EXPECT_EQ(got, "page saw x");
}

TEST_F(PortsTest, NavigationClosesThePagesPorts) {
  const char* preload = R"JS(
    const { ipcRenderer } = require('electron')
    ipcRenderer.on('port', (event) => { globalThis.kept = event.ports[0] })
  )JS";
  auto win = open(preload, kPage);
  std::shared_ptr<MessagePort> theirs;
  auto ours = make_pair(theirs);
  bool closed = false;
  ours->on_close([&] { closed = true; });
  ours->start();
  ASSERT_TRUE(win->web_contents()->post_message("port", Value(nullptr), {theirs}));
  pump(std::chrono::milliseconds(200));
  EXPECT_FALSE(closed);
  eval(win, "location.reload(); 1");
  EXPECT_TRUE(wait_for([&] { return closed; })) << "the old document's port stayed open";
}

TEST_F(PortsTest, ClosingAPortInThePreloadClosesItsOtherEnd) {
  // WebKit's MessagePort has no 'close' event, so the runtime also closes
  // the socket when the preload closes a port it was given.
  const char* preload = R"JS(
    const { ipcRenderer } = require('electron')
    ipcRenderer.on('port', (event) => { event.ports[0].postMessage('bye'); event.ports[0].close() })
  )JS";
  auto win = open(preload, kPage);
  std::shared_ptr<MessagePort> theirs;
  auto ours = make_pair(theirs);
  std::string got;
  bool closed = false;
  ours->on_message([&](MessageEvent& e) { got = e.data.get_string(); });
  ours->on_close([&] { closed = true; });
  ours->start();
  ASSERT_TRUE(win->web_contents()->post_message("port", Value(nullptr), {theirs}));
  ASSERT_TRUE(wait_for([&] { return closed; }));
  EXPECT_EQ(got, "bye") << "what was posted before close() arrives first";
}

TEST_F(PortsTest, APageTalksToANativeChildDirectly) {
  // The page makes the channel; main hands one end on to a native C++ child.
  const char* preload = R"JS(
    const { ipcRenderer } = require('electron')
    const { port1, port2 } = new MessageChannel()
    port1.onmessage = (e) => ipcRenderer.send('child-said', e.data)
    ipcRenderer.postMessage('for-the-child', null, [port2])
    port1.postMessage('hello child')
  )JS";
  auto child = app().main_process().spawn_child({.path = VALENCE_PORT_ECHO_CHILD});
  ASSERT_TRUE(child) << child.error().message;
  ipc().on("for-the-child", [&](IpcMainEvent& event) {
    ASSERT_EQ(event.ports.size(), 1u);
    ASSERT_TRUE((*child)->post_message("port", Value(nullptr), {event.ports[0]}));
  });
  std::string said;
  ipc().on("child-said", [&](IpcMainEvent&, std::string text) { said = text; });
  auto win = open(preload, kPage);
  ASSERT_TRUE(wait_for([&] { return !said.empty(); }));
  EXPECT_EQ(said, "native: hello child");
  (*child)->kill();
}

TEST_F(PortsTest, APortMadeByThePageReachesMain) {
  // The page's own `new MessageChannel()`: one end goes to the preload with
  // window.postMessage, which sends it on with ipcRenderer.postMessage.
  const char* preload = R"JS(
    const { ipcRenderer } = require('electron')
    window.addEventListener('message', (event) => {
      if (event.data === 'port-for-main') ipcRenderer.postMessage('page-port', 'from the page', event.ports)
    })
  )JS";
  std::shared_ptr<MessagePort> port;
  ipc().on("page-port", [&](IpcMainEvent& event, std::string) {
    ASSERT_EQ(event.ports.size(), 1u);
    port = event.ports[0];
  });
  auto win = open(preload, kPage);
  eval(win,
       "{ const { port1, port2 } = new MessageChannel();"
       " port1.onmessage = (e) => port1.postMessage('page answers ' + e.data);"
       " window.postMessage('port-for-main', '*', [port2]); 1 }");
  ASSERT_TRUE(wait_for([&] { return port != nullptr; }));
  std::string got;
  port->on_message([&](MessageEvent& e) { got = e.data.get_string(); });
  port->start();
  EXPECT_TRUE(port->post_message(Value("ping")));
  ASSERT_TRUE(wait_for([&] { return !got.empty(); }));
  EXPECT_EQ(got, "page answers ping");
}

}  // namespace
}  // namespace valence::test
