// The preload runtime's constants are generated from the C++ headers at
// build time (tools/gen_js_constants.cc): here, that what was generated is
// what C++ compiles with, that the assembled files carry it, and that the JS
// sources spell no message kind, reply status or V8 tag as a literal (where
// a copy could drift from C++ unnoticed).
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>

#include "codec/tags.h"
#include "ipc/common/message.h"
#include "ipc/common/protocol.h"
#include "transport/socket_posix.h"

namespace {

std::string read(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in) << "cannot read " << path;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// name -> value of every `const kName = value;` line.
std::map<std::string, unsigned long long> constants(const std::string& text) {
  std::map<std::string, unsigned long long> out;
  std::regex line(R"(const (k\w+) = (0x[0-9a-f]+|[0-9]+);)");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), line); it != std::sregex_iterator();
       ++it)
    out[(*it)[1]] = std::stoull((*it)[2], nullptr, 0);
  return out;
}

TEST(JsConstants, TheGeneratedConstantsAreTheCppOnes) {
  auto js = constants(read(std::string(VALENCE_JS_DIR) + "/constants.gen.js"));
  std::size_t expected = 0;
#define VALENCE_X(name, value) \
  ++expected;                  \
  EXPECT_EQ(js["kMsg" #name], static_cast<unsigned>(value)) << #name;
  VALENCE_IPC_MESSAGE_KINDS(VALENCE_X)
#undef VALENCE_X
#define VALENCE_X(name, value) \
  ++expected;                  \
  EXPECT_EQ(js["kStatus" #name], static_cast<unsigned>(value)) << #name;
  VALENCE_IPC_REPLY_STATUSES(VALENCE_X)
#undef VALENCE_X
#define VALENCE_X(name, byte) \
  ++expected;                 \
  EXPECT_EQ(js["kTag" #name], static_cast<unsigned>(static_cast<unsigned char>(byte))) << #name;
  VALENCE_CODEC_TAGS(VALENCE_X)
#undef VALENCE_X
#define VALENCE_X(name, byte)                                                               \
  ++expected;                                                                               \
  EXPECT_EQ(js["kErrorTag" #name], static_cast<unsigned>(static_cast<unsigned char>(byte))) \
      << #name;
  VALENCE_CODEC_ERROR_TAGS(VALENCE_X)
#undef VALENCE_X
  EXPECT_EQ(js["kMaxArgs"], valence::ipc::kMaxArgs);
  EXPECT_EQ(js["kMaxChannelName"], valence::ipc::kMaxChannelName);
  EXPECT_EQ(js["kMaxPortsPerMessage"], valence::transport::kMaxFdsPerFrame);
  EXPECT_GE(js.size(), expected + 4);
}

TEST(JsConstants, TheAssembledFilesCarryThem) {
  for (const char* name : {"v8_codec.js", "runtime.js"}) {
    std::string text = read(std::string(VALENCE_JS_DIR) + "/" + name);
    EXPECT_EQ(text.find("@valence-constants"), std::string::npos) << name;
    EXPECT_NE(text.find("const kMsgInvoke = 4;"), std::string::npos) << name;
  }
}

TEST(JsConstants, TheSourcesSpellNoneOfThemAsLiterals) {
  // Where a message kind, a status or a tag would be written or compared.
  const std::regex literal(
      R"(out\[pos(\+\+)?\] = (\w+ \? )?0x[0-9a-f]{2}\b|case 0x[0-9a-f]{2}:|\bt === 0x[0-9a-f]{2}\b|)"
      R"(peekTag\(\) === 0x|\b(kind|status) === [0-9]|native\.send\([0-9])");
  for (const char* name : {"v8_codec.js", "runtime.js", "bridge.js", "bridge_main.js"}) {
    std::istringstream text(read(std::string(VALENCE_JS_SOURCE_DIR) + "/" + name));
    std::string line;
    for (int n = 1; std::getline(text, line); ++n)
      EXPECT_FALSE(std::regex_search(line, literal)) << name << ":" << n << ": " << line;
  }
}

}  // namespace
