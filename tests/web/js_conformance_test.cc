// The preload world's codec (js/v8_codec.js) against the 132 V8 conformance
// vectors, run in a real WebKit web process (JavaScriptCore), not only under
// Node: every vector decodes to its model's value, and canonical ones encode
// back byte for byte.
#include <filesystem>
#include <fstream>
#include <sstream>

#include "harness.h"

namespace valence::test {
namespace {

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

class JsConformanceTest : public WebTest {};

TEST_F(JsConformanceTest, AllVectorsInTheWebProcess) {
  namespace fs = std::filesystem;
  fs::path dir = fs::path(VALENCE_CONFORMANCE_DIR) / "public";
  if (!fs::exists(dir)) GTEST_SKIP() << "no conformance vectors at " << dir;
  // The hooks expose the preload's codec as __valenceTest.codec.
  auto win = open("/* the runtime alone */", "<!DOCTYPE html><html><body>js</body></html>");
  std::string runner =
      slurp(fs::path(VALENCE_SOURCE_DIR) / "tests" / "web_js" / "conformance_runner.js");
  auto r = eval_preload(win, "globalThis.runner = " + runner + "; globalThis.cases = []; 1");
  ASSERT_TRUE(r) << r.error().message;
  std::size_t files = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const auto& p = entry.path();
    std::string name = p.filename().string();
    if (p.extension() != ".json" || name == "index.json" || name == "must-fail.json") continue;
    ++files;
    // A case file is a JS expression; its "value" model becomes the JS value,
    // and NAME.bin (as hex) its bytes.
    fs::path bin = p;
    bin.replace_extension(".bin");
    std::string bytes = slurp(bin), hex;
    hex.reserve(bytes.size() * 2);
    for (char c : bytes) {
      auto b = static_cast<unsigned char>(c);
      hex.push_back("0123456789abcdef"[b >> 4]);
      hex.push_back("0123456789abcdef"[b & 15]);
    }
    r = eval_preload(win,
                     "{ const c = " + slurp(p) + "; const h = '" + hex +
                         "'; const bytes = new Uint8Array(h.length / 2);"
                         " for (let i = 0; i < bytes.length; i++)"
                         " bytes[i] = parseInt(h.substr(2 * i, 2), 16);"
                         " const buffer = JSON.stringify(c.value).includes('\"view\":\"Buffer\"');"
                         " cases.push({ name: c.name, canonical: c.canonical, bytes,"
                         " value: runner.modelToValue(c.value),"
                         // A page has no Node Buffer: those values are
                         // Uint8Arrays here, so only their decoding is checked.
                         " skipEncode: buffer ? 'no Node Buffer in a page' : undefined });"
                         " 1 }");
    ASSERT_TRUE(r) << name << ": " << r.error().message;
  }
  ASSERT_GE(files, 132u);
  r = eval_preload(win, "JSON.stringify(runner.runConformance(__valenceTest.codec, cases, {}))");
  ASSERT_TRUE(r) << r.error().message;
  std::string result = r->get_string();
  EXPECT_NE(result.find("\"failures\":[]"), std::string::npos) << result.substr(0, 4000);
  EXPECT_NE(result.find("\"passed\":" + std::to_string(files)), std::string::npos)
      << result.substr(0, 400);
}

}  // namespace
}  // namespace valence::test
