// must-fail.json "deserialize": byte strings Node's reader rejects (decode
// must fail with a message) or accepts although Node never writes them.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "model/vectors.h"
#include "valence/codec.h"

namespace valence {
namespace {

namespace tv = test_vectors;
using nlohmann::json;

json must_fail() {
  return tv::read_json(tv::dir() + "must-fail.json");
}

std::vector<std::string> deserialize_names() {
  std::vector<std::string> out;
  json doc = must_fail();
  if (!doc.is_object() || !doc.contains("deserialize")) return out;
  for (const auto& e : doc["deserialize"]) out.push_back(e.value("name", "unnamed"));
  return out;
}

json entry(const std::string& name) {
  json doc = must_fail();
  for (const auto& e : doc["deserialize"])
    if (e.value("name", "") == name) return e;
  return json();
}

std::vector<std::uint8_t> parse_hex(const std::string& text) {
  std::vector<std::uint8_t> out;
  std::string digits;
  for (char ch : text)
    if (ch != ' ') digits.push_back(ch);
  for (std::size_t i = 0; i + 1 < digits.size(); i += 2)
    out.push_back(static_cast<std::uint8_t>(std::stoul(digits.substr(i, 2), nullptr, 16)));
  return out;
}

// What Node made of the inputs it accepts (the `result` text).
Value accepted_value(const std::string& name) {
  if (name == "version_13_accepted") return Value::object({{"a", 1}});
  if (name == "uint32_tag_accepted") return Value(4294967295.0);
  return Value(1);  // padding_accepted, trailing_bytes_ignored
}

class MustFail : public ::testing::TestWithParam<std::string> {};

TEST(MustFailList, IsReadable) {
  EXPECT_GE(deserialize_names().size(), 12u);
}

TEST_P(MustFail, Deserialize) {
  json e = entry(GetParam());
  ASSERT_TRUE(e.is_object());
  auto bytes = parse_hex(e.value("hex", ""));
  const json& node = e["v8_deserialize"];
  if (node.value("throws", true)) {
    auto decoded = codec::decode(bytes);
    ASSERT_FALSE(decoded.has_value()) << "decoded as " << decoded->to_debug_string();
    EXPECT_FALSE(decoded.error().message.empty());
    return;
  }
  codec::DecodeOptions options;
  options.allow_trailing_bytes = GetParam() == "trailing_bytes_ignored";
  auto decoded = codec::decode(bytes, options);
  ASSERT_TRUE(decoded.has_value()) << decoded.error().message;
  EXPECT_TRUE(*decoded == accepted_value(GetParam()))
      << "got " << decoded->to_debug_string() << ", Node: " << node.value("result", "");
  if (options.allow_trailing_bytes) {
    auto strict = codec::decode(bytes);
    EXPECT_FALSE(strict.has_value()) << "trailing bytes accepted without allow_trailing_bytes";
    if (!strict) {
      EXPECT_FALSE(strict.error().message.empty());
    }
  }
}

INSTANTIATE_TEST_SUITE_P(V8, MustFail, ::testing::ValuesIn(deserialize_names()),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

}  // namespace
}  // namespace valence
