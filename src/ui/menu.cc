#include "valence/ui/menu.h"

#include <gtk/gtk.h>

#include <cctype>

#include "ui/app_impl.h"
#include "ui/window_impl.h"

namespace valence {
namespace {

std::string role_label(const std::string& role) {
  if (role == "quit") return "_Quit";
  if (role == "close") return "_Close Window";
  if (role == "reload") return "_Reload";
  if (role == "forceReload") return "_Force Reload";
  if (role == "toggleDevTools") return "Toggle _Developer Tools";
  if (role == "minimize") return "_Minimize";
  if (role == "togglefullscreen") return "Toggle _Full Screen";
  return role;
}

std::string role_accelerator(const std::string& role) {
  if (role == "quit") return "CmdOrCtrl+Q";
  if (role == "close") return "CmdOrCtrl+W";
  if (role == "reload") return "CmdOrCtrl+R";
  if (role == "forceReload") return "Shift+CmdOrCtrl+R";
  if (role == "toggleDevTools") return "Ctrl+Shift+I";
  if (role == "togglefullscreen") return "F11";
  return "";
}

std::shared_ptr<Menu> build(std::vector<MenuItemOptions>& options) {
  auto menu = std::make_shared<Menu>();
  for (auto& o : options) {
    auto item = std::make_shared<MenuItem>();
    item->role = o.role;
    item->label = !o.label.empty() ? o.label : role_label(o.role);
    item->accelerator = !o.accelerator.empty() ? o.accelerator : role_accelerator(o.role);
    item->type = !o.type.empty() ? o.type : !o.submenu.empty() ? "submenu" : "normal";
    item->id = o.id;
    item->enabled = o.enabled;
    item->visible = o.visible;
    item->checked = o.checked;
    item->on_click = std::move(o.click);
    if (!o.submenu.empty()) item->submenu = build(o.submenu);
    menu->items.push_back(std::move(item));
  }
  return menu;
}

// Electron's accelerator syntax to GTK's ("CmdOrCtrl+Shift+R" -> <Control><Shift>r).
bool parse_accelerator(const std::string& accelerator, guint& key, GdkModifierType& mods) {
  std::string gtk;
  std::string rest = accelerator;
  std::string last;
  std::size_t pos = 0;
  while (true) {
    std::size_t plus = rest.find('+', pos);
    std::string part = rest.substr(pos, plus == std::string::npos ? std::string::npos : plus - pos);
    if (plus == std::string::npos) {
      last = part;
      break;
    }
    if (part == "CmdOrCtrl" || part == "CommandOrControl" || part == "Ctrl" || part == "Control")
      gtk += "<Control>";
    else if (part == "Shift")
      gtk += "<Shift>";
    else if (part == "Alt" || part == "Option" || part == "AltGr")
      gtk += "<Alt>";
    else if (part == "Super" || part == "Meta" || part == "Cmd" || part == "Command")
      gtk += "<Super>";
    else
      return false;
    pos = plus + 1;
  }
  if (last.empty()) return false;
  if (last.size() == 1) {
    last[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(last[0])));
    if (last == "+") last = "plus";
  }
  gtk += last;
  gtk_accelerator_parse(gtk.c_str(), &key, &mods);
  return key != 0;
}

struct Activation {
  std::weak_ptr<MenuItem> item;
  int window_id;
};

void on_activate(GtkMenuItem*, gpointer data) {
  auto* a = static_cast<Activation*>(data);
  auto item = a->item.lock();
  if (!item) return;
  item->click(BrowserWindow::from_id(a->window_id));
}

void free_activation(gpointer data, GClosure*) {
  delete static_cast<Activation*>(data);
}

GtkWidget* gtk_menu_of(const Menu& menu, bool bar, int window_id, GtkAccelGroup* accel) {
  GtkWidget* shell = bar ? gtk_menu_bar_new() : gtk_menu_new();
  if (!bar) gtk_menu_set_accel_group(GTK_MENU(shell), accel);
  for (const auto& item : menu.items) {
    if (!item->visible) continue;
    GtkWidget* w = nullptr;
    if (item->type == "separator") {
      w = gtk_separator_menu_item_new();
    } else if (item->type == "checkbox") {
      w = gtk_check_menu_item_new_with_mnemonic(item->label.c_str());
      gtk_check_menu_item_set_active(GTK_CHECK_MENU_ITEM(w), item->checked);
    } else {
      w = gtk_menu_item_new_with_mnemonic(item->label.c_str());
    }
    gtk_widget_set_sensitive(w, item->enabled);
    if (item->submenu) {
      gtk_menu_item_set_submenu(GTK_MENU_ITEM(w),
                                gtk_menu_of(*item->submenu, false, window_id, accel));
    } else if (item->type != "separator") {
      g_signal_connect_data(w, "activate", G_CALLBACK(on_activate), new Activation{item, window_id},
                            free_activation, GConnectFlags{});
      guint key = 0;
      GdkModifierType mods{};
      if (!item->accelerator.empty() && parse_accelerator(item->accelerator, key, mods))
        gtk_widget_add_accelerator(w, "activate", accel, key, mods, GTK_ACCEL_VISIBLE);
    }
    gtk_menu_shell_append(GTK_MENU_SHELL(shell), w);
  }
  return shell;
}

std::shared_ptr<BrowserWindow> focused_window() {
  auto all = BrowserWindow::get_all_windows();
  for (const auto& w : all)
    if (!w->is_destroyed() && gtk_window_is_active(GTK_WINDOW(w->native_window()))) return w;
  return all.empty() ? nullptr : all.front();
}

void run_role(const std::string& role, const std::shared_ptr<BrowserWindow>& window) {
  if (role == "quit") {
    if (App* app = App::current()) app->quit();
    return;
  }
  if (!window || window->is_destroyed()) return;
  auto* view = static_cast<WebKitWebView*>(window->native_view());
  auto* gwin = GTK_WINDOW(window->native_window());
  if (role == "close")
    window->close();
  else if (role == "reload")
    webkit_web_view_reload(view);
  else if (role == "forceReload")
    webkit_web_view_reload_bypass_cache(view);
  else if (role == "toggleDevTools")
    window->web_contents()->toggle_dev_tools();
  else if (role == "minimize")
    gtk_window_iconify(gwin);
  else if (role == "togglefullscreen") {
    GdkWindow* g = gtk_widget_get_window(GTK_WIDGET(gwin));
    bool full = g && (gdk_window_get_state(g) & GDK_WINDOW_STATE_FULLSCREEN);
    if (full)
      gtk_window_unfullscreen(gwin);
    else
      gtk_window_fullscreen(gwin);
  }
}

}  // namespace

void MenuItem::click() {
  click(focused_window());
}

void MenuItem::click(const std::shared_ptr<BrowserWindow>& window) {
  if (!enabled) return;
  if (type == "checkbox") checked = !checked;
  if (on_click) {
    on_click(*this, window);
    return;
  }
  if (!role.empty()) run_role(role, window);
}

std::shared_ptr<Menu> Menu::build_from_template(std::vector<MenuItemOptions> items) {
  return build(items);
}

void Menu::set_application_menu(std::shared_ptr<Menu> menu) {
  App* app = App::current();
  if (!app) return;
  app->impl().application_menu = menu;
  for (const auto& w : app->windows()) w->impl().set_menu(menu);
}

std::shared_ptr<Menu> Menu::get_application_menu() {
  App* app = App::current();
  return app ? app->impl().application_menu : nullptr;
}

std::shared_ptr<MenuItem> Menu::get_menu_item_by_id(const std::string& id) const {
  for (const auto& item : items) {
    if (item->id == id) return item;
    if (item->submenu)
      if (auto found = item->submenu->get_menu_item_by_id(id)) return found;
  }
  return nullptr;
}

// A window's menu bar (ui/window_impl.h).
void BrowserWindow::Impl::set_menu(const std::shared_ptr<Menu>& menu) {
  if (!box) return;
  if (menubar) {
    gtk_widget_destroy(menubar);
    menubar = nullptr;
  }
  if (accel) {
    gtk_window_remove_accel_group(GTK_WINDOW(window), accel);
    g_object_unref(accel);
    accel = nullptr;
  }
  if (!menu) return;
  accel = gtk_accel_group_new();
  gtk_window_add_accel_group(GTK_WINDOW(window), accel);
  menubar = gtk_menu_of(*menu, true, owner->id(), accel);
  gtk_box_pack_start(GTK_BOX(box), menubar, FALSE, FALSE, 0);
  gtk_box_reorder_child(GTK_BOX(box), menubar, 0);
  gtk_widget_show_all(menubar);
}

}  // namespace valence
