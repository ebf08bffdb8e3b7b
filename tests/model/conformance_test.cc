// The V8 conformance vectors (shared/conformance/v8/public), one test per
// vector and check: decode NAME.bin to the model, encode the model to
// NAME.bin byte for byte, the same on the IPC frame, and canonical cases from
// the hint-free value.
#include <gtest/gtest.h>

#include <span>
#include <string>
#include <vector>

#include "model/model.h"
#include "model/vectors.h"
#include "valence/codec.h"

namespace valence {
namespace {

namespace tv = test_vectors;
using nlohmann::json;

struct Case {
  json doc;
  std::vector<std::uint8_t> bin;
  std::optional<std::vector<std::uint8_t>> ipc;  // the whole frame
};

// Loads NAME.json, NAME.bin and NAME.ipc.bin; fails the test when they are unusable.
bool load(const std::string& name, Case& c) {
  c.doc = tv::read_json(tv::dir() + name + ".json");
  auto bin = tv::read_bytes(tv::dir() + name + ".bin");
  EXPECT_TRUE(c.doc.is_object() && c.doc.contains("value")) << name << ".json is missing or bad";
  EXPECT_TRUE(bin.has_value()) << name << ".bin is missing";
  if (!bin || !c.doc.is_object() || !c.doc.contains("value")) return false;
  c.bin = std::move(*bin);
  c.ipc = tv::read_bytes(tv::dir() + name + ".ipc.bin");
  return true;
}

std::span<const std::uint8_t> ipc_payload(const std::vector<std::uint8_t>& frame) {
  return std::span<const std::uint8_t>(frame).subspan(frame.size() < 4 ? frame.size() : 4);
}

class Conformance : public ::testing::TestWithParam<std::string> {};

TEST(ConformanceIndex, ListsEveryVector) {
  json index = tv::read_json(tv::dir() + "index.json");
  ASSERT_TRUE(index.is_object()) << "cannot read " << tv::dir() << "index.json";
  EXPECT_EQ(tv::names().size(), index["count"].get<std::size_t>());
  EXPECT_EQ(tv::names().size(), 132u);
}

TEST_P(Conformance, DecodeGivesTheModel) {
  Case c;
  ASSERT_TRUE(load(GetParam(), c));
  auto decoded = codec::decode(c.bin);
  ASSERT_TRUE(decoded.has_value()) << decoded.error().message;
  EXPECT_EQ(tv::json_diff(c.doc["value"], model::to_model(*decoded)), "");
  auto built = model::from_model(c.doc["value"]);
  ASSERT_TRUE(built.has_value()) << built.error().message;
  EXPECT_TRUE(*decoded == *built) << "decoded: " << decoded->to_debug_string().substr(0, 500)
                                  << "\nmodel:   " << built->to_debug_string().substr(0, 500);
}

TEST_P(Conformance, EncodeGivesTheBytes) {
  Case c;
  ASSERT_TRUE(load(GetParam(), c));
  auto value = model::from_model(c.doc["value"]);
  ASSERT_TRUE(value.has_value()) << value.error().message;
  auto bytes = codec::encode(*value);
  ASSERT_TRUE(bytes.has_value()) << bytes.error().message;
  EXPECT_EQ(tv::byte_diff(c.bin, *bytes), "");
}

TEST_P(Conformance, DecodeThenEncodeKeepsTheBytes) {
  Case c;
  ASSERT_TRUE(load(GetParam(), c));
  auto decoded = codec::decode(c.bin);
  ASSERT_TRUE(decoded.has_value()) << decoded.error().message;
  auto bytes = codec::encode(*decoded);
  ASSERT_TRUE(bytes.has_value()) << bytes.error().message;
  EXPECT_EQ(tv::byte_diff(c.bin, *bytes), "");
}

TEST_P(Conformance, IpcFrame) {
  Case c;
  ASSERT_TRUE(load(GetParam(), c));
  bool sendable = c.doc["ipc"].is_object() && c.doc["ipc"].value("sendable", false);
  ASSERT_EQ(c.ipc.has_value(), sendable) << GetParam() << ".ipc.bin presence vs ipc.sendable";
  if (!c.ipc) GTEST_SKIP() << "not sendable: " << c.doc["ipc"].dump();
  const auto& frame = *c.ipc;
  ASSERT_GE(frame.size(), 4u);
  auto length = std::uint32_t{frame[0]} << 24 | std::uint32_t{frame[1]} << 16 |
                std::uint32_t{frame[2]} << 8 | std::uint32_t{frame[3]};
  ASSERT_EQ(length, frame.size() - 4);
  auto payload = ipc_payload(frame);

  codec::DecodeOptions decode_options;
  decode_options.form = codec::Form::kNodeIpc;
  auto decoded = codec::decode(payload, decode_options);
  ASSERT_TRUE(decoded.has_value()) << decoded.error().message;
  EXPECT_EQ(tv::json_diff(c.doc["value"], model::to_model(*decoded)), "");

  auto value = model::from_model(c.doc["value"]);
  ASSERT_TRUE(value.has_value()) << value.error().message;
  codec::EncodeOptions encode_options;
  encode_options.form = codec::Form::kNodeIpc;
  auto bytes = codec::encode(*value, encode_options);
  ASSERT_TRUE(bytes.has_value()) << bytes.error().message;
  EXPECT_EQ(tv::byte_diff(std::vector<std::uint8_t>(payload.begin(), payload.end()), *bytes), "");

  // Framed as Node frames it: the length prefix is part of the buffer.
  std::vector<std::uint8_t> framed(4);
  auto into = codec::encode_into(*value, framed, encode_options);
  ASSERT_TRUE(into.has_value()) << into.error().message;
  std::size_t n = framed.size() - 4;
  for (std::size_t i = 0; i < 4; ++i) framed[i] = static_cast<std::uint8_t>(n >> (24 - 8 * i));
  EXPECT_EQ(tv::byte_diff(frame, framed), "");
}

TEST_P(Conformance, CanonicalFromTheAbstractValue) {
  Case c;
  ASSERT_TRUE(load(GetParam(), c));
  if (!c.doc.value("canonical", false))
    GTEST_SKIP() << "not canonical: " << c.doc.value("notes", "");
  auto value = model::from_model(c.doc["value"]);
  ASSERT_TRUE(value.has_value()) << value.error().message;
  Value plain = model::strip_hints(*value);
  EXPECT_TRUE(plain == *value);
  auto bytes = codec::encode(plain);
  ASSERT_TRUE(bytes.has_value()) << bytes.error().message;
  EXPECT_EQ(tv::byte_diff(c.bin, *bytes), "");
}

INSTANTIATE_TEST_SUITE_P(V8, Conformance, ::testing::ValuesIn(tv::names()),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

}  // namespace
}  // namespace valence
