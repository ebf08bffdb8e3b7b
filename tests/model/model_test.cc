// The model converters on their own: id translation, hints, errors.
#include "model/model.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "model/vectors.h"

namespace valence {
namespace {

using nlohmann::json;

json str(const std::string& s) {
  return json{{"type", "string"}, {"encoding", "one-byte"}, {"value", s}};
}
json prop(const std::string& key, json value) {
  return json{{"key", str(key)}, {"value", std::move(value)}};
}
json empty_object(int id) {
  return json{{"type", "object"}, {"id", id}, {"properties", json::array()}};
}
json u8_view(int id) {
  return json{{"type", "view"},   {"id", id},    {"view", "Uint8Array"}, {"node_index", 1},
              {"byte_length", 1}, {"hex", "07"}, {"values", {7}}};
}

std::string error_of(const json& node) {
  auto v = model::from_model(node);
  return v.has_value() ? std::string("(no error)") : v.error().message;
}

TEST(Model, ViewsCountTheirBufferInTreeIds) {
  // {v: view 1, o: object 2, r: ref 2}: in the tree the view's buffer is id 2,
  // so the object is 3.
  json model = {{"type", "object"},
                {"id", 0},
                {"properties",
                 {prop("v", u8_view(1)), prop("o", empty_object(2)),
                  prop("r", {{"type", "ref"}, {"id", 2}})}}};
  auto v = model::from_model(model);
  ASSERT_TRUE(v.has_value()) << v.error().message;
  const Value* r = v->find("r");
  ASSERT_NE(r, nullptr);
  ASSERT_TRUE(r->is_ref());
  EXPECT_EQ(r->get_ref().id, 3u);
  RefIndex index(*v);
  EXPECT_EQ(index.find(3), v->find("o"));
  EXPECT_EQ(model::to_model(*v), model);
}

TEST(Model, ViewBufferReferencesRoundTrip) {
  json model = {{"type", "array"},
                {"id", 0},
                {"dense", true},
                {"length", 2},
                {"elements", {u8_view(1), {{"type", "ref"}, {"id", 1}, {"view_buffer", true}}}},
                {"properties", json::array()}};
  auto v = model::from_model(model);
  ASSERT_TRUE(v.has_value()) << v.error().message;
  EXPECT_EQ((*v)[1].get_ref().id, 2u);
  EXPECT_EQ(model::to_model(*v), model);
}

TEST(Model, HintsSurviveTheTrip) {
  json model = {{"type", "array"},
                {"id", 0},
                {"dense", false},
                {"length", 3},
                {"properties",
                 {{{"key", {{"type", "int32"}, {"value", 0}}},
                   {"value", {{"type", "double"}, {"value", 1}, {"bits", "3ff0000000000000"}}}},
                  {{"key", {{"type", "int32"}, {"value", 2}}},
                   {"value", {{"type", "string"}, {"encoding", "two-byte"}, {"value", "ab"}}}}}}};
  auto v = model::from_model(model);
  ASSERT_TRUE(v.has_value()) << v.error().message;
  EXPECT_TRUE(v->get_array().prefer_sparse());
  EXPECT_EQ(v->get_array().get(0)->get_number_rep().rep, NumberRep::kDouble);
  EXPECT_TRUE(v->get_array().get(2)->get_js_string().two_byte());
  EXPECT_EQ(model::to_model(*v), model);

  Value plain = model::strip_hints(*v);
  EXPECT_TRUE(plain == *v);
  EXPECT_FALSE(plain.get_array().prefer_sparse());
  EXPECT_EQ(plain.get_array().get(0)->get_number_rep().rep, NumberRep::kAuto);
  EXPECT_FALSE(plain.get_array().get(2)->get_js_string().two_byte());
}

TEST(Model, CanonicalChoicesWithoutHints) {
  EXPECT_EQ(model::to_model(Value(5.0)), (json{{"type", "int32"}, {"value", 5}}));
  EXPECT_EQ(model::to_model(Value(-0.0)),
            (json{{"type", "double"}, {"value", "-0"}, {"bits", "8000000000000000"}}));
  EXPECT_EQ(model::to_model(Value(std::nan(""))),
            (json{{"type", "double"}, {"value", "NaN"}, {"bits", "7ff8000000000000"}}));
  EXPECT_EQ(model::to_model(Value("\xc3\xa9")), (json{{"type", "string"},
                                                      {"encoding", "one-byte"},
                                                      {"value", "\xc3\xa9"},
                                                      {"code_units", "00e9"}}));
  EXPECT_EQ(model::to_model(Value(String::from_utf16(u"\xd800"))), (json{{"type", "string"},
                                                                         {"encoding", "two-byte"},
                                                                         {"well_formed", false},
                                                                         {"code_units", "d800"}}));
}

TEST(Model, LargeIndexKeysAreDoubles) {
  Array a;
  a.set(4000000000u, Value(1));
  json m = model::to_model(Value(std::move(a)));
  EXPECT_EQ(m["dense"], false);
  EXPECT_EQ(m["length"], 4000000001u);
  EXPECT_EQ(m["properties"][0]["key"]["type"], "double");
  EXPECT_EQ(m["properties"][0]["key"]["value"], 4000000000u);
  auto back = model::from_model(m);
  ASSERT_TRUE(back.has_value()) << back.error().message;
  EXPECT_EQ(back->get_array().length(), 4000000001u);
  ASSERT_NE(back->get_array().get(4000000000u), nullptr);
}

TEST(Model, BigIntsAndDates) {
  json big = {{"type", "bigint"}, {"value", "-123456789"}, {"magnitude_hex", "75bcd15"}};
  auto v = model::from_model(big);
  ASSERT_TRUE(v.has_value()) << v.error().message;
  EXPECT_EQ(v->get_bigint().to_decimal(), "-123456789");
  EXPECT_EQ(model::to_model(*v), big);
  json zero = {{"type", "bigint"}, {"value", "0"}, {"magnitude_hex", ""}};
  EXPECT_EQ(model::to_model(*model::from_model(zero)), zero);
  json date = {{"type", "date"}, {"id", 0}, {"value", "NaN"}, {"bits", "7ff8000000000000"}};
  EXPECT_EQ(model::to_model(*model::from_model(date)), date);
}

TEST(Model, ErrorsNameThePath) {
  json bad = {{"type", "object"}, {"id", 0}, {"properties", {prop("a", {{"type", "nope"}})}}};
  EXPECT_EQ(error_of(bad), "value.properties[0].value: unknown type \"nope\"");
  EXPECT_EQ(error_of(json{{"type", "ref"}, {"id", 0}}),
            "value.id: reference to id 0 before that object");
  EXPECT_EQ(error_of(json{{"type", "int32"}, {"value", 1.5}}), "value.value: expected an integer");
  EXPECT_EQ(error_of(json{{"type", "object"}, {"id", 3}, {"properties", json::array()}}),
            "value.id: expected id 0 (objects are numbered in pre-order)");
  EXPECT_EQ(error_of(json{{"type", "hole"}}), "value: a hole may only be a dense array element");
  EXPECT_EQ(error_of(json{{"type", "string"}, {"encoding", "one-byte"}, {"value", "\xe2\x82\xac"}}),
            "value: one-byte string with a code unit above 0xFF");
  EXPECT_EQ(error_of(json{
                {"type", "object"},
                {"properties", {prop("a", {{"type", "null"}}), prop("a", {{"type", "null"}})}}}),
            "value.properties[1].key: duplicate key");
  EXPECT_EQ(error_of(json::array()), "value: expected a model node (a JSON object)");
  EXPECT_EQ(error_of(json{{"type", 7}}), "value: missing \"type\"");
  EXPECT_EQ(
      error_of(json{{"type", "view"}, {"view", "Uint8Array"}, {"node_index", 2}, {"hex", ""}}),
      "value.node_index: does not match view \"Uint8Array\"");
}

TEST(Model, NestingUpToTheLimitWorks) {
  // 1000 levels (the codec's default depth limit) of every container kind,
  // built top-down so that no deep tree is ever copied.
  json root;
  json* slot = &root;
  for (int i = 0; i < 1000; ++i) {
    json& n = *slot;
    n = json{{"type", "object"}, {"id", i}};
    switch (i % 5) {
      case 0:
        n["properties"] = json::array({prop("k", nullptr)});
        slot = &n["properties"][0]["value"];
        break;
      case 1:
        n["type"] = "array";
        n["dense"] = true;
        n["length"] = 1;
        n["elements"] = json::array({nullptr});
        n["properties"] = json::array();
        slot = &n["elements"][0];
        break;
      case 2:
        n["type"] = "map";
        n["entries"] = json::array({{{"key", str("k")}, {"value", nullptr}}});
        slot = &n["entries"][0]["value"];
        break;
      case 3:
        n["type"] = "set";
        n["values"] = json::array({nullptr});
        slot = &n["values"][0];
        break;
      default:
        n["type"] = "error";
        n["prototype"] = "Error";
        n["cause"] = nullptr;
        slot = &n["cause"];
    }
  }
  *slot = json{{"type", "null"}};
  auto v = model::from_model(root);
  ASSERT_TRUE(v.has_value()) << v.error().message;
  EXPECT_TRUE(model::to_model(*v) == root);
  EXPECT_TRUE(model::strip_hints(*v) == *v);
}

TEST(Model, DeepNestingIsAnErrorNotACrash) {
  json node = {{"type", "null"}};
  for (int i = 0; i < 2000; ++i)
    node = json{{"type", "set"}, {"values", json::array({std::move(node)})}};
  EXPECT_NE(error_of(node).find("nested too deeply"), std::string::npos);
}

// Every node of a realistic model replaced by each wrong-typed JSON value:
// from_model reports an error or succeeds, and never throws.
TEST(Model, MalformedModelsNeverThrow) {
  json doc = test_vectors::read_json(test_vectors::dir() + "nested_ipc_message.json");
  ASSERT_TRUE(doc.is_object());
  const json original = doc["value"];
  const json replacements[] = {nullptr,        "x", -1, 1.5, 4294967296u, json::array(),
                               json::object(), true};
  std::vector<json::json_pointer> pointers;
  std::function<void(const json&, const json::json_pointer&)> collect =
      [&](const json& n, const json::json_pointer& at) {
        pointers.push_back(at);
        if (n.is_object())
          for (const auto& [key, child] : n.items()) collect(child, at / key);
        if (n.is_array())
          for (std::size_t i = 0; i < n.size(); ++i) collect(n[i], at / i);
      };
  collect(original, json::json_pointer());
  std::size_t failures = 0;
  for (const auto& at : pointers) {
    for (const json& r : replacements) {
      json mutated = original;
      mutated[at] = r;
      EXPECT_NO_THROW({
        auto v = model::from_model(mutated);
        if (!v) ++failures;
      }) << at.to_string()
         << " = " << r.dump();
    }
  }
  EXPECT_GT(failures, pointers.size());  // most mutations are rejected
}

}  // namespace
}  // namespace valence
