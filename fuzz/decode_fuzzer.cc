// libFuzzer target: decode arbitrary bytes in every Form; whatever decodes
// must survive encode -> decode unchanged (kNode and kValence).
//
// Tolerated: decode errors (hostile input); encode errors where the value
// cannot be written in that form (a Ref to a view's own buffer in kNode form,
// for instance); and the documented losses of each form: kNode writes only the
// bytes a view covers (so buffer sharing, offsets, resizability and length
// tracking are not compared there), and V8's own view record (kValence) has
// no Buffer kind (a Buffer comes back as a Uint8Array). Anything else is a
// finding: a sanitizer report, a crash, or an abort here when the second
// decode fails or differs from the first.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <variant>

#include "valence/codec.h"
#include "valence/value.h"

namespace {

using valence::Value;
namespace codec = valence::codec;

const char* form_name(codec::Form form) {
  switch (form) {
    case codec::Form::kNode: return "kNode";
    case codec::Form::kNodeIpc: return "kNodeIpc";
    case codec::Form::kValence: return "kValence";
  }
  return "?";
}

[[noreturn]] void fail(const char* what, codec::Form from, codec::Form to, const Value& first,
                       const std::string& detail) {
  std::fprintf(stderr, "decode_fuzzer: %s (decoded as %s, re-encoded as %s)\n  first:  %s\n  %s\n",
               what, form_name(from), form_name(to), first.to_debug_string().c_str(),
               detail.c_str());
  std::abort();
}

// Calls f(child) for every direct child value of v (View buffers included).
template <class F>
void for_each_child(const Value& v, F&& f) {
  switch (v.type()) {
    case valence::Type::kObject:
      for (const auto& [k, x] : v.get_object().properties()) f(x);
      break;
    case valence::Type::kArray:
      v.get_array().for_each_element([&](std::uint32_t, const Value& x) { f(x); });
      for (const auto& [k, x] : v.get_array().properties()) f(x);
      break;
    case valence::Type::kMap:
      for (const auto& [k, x] : v.get_map().entries()) {
        f(k);
        f(x);
      }
      break;
    case valence::Type::kSet:
      for (const auto& x : v.get_set().values()) f(x);
      break;
    case valence::Type::kError:
      if (v.get_error().has_cause) f(v.get_error().cause);
      break;
    case valence::Type::kView: f(v.get_view().buffer()); break;
    default: break;
  }
}

// True when kNode carries every view of `v` exactly: each owns a fixed-size
// buffer that it covers entirely.
bool node_form_exact(const Value& v) {
  if (const valence::View* view = v.get_if_view()) {
    const valence::ArrayBuffer* b = view->buffer().get_if_array_buffer();
    return b != nullptr && !b->is_resizable() && !view->length_tracking() &&
           view->byte_offset() == 0 && view->byte_length() == b->byte_length();
  }
  bool exact = true;
  for_each_child(v, [&](const Value& x) { exact = exact && node_form_exact(x); });
  return exact;
}

// What the decoder promises about any value it returns: every object node is
// present (no empty Box, which a moved-from Value leaves behind) and every Ref
// names an object node of the tree.
bool has_empty_box(const Value& v) {
  const bool empty = std::visit(
      [](const auto& alt) {
        if constexpr (requires { alt.get(); }) return alt.get() == nullptr;
        return false;
      },
      v.storage());
  if (empty) return true;
  bool found = false;
  for_each_child(v, [&](const Value& x) { found = found || has_empty_box(x); });
  return found;
}

bool refs_resolve(const Value& v, const valence::RefIndex& index) {
  if (v.is_ref()) {
    const Value* target = index.find(v.get_ref().id);
    return target != nullptr && target->is_object_like();
  }
  bool ok = true;
  for_each_child(v, [&](const Value& x) { ok = ok && refs_resolve(x, index); });
  return ok;
}

void check_well_formed(const Value& v, codec::Form from) {
  const char* problem = nullptr;
  if (has_empty_box(v))
    problem = "an object node without contents (a moved-from Value?)";
  else if (!refs_resolve(v, valence::RefIndex(v)))
    problem = "a Ref that names no object node";
  if (problem == nullptr) return;
  std::fprintf(stderr, "decode_fuzzer: decode (%s) returned %s\n", form_name(from), problem);
  std::abort();
}

// A deep copy of `v` with every Buffer turned into a Uint8Array (what the
// kValence form can express). Object ids are unchanged.
Value without_buffers(const Value& v) {
  switch (v.type()) {
    case valence::Type::kObject: {
      valence::Object o;
      for (const auto& [k, x] : v.get_object().properties())
        o.properties().append_unchecked(k, without_buffers(x));
      return Value(std::move(o));
    }
    case valence::Type::kArray: {
      const valence::Array& in = v.get_array();
      valence::Array a;
      a.set_length(in.length());
      in.for_each_element([&](std::uint32_t i, const Value& x) { a.set(i, without_buffers(x)); });
      for (const auto& [k, x] : in.properties())
        a.properties().append_unchecked(k, without_buffers(x));
      a.set_prefer_sparse(in.prefer_sparse());
      return Value(std::move(a));
    }
    case valence::Type::kMap: {
      valence::Map m;
      for (const auto& [k, x] : v.get_map().entries())
        m.entries().emplace_back(without_buffers(k), without_buffers(x));
      return Value(std::move(m));
    }
    case valence::Type::kSet: {
      valence::Set s;
      for (const auto& x : v.get_set().values()) s.values().push_back(without_buffers(x));
      return Value(std::move(s));
    }
    case valence::Type::kError: {
      const valence::ErrorValue& in = v.get_error();
      valence::ErrorValue e(in.prototype, in.message);
      e.stack = in.stack;
      if (in.has_cause) e.set_cause(without_buffers(in.cause));
      return Value(std::move(e));
    }
    case valence::Type::kView: {
      const valence::View& in = v.get_view();
      const auto kind =
          in.kind() == valence::ViewKind::kBuffer ? valence::ViewKind::kUint8Array : in.kind();
      return Value(valence::View(kind, in.buffer().clone(), in.byte_offset(), in.byte_length(),
                                 in.length_tracking()));
    }
    default: return v.clone();
  }
}

void round_trip(const Value& first, codec::Form from, codec::Form to) {
  codec::EncodeOptions eo;
  eo.form = to;
  auto bytes = codec::encode(first, eo);
  if (!bytes) {
    // kNode cannot carry everything kValence can (views sharing a buffer,
    // Refs to a view's buffer); a kValence encode of a decoded value only
    // fails on limits.
    const auto code = bytes.error().code;
    if (to == codec::Form::kValence && code != valence::ErrorCode::kOverloaded)
      fail("kValence encode failed", from, to, first, bytes.error().message);
    return;
  }
  codec::DecodeOptions dopt;
  dopt.form = to;
  auto second = codec::decode(*bytes, dopt);
  if (!second) fail("cannot decode own encoding", from, to, first, second.error().message);
  if (to == codec::Form::kNode) {
    if (node_form_exact(first) && !(*second == first))
      fail("value changed in encode/decode", from, to, first,
           "second: " + second->to_debug_string());
  } else if (!(*second == without_buffers(first))) {
    fail("value changed in encode/decode", from, to, first, "second: " + second->to_debug_string());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> input(data, size);
  for (codec::Form from : {codec::Form::kNode, codec::Form::kNodeIpc, codec::Form::kValence}) {
    codec::DecodeOptions options;
    options.form = from;
    options.allow_trailing_bytes = (size & 1) != 0;  // cover both settings
    auto first = codec::decode(input, options);
    if (!first) continue;
    check_well_formed(*first, from);
    (void)first->to_debug_string();
    round_trip(*first, from, codec::Form::kNode);
    round_trip(*first, from, codec::Form::kValence);
  }
  return 0;
}
