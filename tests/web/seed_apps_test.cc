// The seed apps (examples/set_title, examples/ping) with their preload.js,
// index.html and renderer.js exactly as shipped, driven as a user would: real
// X input events (xdotool: focus the window, Tab, type, press the button),
// with the effect checked in main (the GTK window's title) and in the page.
// The handlers are the examples' main() logic; tests/web/run_examples.sh runs
// the example programs themselves.
#include <cstdlib>
#include <string>

#include "harness.h"
// After gtest: X11's macros (None, Bool) break gtest's headers.
#include <gdk/gdkx.h>
#include <gtk/gtk.h>

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

class SeedAppsTest : public WebTest {
 protected:
  std::shared_ptr<BrowserWindow> open_example(const std::string& app) {
    BrowserWindowOptions options;
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

}  // namespace
}  // namespace valence::test
