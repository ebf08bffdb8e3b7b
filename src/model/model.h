// The conformance value model (shared/conformance/v8 README, "The value
// model"): the JSON description of a V8-serialized value that the test
// vectors carry, converted to and from valence::Value.
//
// Every wire choice the model records survives the trip as a Value hint:
// int32 / double numbers (NumberRep), two-byte strings (String::two_byte),
// sparse arrays (Array::prefer_sparse). So encoding from_model(node) gives
// exactly the bytes the model describes, and to_model(decode(bytes)) gives
// the node back.
//
// Object ids. The model numbers objects as Node's wire does, where a view is
// one object; a valence tree also counts a view's owned ArrayBuffer (right
// after the view). Both converters translate ids, so `ref` nodes and Ref
// values name the same objects. Two extensions cover what the model lacks:
// `{"type":"ref","id":N,"view_buffer":true}` (the owned buffer of the view
// with model id N) and `{"type":"host_object","id":N,"kind":K,"handle":H}`.
//
// Used by valence-v8 and the tests only; not installed.
// Thread safety: pure functions.
#pragma once

#include <nlohmann/json.hpp>

#include "valence/base/result.h"
#include "valence/value.h"

namespace valence::model {

// A model node -> Value. Errors (ErrorCode::kBadMessage) name the JSON path
// of the offending node: "value.properties[2].value: unknown type \"foo\"".
Result<Value> from_model(const nlohmann::json& node);

// A Value -> its model node, with the wire choices the codec would make
// (hints where set, the canonical choice otherwise). Never fails: a dangling
// Ref becomes {"type":"ref","id":N,"dangling":true}.
nlohmann::json to_model(const Value& value);

// A copy of `value` with every wire-form hint reset (NumberRep::kAuto,
// one-byte strings, dense arrays): the abstract value a canonical writer sees.
Value strip_hints(const Value& value);

}  // namespace valence::model
