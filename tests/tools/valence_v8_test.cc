// valence-v8 as a program: over every conformance vector, and on bad input.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "model/vectors.h"

namespace valence {
namespace {

namespace tv = test_vectors;
using nlohmann::json;

struct Outcome {
  int status = -1;  // exit status, or -1 when the program did not exit normally
  std::vector<std::uint8_t> out;
  std::string err;
};

std::string& created_dir() {
  static std::string dir;
  return dir;
}

// A private directory for this process, removed when the tests end.
std::string temp_dir() {
  if (created_dir().empty()) {
    std::string tmpl = ::testing::TempDir() + "valence-v8-test-XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr) return ::testing::TempDir();
    created_dir() = tmpl + "/";
  }
  return created_dir();
}

class RemoveTempDir : public ::testing::Environment {
 public:
  void TearDown() override {
    if (created_dir().empty()) return;
    std::error_code ignored;
    std::filesystem::remove_all(created_dir(), ignored);
    created_dir().clear();
  }
};
[[maybe_unused]] ::testing::Environment* const kRemoveTempDir =
    ::testing::AddGlobalTestEnvironment(new RemoveTempDir);

std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Runs valence-v8 with `args` (stdin from `stdin_path` when given).
Outcome run_tool(const std::vector<std::string>& args, const std::string& stdin_path = "") {
  std::string out_path = temp_dir() + "out";
  std::string err_path = temp_dir() + "err";
  std::string cmd = quote(VALENCE_V8);
  for (const auto& a : args) cmd += " " + quote(a);
  cmd += " >" + quote(out_path) + " 2>" + quote(err_path);
  if (!stdin_path.empty()) cmd += " <" + quote(stdin_path);
  Outcome r;
  int raw = std::system(cmd.c_str());
  if (raw != -1 && WIFEXITED(raw)) r.status = WEXITSTATUS(raw);
  r.out = tv::read_bytes(out_path).value_or(std::vector<std::uint8_t>{});
  auto err = tv::read_bytes(err_path).value_or(std::vector<std::uint8_t>{});
  r.err.assign(err.begin(), err.end());
  return r;
}

std::string write_temp(const std::string& name, const std::string& content) {
  std::string path = temp_dir() + name;
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

json parse(const Outcome& r) {
  return json::parse(r.out.begin(), r.out.end(), nullptr, false);
}

class ValenceV8 : public ::testing::TestWithParam<std::string> {
 protected:
  std::string base() const { return tv::dir() + GetParam(); }
  json value() const { return tv::read_json(base() + ".json")["value"]; }
};

TEST_P(ValenceV8, Decode) {
  Outcome r = run_tool({"decode", base() + ".bin"});
  ASSERT_EQ(r.status, 0) << r.err;
  json got = parse(r);
  ASSERT_FALSE(got.is_discarded()) << "stdout is not JSON";
  EXPECT_EQ(tv::json_diff(value(), got), "");
}

TEST_P(ValenceV8, Encode) {
  Outcome r = run_tool({"encode", base() + ".json"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(tv::byte_diff(*tv::read_bytes(base() + ".bin"), r.out), "");
}

TEST_P(ValenceV8, Ipc) {
  auto frame = tv::read_bytes(base() + ".ipc.bin");
  if (!frame) GTEST_SKIP() << "no IPC frame";
  Outcome dec = run_tool({"--ipc", "decode", base() + ".ipc.bin"});
  ASSERT_EQ(dec.status, 0) << dec.err;
  EXPECT_EQ(tv::json_diff(value(), parse(dec)), "");
  Outcome enc = run_tool({"encode", "--ipc", base() + ".json"});
  ASSERT_EQ(enc.status, 0) << enc.err;
  EXPECT_EQ(tv::byte_diff(*frame, enc.out), "");
}

INSTANTIATE_TEST_SUITE_P(V8, ValenceV8, ::testing::ValuesIn(tv::names()),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

TEST(ValenceV8Cli, BareNodeAndStdin) {
  std::string node = write_temp("node.json", R"({"type":"int32","value":42})");
  Outcome r = run_tool({"encode", "-"}, node);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, (std::vector<std::uint8_t>{0xff, 0x0f, 0x49, 0x54}));
  std::string bin = write_temp("42.bin", std::string("\xff\x0f\x49\x54", 4));
  Outcome d = run_tool({"decode", "-"}, bin);
  ASSERT_EQ(d.status, 0) << d.err;
  EXPECT_EQ(parse(d), (json{{"type", "int32"}, {"value", 42}}));
}

TEST(ValenceV8Cli, GarbageBytes) {
  std::string path = write_temp("garbage.bin", "hello");
  Outcome r = run_tool({"decode", path});
  EXPECT_EQ(r.status, 1);
  EXPECT_TRUE(r.out.empty());
  EXPECT_EQ(r.err.rfind("valence-v8: " + path + ": ", 0), 0u) << r.err;
  EXPECT_GT(r.err.size(), ("valence-v8: " + path + ": \n").size()) << r.err;
}

TEST(ValenceV8Cli, BadIpcFrame) {
  std::string path = write_temp("frame.bin", std::string("\x00\x00\x00\x09\xff\x0f\x5f", 7));
  Outcome r = run_tool({"--ipc", "decode", path});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("frame length 9"), std::string::npos) << r.err;
}

TEST(ValenceV8Cli, MissingFile) {
  std::string path = temp_dir() + "does-not-exist.bin";
  Outcome r = run_tool({"decode", path});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("valence-v8: " + path + ": No such file"), std::string::npos) << r.err;
}

TEST(ValenceV8Cli, BadJson) {
  std::string path = write_temp("bad.json", "{\"type\": ");
  Outcome r = run_tool({"encode", path});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("not valid JSON"), std::string::npos) << r.err;
}

TEST(ValenceV8Cli, BadModel) {
  std::string path = write_temp("model.json", R"({"value": {"type": "array", "id": 0}})");
  Outcome r = run_tool({"encode", path});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("value: missing field \"length\""), std::string::npos) << r.err;
}

TEST(ValenceV8Cli, UsageErrors) {
  EXPECT_EQ(run_tool({}).status, 2);
  EXPECT_EQ(run_tool({"frobnicate", "x"}).status, 2);
  EXPECT_EQ(run_tool({"--nope", "decode", "x"}).status, 2);
  EXPECT_EQ(run_tool({"decode"}).status, 2);
  Outcome help = run_tool({"--help"});
  EXPECT_EQ(help.status, 0);
  std::string text(help.out.begin(), help.out.end());
  EXPECT_NE(text.find("usage: valence-v8"), std::string::npos);
}

}  // namespace
}  // namespace valence
