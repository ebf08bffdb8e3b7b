#include "valence/value.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace valence {
namespace {

TEST(Value, BuildsFromLiteralsAndReadsBack) {
  Value v = Value::object({{"name", "valence"},
                           {"version", 1},
                           {"ratio", 0.5},
                           {"ok", true},
                           {"none", nullptr},
                           {"tags", Value::array({"a", "b"})}});
  ASSERT_TRUE(v.is_object());
  EXPECT_EQ(v["name"].get_string(), "valence");
  EXPECT_TRUE(v["version"].is_int32());
  EXPECT_EQ(v["version"].get_int32(), 1);
  EXPECT_DOUBLE_EQ(v["ratio"].get_number(), 0.5);
  EXPECT_TRUE(v["ok"].get_bool());
  EXPECT_TRUE(v["none"].is_null());
  EXPECT_EQ(v["tags"][1].get_string(), "b");
  EXPECT_EQ(v.find("missing"), nullptr);
  EXPECT_EQ(v["tags"].get_if_object(), nullptr);
  EXPECT_NE(v["tags"].get_if_array(), nullptr);
  EXPECT_FALSE(v["name"].get_if_number());
}

TEST(Value, IntegersBeyondInt32AreDoubles) {
  Value big(std::int64_t{1} << 40);
  EXPECT_TRUE(big.is_number());
  EXPECT_FALSE(big.is_int32());
  EXPECT_EQ(big.get_number(), 1099511627776.0);
  EXPECT_TRUE(Value(2147483647).is_int32());
  EXPECT_FALSE(Value(-0.0).is_int32());
  EXPECT_TRUE(Value(3.0).is_int32());  // the value, not the representation
}

TEST(Value, WrongTypeGetterAborts) {
  Value v("text");
  EXPECT_DEATH((void)v.get_number(), "Value is string, not number");
}

TEST(Value, EqualityIsSameValueAndIgnoresWireHints) {
  EXPECT_EQ(Value(std::nan("")), Value(std::nan("")));
  EXPECT_NE(Value(0.0), Value(-0.0));
  EXPECT_EQ(Value(1), Value::heap_number(1.0));
  String two_byte("abc");
  two_byte.set_two_byte(true);
  EXPECT_EQ(Value(two_byte), Value("abc"));
  Array sparse(std::vector<Value>{});
  sparse.push_back(Value(1));
  sparse.set_prefer_sparse(true);
  EXPECT_EQ(Value(std::move(sparse)), Value::array({1}));
  EXPECT_NE(Value::object({{"a", 1}, {"b", 2}}), Value::object({{"b", 2}, {"a", 1}}));
}

TEST(Value, CloneIsDeep) {
  Value v = Value::object({{"list", Value::array({1, 2, 3})}});
  Value c = v.clone();
  EXPECT_EQ(v, c);
  c.get_object().find("list")->get_array().push_back(Value(4));
  EXPECT_NE(v, c);
}

TEST(Strings, LoneSurrogatesRoundTripThroughUtf16) {
  std::u16string units = {u'a', 0xD800, u'b', 0xDC00, 0xD83D, 0xDE00};
  String s = String::from_utf16(units);
  EXPECT_EQ(s.utf16(), units);
  EXPECT_FALSE(s.is_well_formed());
  EXPECT_EQ(s.length(), 6u);
  EXPECT_EQ(s.utf8(),
            "a\xEF\xBF\xBD"
            "b\xEF\xBF\xBD\xF0\x9F\x98\x80");
  EXPECT_EQ(String::from_latin1("caf\xE9").wtf8(), "caf\xC3\xA9");
}

TEST(Objects, KeepJsPropertyOrder) {
  Object o;
  o.set("b", 1).set("2", "two").set("a", 2).set("0", "zero").set("10", "ten").set("01", "x");
  std::vector<std::string> keys;
  for (const auto& [k, v] : o) keys.push_back(k.wtf8());
  EXPECT_EQ(keys, (std::vector<std::string>{"0", "2", "10", "b", "a", "01"}));
  o.set("b", 3);  // replacing keeps the position
  EXPECT_EQ(o.properties().entry(3).first.wtf8(), "b");
  EXPECT_EQ(o.find("b")->get_int32(), 3);
}

TEST(Arrays, SparseArraysCostNoMemoryForTheirLength) {
  Array a;
  a.set(4294967293u, Value("far"));
  EXPECT_EQ(a.length(), 4294967294u);
  EXPECT_EQ(a.element_count(), 1u);
  EXPECT_TRUE(a.items().empty());
  EXPECT_EQ(a.get(4294967293u)->get_string(), "far");
  EXPECT_EQ(a.get(5), nullptr);
  a.set(1, Value(1));
  a.set(0, Value(0));
  std::vector<std::uint32_t> seen;
  a.for_each_element([&](std::uint32_t i, const Value&) { seen.push_back(i); });
  EXPECT_EQ(seen, (std::vector<std::uint32_t>{0, 1, 4294967293u}));
  a.set_length(1);
  EXPECT_EQ(a.element_count(), 1u);
  EXPECT_TRUE(a.has_holes() == false);
}

TEST(Arrays, HolesAndGrowth) {
  Array a;
  a.push_back(Value(1));
  a.set(3, Value(4));
  EXPECT_EQ(a.length(), 4u);
  EXPECT_TRUE(a.has_holes());
  EXPECT_EQ(a.get(1), nullptr);
  a.set(20, Value(21));  // beyond the hole run: side list
  a.set(5, Value(6));
  EXPECT_EQ(a.get(20)->get_int32(), 21);
  EXPECT_EQ(a.get(5)->get_int32(), 6);
  EXPECT_EQ(a.element_count(), 4u);
  a.set(3, Value(Hole{}));
  EXPECT_EQ(a.get(3), nullptr);
}

TEST(BigInts, DecimalRoundTrip) {
  for (const char* text : {"0", "1", "-1", "18446744073709551616",
                           "-1606938044258990275541962092341162602522202993782792835289031"}) {
    auto b = BigInt::from_decimal(text);
    ASSERT_TRUE(b) << text;
    EXPECT_EQ(b->to_decimal(), text);
  }
  EXPECT_FALSE(BigInt::from_decimal("12a"));
  EXPECT_EQ(BigInt::from_int64(INT64_MIN).to_int64(), INT64_MIN);
  EXPECT_EQ(BigInt::from_uint64(UINT64_MAX).to_uint64(), UINT64_MAX);
  EXPECT_FALSE(BigInt::from_decimal("18446744073709551616")->to_uint64());
  EXPECT_FALSE(BigInt::from_decimal("-0")->negative());
}

TEST(Debug, ReadableRendering) {
  Map m;
  m.set(Value("k"), Value(BigInt::from_int64(2)));
  Array holey;
  holey.push_back(Value(1));
  holey.set(3, Value(2));
  Value v = Value::object({{"a", 1},
                           {"b", std::move(holey)},
                           {"c", std::move(m)},
                           {"d", Date{0}},
                           {"e", ErrorValue(ErrorPrototype::kTypeError, String("bad"))},
                           {"f", -0.0},
                           {"g", 1e21},
                           {"two words", Ref{0}}});
  EXPECT_EQ(v.to_debug_string(),
            "{a: 1, b: [1, <2 holes>, 2], c: Map(1) {\"k\" => 2n}, d: Date(0), "
            "e: TypeError(\"bad\"), f: -0, g: 1e+21, \"two words\": <ref #0>}");
}

TEST(RefIndex, ResolvesPreOrderIdsIncludingViewBuffers) {
  Value v = Value::object(
      {{"view", View(ViewKind::kUint8Array, Bytes{1, 2})}, {"again", Ref{1}}, {"buf", Ref{2}}});
  RefIndex index(v);
  EXPECT_EQ(index.object_count(), 3u);
  EXPECT_TRUE(index.deref(v["again"]).is_view());
  EXPECT_TRUE(index.deref(v["buf"]).is_array_buffer());
  EXPECT_EQ(index.find(7), nullptr);
}

TEST(DetachSubtree, RenumbersRefsFromTheNewRoot) {
  // [ {self: <ref #1>}, <ref #1> ]: args[0] contains itself; args[1] is args[0].
  Value body = Value::array({Value::object({{"self", Ref{1}}}), Ref{1}});
  RefIndex index(body);
  Value first = detach_subtree(body.get_array().items()[0], index);
  EXPECT_EQ(first.to_debug_string(), "{self: <ref #0>}");
  // A reference out of the subtree becomes a copy of what it named.
  Value second = detach_subtree(body.get_array().items()[1], index);
  EXPECT_EQ(second.to_debug_string(), "{self: <ref #0>}");
  // Views keep their buffer's place in the numbering.
  Value views = Value::array({Value::array(
      {View(ViewKind::kUint8Array, Bytes{1, 2}), Ref{3}, Value::object({{"b", Ref{3}}})})});
  RefIndex vi(views);
  Value inner = detach_subtree(views.get_array().items()[0], vi);
  EXPECT_EQ(inner.to_debug_string(), "[Uint8Array(2) [1, 2], <ref #2>, {b: <ref #2>}]");
}

TEST(Maps, PrimitiveKeysAreUniqueObjectKeysAreNot) {
  Map m;
  m.set(Value(1), Value("a"));
  m.set(Value(1.0), Value("b"));
  m.set(Value(std::nan("")), Value("c"));
  m.set(Value(std::nan("")), Value("d"));
  m.set(Value::object({}), Value("e"));
  m.set(Value::object({}), Value("f"));
  EXPECT_EQ(m.size(), 4u);
  EXPECT_EQ(m.entries()[0].second.get_string(), "b");
  Set s;
  s.add(Value("x")).add(Value("x")).add(Value(0.0)).add(Value(-0.0));
  EXPECT_EQ(s.size(), 2u);
}

}  // namespace
}  // namespace valence
