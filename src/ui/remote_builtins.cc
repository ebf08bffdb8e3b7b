// The built-ins a page reaches through remote: remote.app, remote.BrowserWindow
// and remote.webContents (the ui layer binds its own types; rmi knows no
// window). Windows and WebContents are held weakly: a page's reference never
// keeps one open, and once gone its calls throw "Object has been destroyed".
#include <unistd.h>

#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "ui/app_impl.h"
#include "ui/window_impl.h"
#include "valence/remote.h"

namespace valence {
namespace {

// remote.app
struct AppObject {
  App* app = nullptr;
  remote::Events events;
};

// A window's events as pages see them; made on first use, emitted from the
// window's own closed hook.
class WindowEvents {
 public:
  remote::Events* of(BrowserWindow& win) {
    auto it = events_.find(win.id());
    if (it != events_.end()) return it->second.get();
    auto events = std::make_shared<remote::Events>();
    events_.emplace(win.id(), events);
    std::weak_ptr<remote::Events> weak = events;
    int id = win.id();
    win.on_closed([this, weak, id] {
      if (auto e = weak.lock()) {
        e->emit("close");
        e->emit("closed");
      }
      events_.erase(id);
    });
    win.on_ready_to_show([weak] {
      if (auto e = weak.lock()) e->emit("ready-to-show");
    });
    win.on_page_title_updated([weak](const std::string& title) {
      if (auto e = weak.lock()) e->emit("page-title-updated", Value::object({}), title);
      return false;
    });
    return events.get();
  }

 private:
  std::map<int, std::shared_ptr<remote::Events>> events_;
};

// new BrowserWindow({width, height, title, show}); other keys are ignored.
struct WindowOptions {
  std::optional<int> width;
  std::optional<int> height;
  std::optional<std::string> title;
  std::optional<bool> show;
};

}  // namespace
}  // namespace valence

VALENCE_STRUCT(valence::WindowOptions, width, height, title, show);

namespace valence {

void register_remote_builtins(App& app, remote::Registry& registry) {
  auto window_events = std::make_shared<WindowEvents>();

  auto& contents = registry.define<WebContents>("WebContents");
  contents.held_weakly()
      .property("id", [](const WebContents& c) { return c.id(); })
      .method("send",
              [](WebContents& c, const std::vector<Value>& args) {
                if (args.empty() || !args[0].is_string())
                  throw std::runtime_error("webContents.send: the channel must be a string");
                std::vector<Value> rest;
                for (std::size_t i = 1; i < args.size(); ++i) rest.push_back(args[i].clone());
                return c.send_values(args[0].get_string(), std::move(rest));
              })
      .method(
          "executeJavaScript",
          [](WebContents& c, std::string code) { return c.execute_javascript(std::move(code)); })
      .method("openDevTools", [](WebContents& c) { c.open_dev_tools(); })
      .method("closeDevTools", [](WebContents& c) { c.close_dev_tools(); })
      .method("toggleDevTools", [](WebContents& c) { c.toggle_dev_tools(); })
      .method("isCrashed", [](WebContents& c) { return c.is_crashed(); })
      .static_method(
          "fromId",
          [&app](int id) -> std::shared_ptr<WebContents> { return app.main_process().from_id(id); })
      .static_method("getAllWebContents",
                     [&app]() { return app.main_process().all_web_contents(); });

  auto& window = registry.define<BrowserWindow>("BrowserWindow");
  window.held_weakly()
      .constructor(
          [&app](remote::CallContext& ctx,
                 std::optional<WindowOptions> given) -> Result<std::shared_ptr<BrowserWindow>> {
            WindowOptions o = given.value_or(WindowOptions{});
            BrowserWindowOptions options;
            options.width = o.width.value_or(options.width);
            options.height = o.height.value_or(options.height);
            options.title = o.title.value_or(options.title);
            options.show = o.show.value_or(options.show);
            // A window a page opens gets its opener's web preferences (a page
            // cannot name a preload script or turn on what its own window lacks).
            if (auto opener = ctx.sender ? BrowserWindow::from_web_contents(*ctx.sender) : nullptr)
              options.web_preferences = opener->impl().web_preferences;
            return BrowserWindow::create(app, std::move(options));
          })
      .property("id", [](const BrowserWindow& w) { return w.id(); })
      .property("webContents", [](const BrowserWindow& w) { return w.web_contents(); })
      .method("loadURL", [](BrowserWindow& w, std::string url) { return w.load_url(url); })
      .method("loadFile", [](BrowserWindow& w, std::string path) { return w.load_file(path); })
      .method("getURL", [](BrowserWindow& w) { return w.get_url(); })
      .method("setTitle", [](BrowserWindow& w, std::string title) { w.set_title(title); })
      .method("getTitle", [](BrowserWindow& w) { return w.get_title(); })
      .method("getSize",
              [](BrowserWindow& w) {
                auto [width, height] = w.get_size();
                return std::vector<int>{width, height};
              })
      .method("show", [](BrowserWindow& w) { w.show(); })
      .method("hide", [](BrowserWindow& w) { w.hide(); })
      .method("isVisible", [](BrowserWindow& w) { return w.is_visible(); })
      .method("close", [](BrowserWindow& w) { w.close(); })
      .method("destroy", [](BrowserWindow& w) { w.destroy(); })
      .method("isDestroyed", [](BrowserWindow& w) { return w.is_destroyed(); })
      .events([window_events](BrowserWindow& w) { return window_events->of(w); })
      .static_method("fromId", [](int id) { return BrowserWindow::from_id(id); })
      .static_method("getAllWindows", [] { return BrowserWindow::get_all_windows(); })
      .static_method("fromWebContents", [](std::shared_ptr<WebContents> c) {
        return c ? BrowserWindow::from_web_contents(*c) : nullptr;
      });

  auto& app_class = registry.define<AppObject>("App");
  app_class.method("getName", [](AppObject& a) { return a.app->name(); })
      .method("setName", [](AppObject& a, std::string name) { a.app->set_name(name); })
      .method("getVersion", [](AppObject&) { return std::string(VALENCE_VERSION); })
      .method("quit",
              [](AppObject& a) {
                // After the page's synchronous call has its answer.
                App* target = a.app;
                target->loop().post([target] { target->quit(); });
              })
      .events(&AppObject::events);
  auto app_object = std::make_shared<AppObject>();
  app_object->app = &app;

  registry.builtin("BrowserWindow", window);
  registry.builtin("webContents", contents);
  registry.builtin_object("app", app_object);
  registry.set_current_window([](const std::shared_ptr<WebContents>& c) -> Value {
    if (!c) return Value(nullptr);
    return Convert<std::shared_ptr<BrowserWindow>>::to_value(BrowserWindow::from_web_contents(*c));
  });
  registry.set_current_web_contents([](const std::shared_ptr<WebContents>& c) -> Value {
    return Convert<std::shared_ptr<WebContents>>::to_value(c);
  });

  // remote.process: main's, as a copy (no env, no methods).
  Value process = Value::object({{"type", "browser"}, {"platform", "linux"}});
  process.get_object().set(String("pid"), Value(static_cast<double>(::getpid())));
  Value versions = Value::object({});
  for (const auto& [k, v] : App::versions()) versions.get_object().set(String(k), Value(v));
  process.get_object().set(String("versions"), std::move(versions));
  process.get_object().set(String("arch"), Value(sizeof(void*) == 8 ? "x64" : "ia32"));
  process.get_object().set(String("argv"), Value::array({}));
  registry.global("process", std::move(process));
}

}  // namespace valence
