// JSCValue (a result WebKit hands the UI process) -> Value.
#include <cstring>
#include <string>

#include "ui/app_impl.h"

namespace valence {
namespace {

constexpr int kMaxDepth = 200;

std::string string_of(JSCValue* v) {
  GBytes* bytes = jsc_value_to_string_as_bytes(v);
  gsize size = 0;
  const auto* data = static_cast<const char*>(g_bytes_get_data(bytes, &size));
  std::string out(data ? data : "", size);
  g_bytes_unref(bytes);
  return out;
}

Result<Value> convert(JSCValue* v, const std::string& path, int depth) {
  if (depth > kMaxDepth)
    return make_error(ErrorCode::kCloneError, path + ": the value is nested too deeply");
  if (jsc_value_is_undefined(v)) return Value();
  if (jsc_value_is_null(v)) return Value(nullptr);
  if (jsc_value_is_boolean(v)) return Value(static_cast<bool>(jsc_value_to_boolean(v)));
  if (jsc_value_is_number(v)) return Value(jsc_value_to_double(v));
  if (jsc_value_is_string(v)) return Value(String(string_of(v)));
  if (jsc_value_is_function(v))
    return make_error(ErrorCode::kCloneError, path + ": function could not be cloned");
  if (jsc_value_is_typed_array(v)) {
    gsize length = 0;
    auto* data = static_cast<const std::uint8_t*>(jsc_value_typed_array_get_data(v, &length));
    std::size_t size = jsc_value_typed_array_get_size(v);
    return Value(View(ViewKind::kUint8Array, Bytes(data, size)));
  }
  if (jsc_value_is_array_buffer(v)) {
    gsize size = 0;
    auto* data = static_cast<const std::uint8_t*>(jsc_value_array_buffer_get_data(v, &size));
    return Value(ArrayBuffer(Bytes(data, size)));
  }
  if (jsc_value_is_array(v)) {
    JSCValue* length_v = jsc_value_object_get_property(v, "length");
    auto length = static_cast<std::uint32_t>(jsc_value_to_double(length_v));
    g_object_unref(length_v);
    std::vector<Value> items;
    items.reserve(length);
    for (std::uint32_t i = 0; i < length; ++i) {
      JSCValue* item = jsc_value_object_get_property_at_index(v, i);
      auto c = convert(item, path + "[" + std::to_string(i) + "]", depth + 1);
      g_object_unref(item);
      if (!c) return c;
      items.push_back(std::move(c).value());
    }
    return Value::array(std::move(items));
  }
  if (jsc_value_object_is_instance_of(v, "Date")) {
    JSCValue* t = jsc_value_object_invoke_method(v, "getTime", G_TYPE_NONE);
    double ms = jsc_value_to_double(t);
    g_object_unref(t);
    return Value(Date{ms});
  }
  if (jsc_value_is_object(v)) {
    Object object;
    char** names = jsc_value_object_enumerate_properties(v);
    for (char** n = names; n && *n; ++n) {
      JSCValue* item = jsc_value_object_get_property(v, *n);
      auto c = convert(item, path + "." + *n, depth + 1);
      g_object_unref(item);
      if (!c) {
        g_strfreev(names);
        return c;
      }
      object.set(String(*n), std::move(c).value());
    }
    g_strfreev(names);
    return Value(std::move(object));
  }
  return make_error(ErrorCode::kCloneError, path + ": value could not be cloned");
}

}  // namespace

Result<Value> value_from_jsc(JSCValue* value) {
  return convert(value, "result", 0);
}

}  // namespace valence
