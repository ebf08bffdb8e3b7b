// Menu: Electron's Menu and MenuItem on GTK menu bars.
//
//   auto menu = Menu::build_from_template({
//       {.label = app.name(), .submenu = {
//           {.label = "Increment", .click = [&](MenuItem&, auto&) { ... }},
//           {.type = "separator"},
//           {.role = "quit"},
//       }},
//   });
//   Menu::set_application_menu(menu);          // a menu bar in every window
//   menu->items[0]->submenu->items[0]->click();  // as a user's click
//
// Roles: quit, close, reload, forceReload, toggleDevTools (WebKit's inspector),
// minimize, togglefullscreen; a role gives the item its label and action
// unless the template sets them. Accelerators use Electron's syntax
// ("CmdOrCtrl+Shift+R"); on Linux CmdOrCtrl is Control.
//
// Thread safety: loop-affine (the GTK main thread).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace valence {

class BrowserWindow;
class MenuItem;
class Menu;

struct MenuItemOptions {
  std::string label{};
  // "normal" (default), "separator", "submenu" (implied by a submenu),
  // "checkbox".
  std::string type{};
  std::string role{};
  std::string accelerator{};
  bool enabled = true;
  bool visible = true;
  bool checked = false;
  std::string id{};
  // click(menuItem, focusedWindow): the window the menu belongs to, or
  // null (programmatic click with no focused window).
  std::function<void(MenuItem&, const std::shared_ptr<BrowserWindow>&)> click{};
  std::vector<MenuItemOptions> submenu{};
};

class MenuItem {
 public:
  std::string label;
  std::string type;
  std::string role;
  std::string accelerator;
  std::string id;
  bool enabled = true;
  bool visible = true;
  bool checked = false;
  std::function<void(MenuItem&, const std::shared_ptr<BrowserWindow>&)> on_click;
  std::shared_ptr<Menu> submenu;

  // Runs the item as a user's click would: toggles a checkbox, then the
  // click callback or the role's action, for the focused window.
  void click();
  void click(const std::shared_ptr<BrowserWindow>& window);
};

class Menu {
 public:
  static std::shared_ptr<Menu> build_from_template(std::vector<MenuItemOptions> items);
  // Shows `menu` as the menu bar of every window, now and later (null: none).
  static void set_application_menu(std::shared_ptr<Menu> menu);
  static std::shared_ptr<Menu> get_application_menu();

  std::vector<std::shared_ptr<MenuItem>> items;
  std::shared_ptr<MenuItem> get_menu_item_by_id(const std::string& id) const;
};

}  // namespace valence
