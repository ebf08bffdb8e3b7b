// Runs a script in JavaScriptCore, the engine of WebKitGTK's web process, for
// tests/web_js/jsc_test.js.
//
//   valence_jsc_host FILE
//
// Evaluates FILE in a fresh JSCContext and writes the script's completion
// value, as a string, to stdout. The script may call print(text) (a line on
// stderr) and cpuTime() (this thread's CPU time in seconds, for benchmarks).
// Exit status 1 on an uncaught exception (reported on stderr), 2 on a usage or
// I/O error.
#include <jsc/jsc.h>
#include <time.h>

#include <cstdio>

namespace {

double cpu_time() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

void print(const char* text) {
  std::fprintf(stderr, "%s\n", text);
}

void define_function(JSCContext* context, const char* name, GCallback callback, GType result,
                     guint n_params, GType param) {
  JSCValue* fn =
      n_params == 0
          ? jsc_value_new_function(context, name, callback, nullptr, nullptr, result, 0)
          : jsc_value_new_function(context, name, callback, nullptr, nullptr, result, 1, param);
  jsc_context_set_value(context, name, fn);
  g_object_unref(fn);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: valence_jsc_host FILE\n");
    return 2;
  }
  gchar* code = nullptr;
  gsize length = 0;
  GError* error = nullptr;
  if (!g_file_get_contents(argv[1], &code, &length, &error)) {
    std::fprintf(stderr, "valence_jsc_host: %s\n", error->message);
    g_error_free(error);
    return 2;
  }
  JSCContext* context = jsc_context_new();
  define_function(context, "cpuTime", reinterpret_cast<GCallback>(cpu_time), G_TYPE_DOUBLE, 0,
                  G_TYPE_NONE);
  define_function(context, "print", reinterpret_cast<GCallback>(print), G_TYPE_NONE, 1,
                  G_TYPE_STRING);
  JSCValue* result =
      jsc_context_evaluate_with_source_uri(context, code, static_cast<gssize>(length), argv[1], 1);
  g_free(code);
  int status = 0;
  if (JSCException* exception = jsc_context_get_exception(context)) {
    char* report = jsc_exception_report(exception);
    std::fprintf(stderr, "uncaught exception: %s\n", report);
    g_free(report);
    status = 1;
  } else {
    char* text = jsc_value_to_string(result);
    std::fputs(text, stdout);
    std::fputc('\n', stdout);
    g_free(text);
  }
  if (result != nullptr) g_object_unref(result);
  g_object_unref(context);
  return status;
}
