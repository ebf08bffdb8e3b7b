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
#include "valence/ui/dialog.h"
#include "valence/ui/menu.h"

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

// dialog.showOpenDialog's options and result, as pages write them.
struct FileFilterJs {
  std::optional<std::string> name;
  std::optional<std::vector<std::string>> extensions;
};
struct OpenDialogOptionsJs {
  std::optional<std::string> title;
  std::optional<std::string> defaultPath;
  std::optional<std::string> buttonLabel;
  std::optional<std::vector<FileFilterJs>> filters;
  std::optional<std::vector<std::string>> properties;
};

// A menu template item from a page: its click is a page function.
struct MenuItemJs {
  std::optional<std::string> label;
  std::optional<std::string> type;
  std::optional<std::string> role;
  std::optional<std::string> accelerator;
  std::optional<std::string> id;
  std::optional<bool> enabled;
  std::optional<bool> visible;
  std::optional<bool> checked;
  std::optional<remote::Callback> click;
  std::optional<std::vector<MenuItemJs>> submenu;
};

// remote.dialog (an object: its methods only).
struct DialogObject {};

}  // namespace
}  // namespace valence

VALENCE_STRUCT(valence::WindowOptions, width, height, title, show);
VALENCE_STRUCT(valence::FileFilterJs, name, extensions);
VALENCE_STRUCT(valence::OpenDialogOptionsJs, title, defaultPath, buttonLabel, filters, properties);
// {canceled, filePaths}, Electron's names.
template <>
struct valence::Convert<valence::dialog::OpenDialogReturnValue> {
  static Value to_value(const dialog::OpenDialogReturnValue& r) {
    return Value::object(
        {{"canceled", r.canceled},
         {"filePaths", Convert<std::vector<std::string>>::to_value(r.file_paths)}});
  }
  static Result<dialog::OpenDialogReturnValue> from_value(const Value& v, ConvertPath& path) {
    return path.mismatch("a dialog result (main gives them, pages do not)", v);
  }
};
VALENCE_STRUCT(valence::MenuItemJs, label, type, role, accelerator, id, enabled, visible, checked,
               click, submenu);

namespace valence {

namespace {

dialog::OpenDialogOptions dialog_options(const OpenDialogOptionsJs& js) {
  dialog::OpenDialogOptions o;
  o.title = js.title.value_or("");
  o.default_path = js.defaultPath.value_or("");
  o.button_label = js.buttonLabel.value_or("");
  for (const auto& f : js.filters.value_or(std::vector<FileFilterJs>{}))
    o.filters.push_back({f.name.value_or(""), f.extensions.value_or(std::vector<std::string>{})});
  o.properties = js.properties.value_or(std::vector<std::string>{});
  return o;
}

// showOpenDialog([browserWindow, ]options): Electron's optional first
// argument.
struct DialogArgs {
  std::shared_ptr<BrowserWindow> window;
  dialog::OpenDialogOptions options;
};
Result<DialogArgs> dialog_args(const Value& first, const Value& second) {
  DialogArgs out;
  const Value* options = &first;
  if (first.is_host_object()) {
    auto w = from_value<std::shared_ptr<BrowserWindow>>(first, "args[0]");
    if (!w) return Unexpected{w.error()};
    out.window = std::move(w).value();
    options = &second;
  }
  auto js =
      from_value<std::optional<OpenDialogOptionsJs>>(*options, out.window ? "args[1]" : "args[0]");
  if (!js) return Unexpected{js.error()};
  out.options = dialog_options(js->value_or(OpenDialogOptionsJs{}));
  return out;
}

MenuItemOptions menu_item(const MenuItemJs& js) {
  MenuItemOptions o;
  o.label = js.label.value_or("");
  o.type = js.type.value_or("");
  o.role = js.role.value_or("");
  o.accelerator = js.accelerator.value_or("");
  o.id = js.id.value_or("");
  o.enabled = js.enabled.value_or(true);
  o.visible = js.visible.value_or(true);
  o.checked = js.checked.value_or(false);
  if (js.click) {
    // click(menuItem, browserWindow): the item has no remote class; the
    // window is a reference. The page's function lives as long as the menu.
    remote::Callback cb = *js.click;
    o.click = [cb](MenuItem&, const std::shared_ptr<BrowserWindow>& window) {
      cb(Value(), window);
    };
  }
  for (const auto& sub : js.submenu.value_or(std::vector<MenuItemJs>{}))
    o.submenu.push_back(menu_item(sub));
  return o;
}

}  // namespace

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

  auto& dialog_class = registry.define<DialogObject>("Dialog");
  dialog_class
      .method(
          "showOpenDialog",
          [](DialogObject&, Value first, Value second) -> Future<dialog::OpenDialogReturnValue> {
            auto a = dialog_args(first, second);
            if (!a) return Future<dialog::OpenDialogReturnValue>::ready(Unexpected{a.error()});
            return a->window ? dialog::show_open_dialog(a->window, std::move(a->options))
                             : dialog::show_open_dialog(std::move(a->options));
          })
      .method("showOpenDialogSync", [](DialogObject&, Value first, Value second) -> Result<Value> {
        auto a = dialog_args(first, second);
        if (!a) return Unexpected{a.error()};
        auto r = dialog::show_open_dialog_sync(a->window, std::move(a->options));
        // Electron: the paths, or undefined when canceled.
        if (r.canceled) return Value();
        return Convert<std::vector<std::string>>::to_value(r.file_paths);
      });

  auto& menu_item_class = registry.define<MenuItem>("MenuItem");
  menu_item_class
      .constructor([](MenuItemJs js) {
        auto item = std::make_shared<MenuItem>();
        MenuItemOptions o = menu_item(js);
        item->label = o.label;
        item->type = o.type.empty() ? "normal" : o.type;
        item->role = o.role;
        item->accelerator = o.accelerator;
        item->id = o.id;
        item->enabled = o.enabled;
        item->visible = o.visible;
        item->checked = o.checked;
        item->on_click = o.click;
        if (!o.submenu.empty()) item->submenu = Menu::build_from_template(o.submenu);
        return item;
      })
      .property("label", &MenuItem::label)
      .property("id", [](const MenuItem& i) { return i.id; })
      .property("type", [](const MenuItem& i) { return i.type; })
      .property("enabled", &MenuItem::enabled)
      .property("visible", &MenuItem::visible)
      .property("checked", &MenuItem::checked)
      .method("click", [](MenuItem& i) { i.click(); });

  auto& menu_class = registry.define<Menu>("Menu");
  menu_class.constructor([] { return std::make_shared<Menu>(); })
      .property("items", [](const Menu& m) { return m.items; })
      .method("append",
              [](Menu& m, std::shared_ptr<MenuItem> item) {
                if (item) m.items.push_back(std::move(item));
              })
      .method("getMenuItemById", [](Menu& m, std::string id) { return m.get_menu_item_by_id(id); })
      .static_method("buildFromTemplate",
                     [](std::vector<MenuItemJs> items) {
                       std::vector<MenuItemOptions> options;
                       for (const auto& i : items) options.push_back(menu_item(i));
                       return Menu::build_from_template(std::move(options));
                     })
      .static_method(
          "setApplicationMenu",
          [](std::shared_ptr<Menu> menu) { Menu::set_application_menu(std::move(menu)); })
      .static_method("getApplicationMenu", [] { return Menu::get_application_menu(); });

  registry.builtin("Menu", menu_class);
  registry.builtin("MenuItem", menu_item_class);
  registry.builtin_object("dialog", std::make_shared<DialogObject>());
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
