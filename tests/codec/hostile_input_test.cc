// Hostile bytes: every malformed input is a clear error, never UB, never an
// allocation the input does not justify. Run under ASan+UBSan in CI.
#include <gtest/gtest.h>

#include <string>

#include "valence/codec.h"

namespace valence::codec {
namespace {

std::vector<std::uint8_t> hex(std::string_view h) {
  std::vector<std::uint8_t> out;
  for (std::size_t i = 0; i < h.size(); ++i) {
    if (h[i] == ' ') continue;
    out.push_back(static_cast<std::uint8_t>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16)));
    ++i;
  }
  return out;
}

std::string error_of(std::string_view h, Form form = Form::kNode) {
  DecodeOptions o;
  o.form = form;
  auto r = decode(hex(h), o);
  if (r) return "decoded: " + r->to_debug_string();
  EXPECT_EQ(r.error().message.rfind("invalid V8 serialized data at byte ", 0), 0u)
      << r.error().message;
  return r.error().message;
}

struct Case {
  const char* name;
  const char* hex;
  const char* expected;  // substring of the message
};

class Hostile : public ::testing::TestWithParam<Case> {};

TEST_P(Hostile, FailsWithAClearMessage) {
  const Case& c = GetParam();
  std::string msg = error_of(c.hex);
  EXPECT_NE(msg.find(c.expected), std::string::npos) << c.name << ": " << msg;
}

INSTANTIATE_TEST_SUITE_P(
    Codec, Hostile,
    ::testing::Values(
        Case{"empty", "", "no version header"}, Case{"no_header", "5f", "no version header"},
        Case{"version_16", "ff 10 5f", "unsupported version 16"},
        Case{"version_12", "ff 0c 5f", "unsupported version 12"},
        Case{"truncated_version", "ff", "truncated version"},
        Case{"no_value", "ff 0f", "a value was expected"},
        Case{"unknown_tag", "ff 0f 01", "unknown tag 0x01"},
        Case{"legacy_blink_tag", "ff 0f 4d", "unknown tag 'M'"},
        Case{"truncated_string", "ff 0f 22 05 61",
             "one-byte string of 5 bytes runs past the end (1 left)"},
        Case{"huge_string_length", "ff 0f 22 ff ff ff ff 0f", "runs past the end"},
        Case{"odd_two_byte", "ff 0f 63 03 61 00 62", "odd byte length 3"},
        Case{"truncated_varint", "ff 0f 49 80", "truncated int32"},
        Case{"truncated_double", "ff 0f 4e 00 00", "truncated double"},
        Case{"bigint_past_end", "ff 0f 5a 20 01", "BigInt of 16 bytes runs past the end"},
        Case{"object_count", "ff 0f 6f 22 01 61 49 02 7b 02", "2 properties, but 1 were read"},
        Case{"object_no_end", "ff 0f 6f 22 01 61 49 02", "truncated"},
        Case{"duplicate_key", "ff 0f 6f 22 01 61 49 02 22 01 61 49 04 7b 02",
             "duplicate property key \"a\""},
        Case{"object_key", "ff 0f 6f 6f 7b 00 49 02 7b 01",
             "property key must be a string or number, found object"},
        Case{"bad_reference", "ff 0f 5e 00", "reference to object 0, which does not exist"},
        Case{"forward_reference", "ff 0f 41 01 5e 05 24 00 01", "reference to object 5"},
        Case{"dense_too_long", "ff 0f 41 ff ff ff ff 0f",
             "dense array of 4294967295 elements in 0 bytes"},
        Case{"dense_length_mismatch", "ff 0f 41 01 49 02 24 00 02",
             "length 2, but it began with 1"},
        Case{"sparse_count", "ff 0f 61 02 49 00 49 02 40 02 02", "2 properties, but 1 were read"},
        Case{"sparse_index_beyond_length", "ff 0f 61 01 49 0a 49 02 40 01 01",
             "has an element at 5"},
        Case{"duplicate_index", "ff 0f 61 02 49 00 49 02 49 00 49 02 40 02 02",
             "duplicate array index 0"},
        Case{"hole_outside_array", "ff 0f 2d", "hole outside a dense array"},
        Case{"map_count", "ff 0f 3b 49 02 49 04 3a 01", "1 keys and values, but 2 were read"},
        Case{"map_no_end", "ff 0f 3b 49 02", "truncated"},
        Case{"set_count", "ff 0f 27 49 02 2c 05", "5 members, but 1 were read"},
        Case{"buffer_past_end", "ff 0f 42 ff ff ff 7f 00",
             "ArrayBuffer of 268435455 bytes runs past the end"},
        Case{"resizable_over_max", "ff 0f 7e 04 02 01 02 03 04", "exceeds its maximum 2"},
        Case{"view_outside_buffer", "ff 0f 42 02 01 02 56 42 01 02 00",
             "outside its 2-byte buffer"},
        Case{"view_misaligned", "ff 0f 42 04 01 02 03 04 56 57 01 02 00", "misaligned"},
        Case{"view_bad_subtag", "ff 0f 42 02 01 02 56 5a 00 02 00", "unknown view subtag 'Z'"},
        Case{"view_without_buffer", "ff 0f 56 42 00 00 00", "without an ArrayBuffer"},
        Case{"node_view_bad_index", "ff 0f 5c 0d 00", "unknown Node view type 13"},
        Case{"node_view_partial_element", "ff 0f 5c 04 03 01 02 03",
             "not a whole number of elements"},
        Case{"node_view_past_end", "ff 0f 5c 01 09 01", "Uint8Array of 9 bytes runs past the end"},
        Case{"regexp_bad_flags", "ff 0f 52 22 01 61 80 04", "unknown RegExp flag bits 512"},
        Case{"regexp_linear", "ff 0f 52 22 01 61 40", "unknown RegExp flag bits 64"},
        Case{"regexp_u_and_v", "ff 0f 52 22 01 61 90 02", "'u' and 'v' together"},
        Case{"regexp_source_not_string", "ff 0f 52 49 02 00", "expected a string"},
        Case{"error_bad_subtag", "ff 0f 72 7a 2e", "unknown Error sub-tag 'z'"},
        Case{"error_no_end", "ff 0f 72 6d 22 01 61", "truncated Error"},
        Case{"transfer", "ff 0f 74 00", "needs a transfer list"},
        Case{"shared_array_buffer", "ff 0f 75 00", "SharedArrayBuffer"},
        Case{"wasm", "ff 0f 77 00", "not supported"},
        Case{"trailing", "ff 0f 49 02 49 04", "unexpected bytes after the value"}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

TEST(Hostile, NodeIpcHostKindMustBeKnown) {
  EXPECT_NE(error_of("ff 0f 5c 02", Form::kNodeIpc).find("unknown Node IPC host object kind 2"),
            std::string::npos);
  EXPECT_NE(error_of("ff 0f 5c 01 49 02", Form::kNodeIpc).find("not followed by an object"),
            std::string::npos);
}

TEST(Hostile, ValenceHostObjectNeedsADelegate) {
  EXPECT_NE(error_of("ff 0f 5c 00", Form::kValence).find("no codec delegate"), std::string::npos);
}

TEST(Hostile, DeepNestingIsBounded) {
  std::string deep = "ff 0f";
  for (int i = 0; i < 100000; ++i) deep += " 41 01";
  EXPECT_NE(error_of(deep).find("nested deeper than 1000 levels"), std::string::npos);
  std::string counts = "ff 0f";
  for (int i = 0; i < 100000; ++i) counts += " 3f 00";  // '?' prefixes loop, not recurse
  counts += " 5f";
  EXPECT_EQ(error_of(counts), "decoded: undefined");
}

TEST(Hostile, VeryLongSparseLengthAllocatesNothing) {
  Value v =
      *decode(hex("ff 0f 61 ff ff ff ff 0f 4e 00 00 c0 ff ff ff ef 41 49 02 40 01 ff ff ff ff 0f"));
  ASSERT_TRUE(v.is_array());
  EXPECT_EQ(v.get_array().length(), 4294967295u);
  EXPECT_TRUE(v.get_array().items().empty());
  EXPECT_EQ(v.get_array().get(4294967294u)->get_int32(), 1);
}

TEST(Hostile, AcceptedOddities) {
  EXPECT_EQ(error_of("ff 0f 00 00 49 02"), "decoded: 1");                    // padding
  EXPECT_EQ(error_of("ff 0f 55 ff ff ff ff 0f"), "decoded: 4294967295");     // uint32 tag
  EXPECT_EQ(error_of("ff 0d 6f 22 01 61 49 02 7b 01"), "decoded: {a: 1}");   // version 13
  EXPECT_EQ(error_of("ff 0f 53 03 e2 82 ac"), "decoded: \"\xE2\x82\xAC\"");  // UTF-8 tag
  EXPECT_EQ(error_of("ff 0f 53 02 ed a0"), "decoded: \"\xEF\xBF\xBD\xEF\xBF\xBD\"");
  // Sparse index keys out of order (V8 accepts them; the values must survive).
  EXPECT_EQ(error_of("ff 0f 61 03 49 02 22 01 62 49 00 22 01 61 40 02 03"),
            "decoded: [\"a\", \"b\", <hole>]");
  DecodeOptions o;
  o.allow_trailing_bytes = true;
  EXPECT_TRUE(decode(hex("ff 0f 49 02 49 04"), o));
}

// Every prefix of a valid encoding is an error, never a crash.
TEST(Hostile, EveryTruncationFails) {
  auto full = hex(
      "ff 0f 6f 22 01 61 41 02 3b 49 02 22 01 78 3a 02 27 44 00 00 00 00 00 00 00 00 2c 01 24 00 "
      "02 22 01 62 72 54 6d 22 01 6d 63 5a 10 01 00 00 00 00 00 00 00 2e 22 01 63 5c 04 02 01 00 "
      "22 01 64 5e 02 7b 04");
  ASSERT_TRUE(decode(full));
  for (std::size_t n = 0; n < full.size(); ++n) {
    auto r = decode(std::span<const std::uint8_t>(full.data(), n));
    EXPECT_FALSE(r) << "prefix of " << n << " bytes decoded";
  }
}

}  // namespace
}  // namespace valence::codec
