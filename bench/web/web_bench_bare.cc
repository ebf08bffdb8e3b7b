// Web benchmark, WebKit alone: the baseline web_bench's startup and memory
// figures are compared with. GTK 3 + WebKitGTK 4.1 and nothing of valence:
// its own WebKitWebContext (no web extension), WebKit's sandbox on as an
// App's default (off with VALENCE_DISABLE_SANDBOX=1, as an App), page cache
// and console-to-stdout off as BrowserWindow sets them by default, and the
// same page (bench_page.html, whose script does nothing without valence's
// preload). Instead of a preload, a user script at document start in the
// main world posts to a script-message handler named 'hello'.
//
//   web_bench_bare --case startup [--windows K] [--settle-ms S]
//       as web_bench: from just before the view is created to 'hello' in
//       this process, window after window.
//   web_bench_bare --case memory [--windows N] [--settle-ms S]
//       as web_bench: one window, then N more.
//
// Prints one JSON object on stdout.
#include <gtk/gtk.h>
#include <unistd.h>
#include <webkit2/webkit2.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "bench_util.h"
#include "web_proc.h"

namespace {

using webbench::now_us;

struct Options {
  std::string bench_case = "startup";
  int windows = 4;
  int settle_ms = 1500;
};

struct Win {
  GtkWidget* window = nullptr;
  WebKitWebView* view = nullptr;
  double t_create = 0, t_load = 0, t_hello = 0;
};

WebKitWebContext* g_context = nullptr;
Options g_opt;
std::string g_page_uri;
std::vector<std::unique_ptr<Win>> g_wins;
std::function<void()> g_progress;
GMainLoop* g_loop = nullptr;

void progress() {
  g_idle_add(
      [](gpointer) -> gboolean {
        if (g_progress) {
          auto f = g_progress;
          f();
        }
        return G_SOURCE_REMOVE;
      },
      nullptr);
}

void on_hello(WebKitUserContentManager*, gpointer /* WebKitJavascriptResult* */, gpointer data) {
  auto* w = static_cast<Win*>(data);
  if (w->t_hello == 0) w->t_hello = now_us();
  progress();
}

void on_load_changed(WebKitWebView*, WebKitLoadEvent event, gpointer data) {
  auto* w = static_cast<Win*>(data);
  if (event != WEBKIT_LOAD_FINISHED) return;
  if (w->t_load == 0) w->t_load = now_us();
  progress();
}

bool ready(const Win& w) {
  return w.t_hello != 0 && w.t_load != 0;
}

Win& open_window() {
  g_wins.push_back(std::make_unique<Win>());
  Win& w = *g_wins.back();
  w.t_create = now_us();
  if (!g_context) {
    g_context = webkit_web_context_new();
    const char* off = std::getenv("VALENCE_DISABLE_SANDBOX");
    if (!(off && *off && std::string(off) != "0"))
      webkit_web_context_set_sandbox_enabled(g_context, TRUE);
  }
  WebKitUserContentManager* ucm = webkit_user_content_manager_new();
  webkit_user_content_manager_register_script_message_handler(ucm, "hello");
  g_signal_connect(ucm, "script-message-received::hello", G_CALLBACK(on_hello), &w);
  WebKitUserScript* script = webkit_user_script_new(
      "window.webkit.messageHandlers.hello.postMessage(0)", WEBKIT_USER_CONTENT_INJECT_TOP_FRAME,
      WEBKIT_USER_SCRIPT_INJECT_AT_DOCUMENT_START, nullptr, nullptr);
  webkit_user_content_manager_add_script(ucm, script);
  webkit_user_script_unref(script);
  w.view = WEBKIT_WEB_VIEW(g_object_new(WEBKIT_TYPE_WEB_VIEW, "web-context", g_context,
                                        "user-content-manager", ucm, nullptr));
  g_object_unref(ucm);
  WebKitSettings* settings = webkit_web_view_get_settings(w.view);
  webkit_settings_set_enable_page_cache(settings, FALSE);
  webkit_settings_set_enable_write_console_messages_to_stdout(settings, FALSE);
  w.window = gtk_window_new(GTK_WINDOW_TOPLEVEL);
  gtk_window_set_title(GTK_WINDOW(w.window), "web bench");
  gtk_window_set_default_size(GTK_WINDOW(w.window), 800, 600);
  gtk_container_add(GTK_CONTAINER(w.window), GTK_WIDGET(w.view));
  g_signal_connect(w.view, "load-changed", G_CALLBACK(on_load_changed), &w);
  gtk_widget_show(GTK_WIDGET(w.view));
  gtk_widget_show(w.window);
  webkit_web_view_load_uri(w.view, g_page_uri.c_str());
  return w;
}

void after(int ms, std::function<void()> f) {
  auto* heap = new std::function<void()>(std::move(f));
  g_timeout_add(
      static_cast<guint>(ms),
      [](gpointer data) -> gboolean {
        std::unique_ptr<std::function<void()>> fn(static_cast<std::function<void()>*>(data));
        (*fn)();
        return G_SOURCE_REMOVE;
      },
      heap);
}

void finish(const std::string& json) {
  std::printf("%s\n", json.c_str());
  std::fflush(stdout);
  g_main_loop_quit(g_loop);
}

void startup_next() {
  if (static_cast<int>(g_wins.size()) == g_opt.windows) {
    std::string hello = "[", load = "[";
    for (std::size_t i = 0; i < g_wins.size(); ++i) {
      char b[64];
      std::snprintf(b, sizeof b, "%s%.2f", i ? ", " : "",
                    (g_wins[i]->t_hello - g_wins[i]->t_create) / 1000);
      hello += b;
      std::snprintf(b, sizeof b, "%s%.2f", i ? ", " : "",
                    (g_wins[i]->t_load - g_wins[i]->t_create) / 1000);
      load += b;
    }
    bench::Json out;
    out.str("case", "startup")
        .str("program", "bare")
        .str("main_cpus", webbench::thread_cpus(::getpid()))
        .raw("hello_ms", hello + "]")
        .raw("did_finish_load_ms", load + "]")
        .boolean("ok", true);
    finish(out.text());
    return;
  }
  Win& w = open_window();
  Win* wp = &w;
  g_progress = [wp] {
    if (!ready(*wp) || !wp->window) return;
    g_progress = nullptr;
    gtk_widget_destroy(wp->window);
    wp->window = nullptr;
    wp->view = nullptr;
    after(g_opt.settle_ms, startup_next);
  };
}

std::string g_first;

void start_memory() {
  Win& first = open_window();
  Win* fp = &first;
  g_progress = [fp] {
    if (!ready(*fp)) return;
    g_progress = nullptr;
    after(g_opt.settle_ms, [] {
      g_first = webbench::memory_snapshot();
      for (int i = 0; i < g_opt.windows; ++i) open_window();
      g_progress = [] {
        for (const auto& w : g_wins)
          if (!ready(*w)) return;
        g_progress = nullptr;
        after(g_opt.settle_ms, [] {
          bench::Json out;
          out.str("case", "memory")
              .str("program", "bare")
              .integer("windows_added", g_opt.windows)
              .integer("settle_ms", g_opt.settle_ms)
              .raw("one_window", g_first)
              .raw("after", webbench::memory_snapshot())
              .boolean("ok", true);
          finish(out.text());
        });
      };
    });
  };
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (i + 1 >= argc) {
      std::fprintf(stderr, "web_bench_bare: missing value after %s\n", a.c_str());
      return 2;
    }
    if (a == "--case")
      g_opt.bench_case = argv[++i];
    else if (a == "--windows")
      g_opt.windows = std::atoi(argv[++i]);
    else if (a == "--settle-ms")
      g_opt.settle_ms = std::atoi(argv[++i]);
    else {
      std::fprintf(stderr, "web_bench_bare: unknown argument %s\n", a.c_str());
      return 2;
    }
  }
  ::setenv("NO_AT_BRIDGE", "1", 0);
  int gtk_argc = 1;
  if (!gtk_init_check(&gtk_argc, &argv)) {
    std::fprintf(stderr, "web_bench_bare: cannot open a display (run under xvfb-run)\n");
    return 1;
  }
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  auto page = exe.parent_path() / "bench_page.html";
  char* uri = g_filename_to_uri(page.c_str(), nullptr, nullptr);
  if (!uri) return 1;
  g_page_uri = uri;
  g_free(uri);
  g_loop = g_main_loop_new(nullptr, FALSE);
  g_timeout_add_seconds(
      300,
      [](gpointer) -> gboolean {
        std::fprintf(stderr, "web_bench_bare: timed out\n");
        std::printf("{\"ok\": false, \"error\": \"timed out\"}\n");
        std::_Exit(1);
      },
      nullptr);
  if (g_opt.bench_case == "startup") {
    startup_next();
  } else if (g_opt.bench_case == "memory") {
    start_memory();
  } else {
    std::fprintf(stderr, "web_bench_bare: unknown case %s\n", g_opt.bench_case.c_str());
    return 2;
  }
  g_main_loop_run(g_loop);
  for (auto& w : g_wins)
    if (w->window) gtk_widget_destroy(w->window);
  if (g_context) g_object_unref(g_context);
  return 0;
}
