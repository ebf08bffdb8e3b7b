// Access to the conformance vectors (shared/conformance/v8/public) for tests.
#pragma once

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace valence::test_vectors {

inline std::string dir() {
  return std::string(VALENCE_CONFORMANCE_DIR) + "/public/";
}

inline std::optional<std::vector<std::uint8_t>> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(in),
                                   std::istreambuf_iterator<char>());
}

// The parsed JSON file, or a discarded value when it is missing or invalid.
inline nlohmann::json read_json(const std::string& path) {
  auto bytes = read_bytes(path);
  if (!bytes) return nlohmann::json(nlohmann::json::value_t::discarded);
  return nlohmann::json::parse(bytes->begin(), bytes->end(), nullptr, false);
}

// Case names from index.json, in file order; empty when it cannot be read
// (a test checks that separately).
inline std::vector<std::string> names() {
  std::vector<std::string> out;
  nlohmann::json index = read_json(dir() + "index.json");
  if (!index.is_object() || !index.contains("cases") || !index["cases"].is_array()) return out;
  for (const auto& c : index["cases"])
    if (c.is_object() && c.contains("name") && c["name"].is_string())
      out.push_back(c["name"].get<std::string>());
  return out;
}

inline std::string hex(const std::vector<std::uint8_t>& bytes, std::size_t limit = 96) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < bytes.size() && i < limit; ++i) {
    if (i != 0) out.push_back(' ');
    out.push_back(kDigits[bytes[i] >> 4]);
    out.push_back(kDigits[bytes[i] & 0xF]);
  }
  if (bytes.size() > limit) out += " ... (" + std::to_string(bytes.size()) + " bytes)";
  return out;
}

// Empty when equal; otherwise where the two byte strings first differ.
inline std::string byte_diff(const std::vector<std::uint8_t>& expected,
                             const std::vector<std::uint8_t>& got) {
  if (expected == got) return {};
  std::size_t at = 0;
  while (at < expected.size() && at < got.size() && expected[at] == got[at]) ++at;
  std::ostringstream os;
  os << "first difference at byte " << at << " (expected " << expected.size() << " bytes, got "
     << got.size() << ")\n  expected: " << hex(expected) << "\n  got:      " << hex(got);
  if (at > 64) {
    auto tail = [at](const std::vector<std::uint8_t>& b) {
      std::size_t from = at - 16 < b.size() ? at - 16 : b.size();
      return hex(std::vector<std::uint8_t>(b.begin() + static_cast<std::ptrdiff_t>(from), b.end()),
                 48);
    };
    os << "\n  expected from " << at - 16 << ": " << tail(expected) << "\n  got from " << at - 16
       << ":      " << tail(got);
  }
  return os.str();
}

// Empty when equal; otherwise the JSON path of the first difference and both sides.
inline std::string json_diff(const nlohmann::json& expected, const nlohmann::json& got,
                             const std::string& path = "value") {
  if (expected == got) return {};
  if (expected.is_object() && got.is_object()) {
    for (const auto& [key, value] : expected.items()) {
      if (!got.contains(key)) return path + "." + key + ": missing";
      auto d = json_diff(value, got[key], path + "." + key);
      if (!d.empty()) return d;
    }
    for (const auto& [key, value] : got.items())
      if (!expected.contains(key)) return path + "." + key + ": unexpected " + value.dump();
  }
  if (expected.is_array() && got.is_array()) {
    for (std::size_t i = 0; i < expected.size() && i < got.size(); ++i) {
      auto d = json_diff(expected[i], got[i], path + "[" + std::to_string(i) + "]");
      if (!d.empty()) return d;
    }
    return path + ": " + std::to_string(expected.size()) + " items expected, got " +
           std::to_string(got.size());
  }
  auto cut = [](std::string s) { return s.size() > 300 ? s.substr(0, 300) + "..." : s; };
  return path + ": expected " + cut(expected.dump()) + ", got " + cut(got.dump());
}

}  // namespace valence::test_vectors
