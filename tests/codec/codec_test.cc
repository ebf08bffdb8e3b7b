// Encoder/decoder behaviour beyond the conformance vectors: the spec's
// examples, the three forms, identity, and encode errors with paths.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "valence/codec.h"

namespace valence::codec {
namespace {

std::vector<std::uint8_t> hex(std::string_view h) {
  std::vector<std::uint8_t> out;
  for (std::size_t i = 0; i + 1 < h.size() + 1; ++i) {
    if (h[i] == ' ') continue;
    out.push_back(static_cast<std::uint8_t>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16)));
    ++i;
  }
  return out;
}

std::string to_hex(const std::vector<std::uint8_t>& b) {
  std::string s;
  char buf[4];
  for (auto x : b) {
    std::snprintf(buf, sizeof buf, s.empty() ? "%02x" : " %02x", x);
    s += buf;
  }
  return s;
}

std::string enc(const Value& v, Form form = Form::kNode) {
  EncodeOptions o;
  o.form = form;
  auto r = encode(v, o);
  EXPECT_TRUE(r) << r.error().message;
  return r ? to_hex(*r) : "";
}

Value dec(std::string_view h, Form form = Form::kNode) {
  DecodeOptions o;
  o.form = form;
  auto r = decode(hex(h), o);
  EXPECT_TRUE(r) << r.error().message;
  return r ? std::move(r).value() : Value();
}

TEST(Codec, SpecExamples) {
  EXPECT_EQ(enc(Value(42)), "ff 0f 49 54");
  EXPECT_EQ(enc(Value(-7)), "ff 0f 49 0d");
  EXPECT_EQ(enc(Value(2147483648.0)), "ff 0f 4e 00 00 00 00 00 00 e0 41");
  EXPECT_EQ(enc(Value(-0.0)), "ff 0f 4e 00 00 00 00 00 00 00 80");
  EXPECT_EQ(enc(Value(std::nan(""))), "ff 0f 4e 00 00 00 00 00 00 f8 7f");
  EXPECT_EQ(enc(Value("caf\xC3\xA9")), "ff 0f 22 04 63 61 66 e9");
  EXPECT_EQ(enc(Value("\xE2\x82\xAC")), "ff 0f 63 02 ac 20");
  EXPECT_EQ(enc(Value::object({{"ab", "\xE2\x82\xAC"}})),
            "ff 0f 6f 22 02 61 62 00 63 02 ac 20 7b 01");
  EXPECT_EQ(enc(Value(BigInt::from_int64(-123456789))), "ff 0f 5a 11 15 cd 5b 07 00 00 00 00");
  EXPECT_EQ(enc(Value(BigInt())), "ff 0f 5a 00");
  EXPECT_EQ(enc(Value(NumberObject{42})), "ff 0f 6e 00 00 00 00 00 00 45 40");
  EXPECT_EQ(enc(Value(RegExp{"a.c", kRegExpGlobal | kRegExpIgnoreCase | kRegExpMultiline})),
            "ff 0f 52 22 03 61 2e 63 07");
  Array holey;
  holey.push_back(Value(1));
  holey.set(2, Value(3));
  EXPECT_EQ(enc(Value(std::move(holey))), "ff 0f 61 03 49 00 49 02 49 04 49 06 40 02 03");
  EXPECT_EQ(enc(Value::array({1, 2, 3})), "ff 0f 41 03 49 02 49 04 49 06 24 00 03");
}

TEST(Codec, ObjectKeysFollowJsOrderAndIndexRules) {
  Object o;
  o.set("b", 1).set("2", "two").set("a", 2).set("0", "zero").set("10", "ten");
  EXPECT_EQ(enc(Value(std::move(o))),
            "ff 0f 6f 49 00 22 04 7a 65 72 6f 49 04 22 03 74 77 6f 49 14 22 03 74 65 6e 22 01 62 "
            "49 02 22 01 61 49 04 7b 05");
  EXPECT_EQ(enc(Value::object({{"4294967294", "max index"}})),
            "ff 0f 6f 4e 00 00 c0 ff ff ff ef 41 22 09 6d 61 78 20 69 6e 64 65 78 7b 01");
}

TEST(Codec, SharedReferencesAndCycles) {
  // s = {shared:true}; {a: s, b: s}
  Value v = Value::object({{"a", Value::object({{"shared", true}})}, {"b", Ref{1}}});
  std::string bytes = enc(v);
  EXPECT_EQ(bytes, "ff 0f 6f 22 01 61 6f 22 06 73 68 61 72 65 64 54 7b 01 22 01 62 5e 01 7b 02");
  EXPECT_EQ(dec(bytes), v);
  // o.self = o
  Value cyc = dec("ff 0f 6f 22 04 6e 61 6d 65 22 04 73 65 6c 66 22 04 73 65 6c 66 5e 00 7b 02");
  EXPECT_EQ(cyc["self"].get_ref().id, 0u);
  EXPECT_EQ(&RefIndex(cyc).deref(cyc["self"]), &cyc);
}

TEST(Codec, ForwardReferenceIsAnEncodeError) {
  Value v = Value::object({{"a", Ref{5}}});
  auto r = encode(v);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kCloneError);
  EXPECT_EQ(r.error().message,
            "value.a: reference to object #5, which does not precede it in the value");
}

TEST(Codec, UnknownHostObjectFailsWithItsPath) {
  Value v = Value::array(
      {1, Value::object({{"user", Value::object({{"port", HostObject{"MessagePort", 7}}})}})});
  EncodeOptions o;
  o.root_name = "args";
  auto r = encode(v, o);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message,
            "args[1].user.port: host object 'MessagePort' could not be cloned (no codec delegate "
            "for it)");
}

TEST(Codec, ErrorsKeepPrototypeMessageCauseAndStack) {
  ErrorValue inner(ErrorPrototype::kTypeError, String("inner"));
  inner.stack = String("TypeError: inner");
  ErrorValue outer(ErrorPrototype::kError, String("outer"));
  outer.set_cause(Value(std::move(inner)));
  outer.stack = String("Error: outer");
  Value v(std::move(outer));
  std::string bytes = enc(v);
  EXPECT_EQ(bytes,
            "ff 0f 72 6d 22 05 6f 75 74 65 72 63 72 54 6d 22 05 69 6e 6e 65 72 73 22 10 54 79 70 "
            "65 45 72 72 6f 72 3a 20 69 6e 6e 65 72 2e 73 22 0c 45 72 72 6f 72 3a 20 6f 75 74 65 "
            "72 2e");
  EXPECT_EQ(dec(bytes), v);
}

TEST(Codec, NodeFormsForViews) {
  Value buf = Value(View(ViewKind::kBuffer, Bytes{1, 2, 3}));
  EXPECT_EQ(enc(buf, Form::kNode), "ff 0f 5c 0a 03 01 02 03");
  EXPECT_EQ(enc(buf, Form::kNodeIpc), "ff 0f 5c 00 0a 03 01 02 03");
  EXPECT_EQ(dec("ff 0f 5c 00 0a 03 01 02 03", Form::kNodeIpc), buf);
  // process.env over IPC: host kind 1 carries a plain object.
  Value env = dec("ff 0f 6f 22 01 65 5c 01 6f 22 01 41 22 01 31 7b 01 7b 01", Form::kNodeIpc);
  EXPECT_EQ(env, Value::object({{"e", Value::object({{"A", "1"}})}}));
}

TEST(Codec, ValenceFormKeepsViewsSharingOneBuffer) {
  // {buf, a: Uint8Array(buf, 0, 2), b: Uint16Array(buf, 2, 2)}
  Value v = Value::object({{"buf", ArrayBuffer(Bytes{1, 2, 3, 4})},
                           {"a", View(ViewKind::kUint8Array, Value(Ref{1}), 0, 2)},
                           {"b", View(ViewKind::kUint16Array, Value(Ref{1}), 2, 2)}});
  std::string bytes = enc(v, Form::kValence);
  EXPECT_EQ(bytes,
            "ff 0f 6f 22 03 62 75 66 42 04 01 02 03 04 22 01 61 5e 01 56 42 00 02 00 22 01 62 5e "
            "01 56 57 02 02 00 7b 03");
  Value back = dec(bytes, Form::kValence);
  EXPECT_EQ(back, v);
  // In Node's form the sharing is lost but the bytes are right.
  Value node = dec(enc(v, Form::kNode));
  EXPECT_EQ(node["b"].get_view().own_bytes()[0], 3);
  EXPECT_EQ(node["b"].get_view().kind(), ViewKind::kUint16Array);
}

TEST(Codec, V8NativeViewRecordIsRead) {
  // What plain new v8.Serializer() writes for new Uint8Array([1,2,3,4]).
  Value v = dec("ff 0f 42 04 01 02 03 04 56 42 00 04 00");
  ASSERT_TRUE(v.is_view());
  EXPECT_EQ(v.get_view().kind(), ViewKind::kUint8Array);
  EXPECT_EQ(v.get_view().own_bytes().size(), 4u);
  // Version 13 has no flags field.
  Value old = dec("ff 0d 42 02 01 02 56 42 00 02");
  EXPECT_TRUE(old.is_view());
  // A reference to the view's buffer resolves to the buffer (tree id 1).
  Value pair = dec("ff 0f 41 02 42 02 01 02 56 42 00 02 00 5e 01 24 00 02");
  EXPECT_EQ(pair[1].get_ref().id, 2u);
  EXPECT_TRUE(RefIndex(pair).deref(pair[1]).is_array_buffer());
}

TEST(Codec, ReferenceToAViewsOwnBufferBecomesACopyInNodeForm) {
  Value v = Value::array({View(ViewKind::kUint8Array, Bytes{9}), Ref{2}});
  std::string bytes = enc(v, Form::kNode);
  EXPECT_EQ(bytes, "ff 0f 41 02 5c 01 01 09 42 01 09 24 00 02");
}

TEST(Codec, PaddingCountsFromTheOrigin) {
  std::vector<std::uint8_t> out{0, 0, 0};  // an odd prefix
  ASSERT_TRUE(encode_into(Value("\xE2\x82\xAC"), out, {}, 3));
  EXPECT_EQ(to_hex(out), "00 00 00 ff 0f 63 02 ac 20");
  std::vector<std::uint8_t> out2{0, 0, 0};
  ASSERT_TRUE(encode_into(Value("\xE2\x82\xAC"), out2, {}, 0));
  EXPECT_EQ(to_hex(out2), "00 00 00 ff 0f 00 63 02 ac 20");
}

TEST(Codec, DepthLimitOnEncode) {
  Value v = Value::array({});
  for (int i = 0; i < 50; ++i) v = Value::array({std::move(v)});
  EncodeOptions o;
  o.max_depth = 10;
  auto r = encode(v, o);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kOverloaded);
  EXPECT_NE(r.error().message.find("[0][0][0]"), std::string::npos) << r.error().message;
}

TEST(Codec, LargeBufferRoundTrip) {
  Bytes b(8 << 20);
  for (std::size_t i = 0; i < b.size(); ++i) b.data()[i] = static_cast<std::uint8_t>(i * 7);
  Value v(View(ViewKind::kUint8Array, std::move(b)));
  auto bytes = encode(v);
  ASSERT_TRUE(bytes);
  EXPECT_EQ(bytes->size(), (8u << 20) + 8);  // ff 0f 5c 01 + 4-byte varint
  auto back = decode(*bytes);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, v);
}

}  // namespace
}  // namespace valence::codec

namespace valence::codec {
namespace {

TEST(DecodeReportsRefs, OnlyWhenTheValueHasSome) {
  DecodeOptions options;
  bool refs = true;
  options.produced_refs = &refs;
  auto plain = encode(Value::array({Value::object({{"a", 1}}), "x"}));
  ASSERT_TRUE(plain);
  ASSERT_TRUE(decode(*plain, options));
  EXPECT_FALSE(refs);
  // [o, o]: the second is a reference to the first.
  auto shared = encode(Value::array({Value::object({{"a", 1}}), Ref{1}}));
  ASSERT_TRUE(shared);
  ASSERT_TRUE(decode(*shared, options));
  EXPECT_TRUE(refs);
}

}  // namespace
}  // namespace valence::codec
