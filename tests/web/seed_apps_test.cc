// The seed apps (examples/set_title, examples/ping) with their preload.js,
// index.html and renderer.js exactly as shipped, driven as a user would: real
// X input events (xdotool: focus the window, Tab, type, press the button),
// with the effect checked in main (the GTK window's title) and in the page.
// The handlers are the examples' main() logic; tests/web/run_examples.sh runs
// the example programs themselves.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "harness.h"
#include "valence/ui/dialog.h"
#include "valence/ui/menu.h"
// After gtest: X11's macros (None, Bool) break gtest's headers.
#include <gdk/gdkx.h>
#include <gtk/gtk.h>
#include <webkit2/webkit2.h>

namespace valence::test {
namespace {

std::string example(const std::string& app, const std::string& file) {
  return std::string(VALENCE_SOURCE_DIR) + "/examples/" + app + "/" + file;
}

// Runs xdotool against the X server the test runs on.
void xdotool(const std::string& args) {
  std::string command = "xdotool " + args;
  int rc = std::system(command.c_str());
  ASSERT_EQ(rc, 0) << command;
}

// examples/open_file/main.cc's handler.
Future<Value> handle_file_open(IpcMainInvokeEvent&) {
  Promise<Value> result;
  auto future = result.future();
  dialog::show_open_dialog().then(
      [result = std::move(result)](Result<dialog::OpenDialogReturnValue> r) mutable {
        if (r && !r->canceled)
          result.set(Value(r->file_paths[0]));
        else
          result.set(Value());
      });
  return future;
}

class SeedAppsTest : public WebTest {
 protected:
  std::shared_ptr<BrowserWindow> open_example(const std::string& app,
                                              bool node_integration = false) {
    BrowserWindowOptions options;
    if (node_integration)
      options.web_preferences.node_integration = true;
    else if (std::filesystem::exists(example(app, "preload.js")))
      options.web_preferences.preload = example(app, "preload.js");
    auto created = BrowserWindow::create(test_app(), options);
    EXPECT_TRUE(created);
    auto win = *created;
    mine_.push_back(win);
    auto loaded = std::make_shared<bool>(false);
    win->web_contents()->on_did_finish_load([loaded] { *loaded = true; });
    EXPECT_TRUE(win->load_file(example(app, "index.html")));
    EXPECT_TRUE(wait_for([&] { return *loaded; }));
    return win;
  }
  // Gives the window the keyboard focus, as clicking into it would.
  void focus(const std::shared_ptr<BrowserWindow>& win) {
    auto* widget = static_cast<GtkWidget*>(win->native_window());
    gtk_window_present(GTK_WINDOW(widget));
    pump(std::chrono::milliseconds(100));
    auto xid = gdk_x11_window_get_xid(gtk_widget_get_window(widget));
    xdotool("windowfocus --sync " + std::to_string(xid));
    pump(std::chrono::milliseconds(100));
  }
  void keys(const std::string& args) {
    xdotool(args);
    pump(std::chrono::milliseconds(50));
  }
  void TearDown() override {
    for (auto& w : mine_) w->destroy();
    mine_.clear();
    WebTest::TearDown();
  }
  std::vector<std::shared_ptr<BrowserWindow>> mine_;
};

TEST_F(SeedAppsTest, SetTitleTypedByTheUserBecomesTheWindowTitle) {
  // examples/set_title/main.cc
  ipc().on("set-title", [](IpcMainEvent& event, std::string title) {
    auto web_contents = event.sender;
    auto win = BrowserWindow::from_web_contents(*web_contents);
    win->set_title(title);
  });
  auto win = open_example("set_title");
  ASSERT_TRUE(wait_for([&] { return win->get_title() == "Hello World!"; }));
  focus(win);
  keys("key Tab");  // the input
  keys("type --delay 20 'Typed by a user'");
  keys("key Tab");  // the Set button
  keys("key space");
  EXPECT_TRUE(wait_for([&] { return win->get_title() == "Typed by a user"; }))
      << "window title: " << win->get_title()
      << ", input: " << eval(win, "document.getElementById('title').value").to_debug_string();
}

TEST_F(SeedAppsTest, PingShowsTheVersionsLineAndThePong) {
  // examples/ping/main.cc
  ASSERT_TRUE(ipc().handle("ping", [](IpcMainInvokeEvent&) { return std::string("Pong"); }));
  auto win = open_example("ping");
  // No Chrome, Node or Electron here: process.versions has valence, webkitgtk and gtk.
  EXPECT_EQ(eval(win, "document.getElementById('info').innerText").get_string(),
            "This app is using Chrome (vundefined), Node.js (vundefined), and Electron "
            "(vundefined)");
  focus(win);
  keys("key Tab");  // the "Open a File" button
  keys("key space");
  EXPECT_TRUE(wait_for([&] {
    return eval(win, "document.getElementById('filePath').innerText").get_string() == "Pong";
  })) << eval(win, "document.getElementById('filePath').innerText").to_debug_string();
}

TEST_F(SeedAppsTest, OpenFileThroughTheRealGtkDialog) {
  // examples/open_file/main.cc
  ASSERT_TRUE(ipc().handle("dialog:openFile", handle_file_open));
  std::string file = scratch_dir() + "/chosen file.txt";
  std::ofstream(file) << "hello";
  auto win = open_example("open_file");
  focus(win);
  keys("key Tab");
  keys("key space");  // "Open a File": GTK's file chooser opens
  std::string chooser;
  ASSERT_TRUE(wait_for([&] {
    FILE* p = ::popen("xdotool search --name '^Open File$' 2>/dev/null", "r");
    char buf[64] = {0};
    if (p) {
      if (!std::fgets(buf, sizeof buf, p)) buf[0] = 0;
      ::pclose(p);
    }
    chooser = buf;
    while (!chooser.empty() && (chooser.back() == '\n')) chooser.pop_back();
    return !chooser.empty();
  })) << "no file chooser appeared";
  pump(std::chrono::milliseconds(300));
  xdotool("windowfocus --sync " + chooser);
  pump(std::chrono::milliseconds(100));
  // Ctrl+L opens the chooser's location entry; type the path, Return accepts.
  keys("key ctrl+l");
  pump(std::chrono::milliseconds(300));
  keys("type --delay 10 '" + file + "'");
  pump(std::chrono::milliseconds(300));
  keys("key Return");
  EXPECT_TRUE(wait_for([&] {
    return eval(win, "document.getElementById('filePath').innerText").get_string() == file;
  })) << eval(win, "document.getElementById('filePath').innerText").to_debug_string();
}

TEST_F(SeedAppsTest, OpenFileCanceledThroughTheTestHook) {
  ASSERT_TRUE(ipc().handle("dialog:openFile", handle_file_open));
  int asked = 0;
  dialog::set_test_responder([&](const dialog::OpenDialogOptions&) {
    ++asked;
    return dialog::OpenDialogReturnValue{};  // the user pressed Cancel
  });
  auto win = open_example("open_file");
  EXPECT_EQ(eval(win, "window.electronAPI.openFile().then(p => String(p))").get_string(),
            "undefined");
  EXPECT_EQ(asked, 1);
  dialog::set_test_responder(nullptr);
}

// examples/menu_counter/main.cc's window and menu.
std::shared_ptr<Menu> counter_menu(const std::shared_ptr<BrowserWindow>& main_window) {
  return Menu::build_from_template({
      {.label = test_app().name(),
       .submenu =
           {
               {.label = "Increment",
                .click = [main_window](
                             MenuItem&,
                             auto&) { main_window->web_contents()->send("update-counter", 1); }},
               {.label = "Decrement",
                .click = [main_window](
                             MenuItem&,
                             auto&) { main_window->web_contents()->send("update-counter", -1); }},
           }},
  });
}

TEST_F(SeedAppsTest, MenuCounterThroughTheMenuBarWithTheReply) {
  std::vector<double> values;
  ipc().on("counter-value", [&](IpcMainEvent&, double value) { values.push_back(value); });
  auto win = open_example("menu_counter/reply");
  auto menu = counter_menu(win);
  Menu::set_application_menu(menu);
  auto counter = [&] {
    return eval(win, "document.getElementById('counter').innerText").get_string();
  };
  // A user: F10 opens the menu bar's first menu, Down selects Increment,
  // Return picks it.
  focus(win);
  keys("key F10");
  pump(std::chrono::milliseconds(200));
  keys("key Down");
  pump(std::chrono::milliseconds(100));
  keys("key Return");
  EXPECT_TRUE(wait_for([&] { return counter() == "1"; })) << counter();
  EXPECT_TRUE(wait_for([&] { return values.size() == 1; }));
  // As Electron apps do in tests: menu.items[0].submenu.items[1].click().
  menu->items[0]->submenu->items[1]->click();
  menu->items[0]->submenu->items[1]->click();
  EXPECT_TRUE(wait_for([&] { return counter() == "-1"; })) << counter();
  ASSERT_TRUE(wait_for([&] { return values.size() == 3; }));
  EXPECT_EQ(values, (std::vector<double>{1, 0, -1})) << "the page's counter-value replies";
  Menu::set_application_menu(nullptr);
}

TEST_F(SeedAppsTest, MenuCounterWithTheDomContentLoadedPreload) {
  auto win = open_example("menu_counter/dom");
  auto menu = counter_menu(win);
  Menu::set_application_menu(menu);
  menu->items[0]->submenu->items[0]->click(win);
  menu->items[0]->submenu->items[0]->click(win);
  EXPECT_TRUE(wait_for([&] {
    return eval(win, "document.getElementById('counter').innerText").get_string() == "2";
  }));
  Menu::set_application_menu(nullptr);
}

TEST_F(SeedAppsTest, MenuCounterBasic) {
  auto win = open_example("menu_counter/basic");
  auto menu = counter_menu(win);
  menu->items[0]->submenu->items[1]->click(win);
  EXPECT_TRUE(wait_for([&] {
    return eval(win, "document.getElementById('counter').innerText").get_string() == "-1";
  }));
}

TEST_F(SeedAppsTest, MenuRolesAndAccelerators) {
  auto win = open_example("set_title");
  auto loads = std::make_shared<int>(0);
  win->web_contents()->on_did_finish_load([loads] { ++*loads; });
  bool custom = false;
  auto menu = Menu::build_from_template({
      {.label = "View",
       .submenu =
           {
               {.role = "reload"},
               {.role = "toggleDevTools"},
               {.type = "separator"},
               {.label = "Custom",
                .accelerator = "CmdOrCtrl+Shift+K",
                .click = [&](MenuItem&, auto&) { custom = true; }},
           }},
  });
  Menu::set_application_menu(menu);
  auto& view = menu->items[0]->submenu->items;
  EXPECT_EQ(view[0]->label, "_Reload") << "a role gives the item its label";
  EXPECT_EQ(view[0]->accelerator, "CmdOrCtrl+R");
  view[0]->click(win);
  EXPECT_TRUE(wait_for([&] { return *loads == 1; })) << "reload";
  focus(win);
  keys("key ctrl+r");  // the role's accelerator
  EXPECT_TRUE(wait_for([&] { return *loads == 2; })) << "reload by its accelerator";
  focus(win);
  keys("key ctrl+shift+k");
  EXPECT_TRUE(wait_for([&] { return custom; })) << "a template's accelerator";
  view[1]->click(win);  // WebKit's inspector opens
  EXPECT_TRUE(wait_for([&] {
    return webkit_web_inspector_get_web_view(webkit_web_view_get_inspector(
               static_cast<WebKitWebView*>(win->native_view()))) != nullptr;
  })) << "toggleDevTools";
  view[1]->click(win);
  Menu::set_application_menu(nullptr);
}

TEST_F(SeedAppsTest, DialogOptionsReachTheChooser) {
  auto win = open_example("open_file");
  dialog::OpenDialogOptions seen;
  dialog::set_test_responder([&](const dialog::OpenDialogOptions& o) {
    seen = o;
    return dialog::OpenDialogReturnValue{false, {"/a", "/b"}};
  });
  auto r = dialog::show_open_dialog_sync(win, {.title = "Pick images",
                                               .filters = {{"Images", {"png", "jpg"}}},
                                               .properties = {"openFile", "multiSelections"}});
  EXPECT_FALSE(r.canceled);
  EXPECT_EQ(r.file_paths, (std::vector<std::string>{"/a", "/b"}));
  EXPECT_EQ(seen.title, "Pick images");
  ASSERT_EQ(seen.filters.size(), 1u);
  EXPECT_EQ(seen.filters[0].extensions[1], "jpg");
  dialog::set_test_responder(nullptr);
}

// examples/legacy/main.cc's listeners.
void legacy_listeners(IpcMain& ipc, std::vector<std::string>& log) {
  ipc.on("asyncChannelToMain", [&log](IpcMainEvent& event, std::string arg) {
    log.push_back(arg + " from renderer");
    if (arg == "hello") event.sender->send("asyncChannelToRenderer", "world");
  });
  ipc.on("syncChannelToMain", [&log](IpcMainEvent& event, std::string arg) {
    log.push_back(arg + " from renderer");
    event.set_return_value("world");
  });
  ipc.on("asynchronous-message", [&log](IpcMainEvent& event, std::string arg) {
    log.push_back(arg);
    event.reply("asynchronous-reply", "pong");
  });
  ipc.on("synchronous-message", [&log](IpcMainEvent& event, std::string arg) {
    log.push_back(arg);
    event.set_return_value("pong");
  });
}

// Records the page's console.log lines (test instrumentation, not the seed's).
const char* kCaptureConsole =
    "window.__logs = []; { const log = console.log.bind(console);"
    " console.log = (...a) => { window.__logs.push(a.join(' ')); log(...a) } } 1";

TEST_F(SeedAppsTest, LegacyAsyncPingPongWithNodeIntegration) {
  std::vector<std::string> main_log;
  legacy_listeners(ipc(), main_log);
  BrowserWindowOptions options;
  options.web_preferences.node_integration = true;
  auto created = BrowserWindow::create(test_app(), options);
  ASSERT_TRUE(created);
  auto win = *created;
  mine_.push_back(win);
  auto loaded = std::make_shared<bool>(false);
  win->web_contents()->on_did_finish_load([win, loaded] {
    *loaded = true;
    win->web_contents()->send("asyncChannelToRenderer", "hello");
  });
  ASSERT_TRUE(win->load_file(example("legacy", "async/index.html")));
  ASSERT_TRUE(wait_for([&] { return *loaded; }));
  // The page answered main's hello through event.sender.send.
  ASSERT_TRUE(wait_for([&] { return !main_log.empty(); }));
  EXPECT_EQ(main_log[0], "world from renderer");
  eval(win, kCaptureConsole);
  focus(win);
  keys("key Tab");
  keys("key space");  // "click me": send('asyncChannelToMain', 'hello')
  ASSERT_TRUE(wait_for([&] { return main_log.size() == 2; }));
  EXPECT_EQ(main_log[1], "hello from renderer");
  EXPECT_TRUE(wait_for([&] {
    return eval(win, "window.__logs.join('|')").get_string() == "world from main";
  })) << eval(win, "window.__logs.join('|')").to_debug_string();
  EXPECT_EQ(eval(win, "typeof require('electron').ipcRenderer.send").get_string(), "function");
}

TEST_F(SeedAppsTest, LegacySyncWithNodeIntegration) {
  std::vector<std::string> main_log;
  legacy_listeners(ipc(), main_log);
  auto win = open_example("legacy/sync", true);
  eval(win, kCaptureConsole);
  focus(win);
  keys("key Tab");
  keys("key space");
  EXPECT_TRUE(wait_for(
      [&] { return eval(win, "window.__logs.join('|')").get_string() == "world from main"; }));
  ASSERT_EQ(main_log.size(), 1u);
  EXPECT_EQ(main_log[0], "world from renderer");
}

TEST_F(SeedAppsTest, NodeIntegrationIsOffByDefault) {
  auto win = open_example("legacy/sync", false);  // no preload.js there: none is loaded
  EXPECT_EQ(eval(win, "typeof require + typeof process").get_string(), "undefinedundefined");
}

TEST_F(SeedAppsTest, LegacyReplyAndSyncMessageFromThePreload) {
  std::vector<std::string> main_log;
  legacy_listeners(ipc(), main_log);
  auto a = open_example("legacy/reply");
  auto b = open_example("legacy/sync_message");
  ASSERT_TRUE(wait_for([&] { return main_log.size() == 2; }));
  EXPECT_EQ(main_log, (std::vector<std::string>{"ping", "ping"}));
}

}  // namespace
}  // namespace valence::test
