// valence-v8: V8 structured-clone bytes <-> the conformance value model (JSON).
//
//   valence-v8 [--ipc] decode FILE   bytes -> model JSON on stdout
//   valence-v8 [--ipc] encode FILE   model JSON (a case file or a bare node) -> bytes on stdout
//
// FILE "-" is stdin. --ipc reads/writes a Node IPC frame (4-byte big-endian
// length, then the payload) in Form::kNodeIpc. Exit status: 0 ok, 1 bad input,
// 2 usage error.
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <exception>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/model.h"
#include "valence/codec.h"

namespace {

using valence::Result;

constexpr const char* kUsage =
    "usage: valence-v8 [--ipc] decode FILE\n"
    "       valence-v8 [--ipc] encode FILE\n"
    "\n"
    "  decode  read V8 ValueSerializer bytes (v8.serialize output) and print the\n"
    "          value model JSON (shared/conformance/v8 README) on stdout\n"
    "  encode  read a model node, or a case file with a \"value\" field, and\n"
    "          write the serialized bytes to stdout\n"
    "  --ipc   bytes are a Node IPC frame: 4-byte big-endian payload length,\n"
    "          then the payload (serialization: 'advanced')\n"
    "  FILE    a path, or - for stdin\n";

struct Options {
  bool ipc = false;
  std::string command;
  std::string file;
};

int usage_error(const std::string& what) {
  std::cerr << "valence-v8: " << what << "\n" << kUsage;
  return 2;
}

std::optional<std::vector<std::uint8_t>> read_input(const std::string& file, std::string& error) {
  std::vector<std::uint8_t> bytes;
  if (file == "-") {
    bytes.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    return bytes;
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    error = std::strerror(errno);
    return std::nullopt;
  }
  bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (in.bad()) {
    error = "read error";
    return std::nullopt;
  }
  return bytes;
}

// The model with its fields in the order the vectors use (type, id, ...), for
// people reading the output; comparison of models ignores field order.
nlohmann::ordered_json readable(const nlohmann::json& n) {
  static constexpr std::string_view kOrder[] = {
      "type",        "id",         "view",        "node_index",
      "prototype",   "dense",      "resizable",   "encoding",
      "well_formed", "key",        "value",       "magnitude_hex",
      "bits",        "code_units", "byte_length", "max_byte_length",
      "hex",         "values",     "source",      "flags",
      "flag_bits",   "message",    "cause",       "stack",
      "length",      "elements",   "properties",  "entries",
      "kind",        "handle"};
  if (n.is_array()) {
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (const auto& e : n) out.push_back(readable(e));
    return out;
  }
  if (!n.is_object()) return n;
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (std::string_view key : kOrder) {
    auto it = n.find(key);
    if (it != n.end()) out[std::string(key)] = readable(*it);
  }
  for (const auto& [key, value] : n.items())
    if (!out.contains(key)) out[key] = readable(value);
  return out;
}

Result<std::string> decode(const std::vector<std::uint8_t>& bytes, bool ipc) {
  std::span<const std::uint8_t> payload(bytes);
  valence::codec::DecodeOptions options;
  if (ipc) {
    if (bytes.size() < 4)
      return valence::make_error(valence::ErrorCode::kBadMessage,
                                 "IPC frame shorter than its 4-byte length");
    std::uint32_t length = std::uint32_t{bytes[0]} << 24 | std::uint32_t{bytes[1]} << 16 |
                           std::uint32_t{bytes[2]} << 8 | std::uint32_t{bytes[3]};
    if (length != bytes.size() - 4)
      return valence::make_error(valence::ErrorCode::kBadMessage,
                                 "IPC frame length " + std::to_string(length) + " but " +
                                     std::to_string(bytes.size() - 4) + " payload bytes");
    payload = payload.subspan(4);
    options.form = valence::codec::Form::kNodeIpc;
  }
  auto value = valence::codec::decode(payload, options);
  if (!value) return valence::Unexpected{value.error()};
  return readable(valence::model::to_model(*value))
             .dump(1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) +
         "\n";
}

Result<std::vector<std::uint8_t>> encode(const std::vector<std::uint8_t>& bytes, bool ipc) {
  auto doc = nlohmann::json::parse(bytes.begin(), bytes.end(), nullptr, false);
  if (doc.is_discarded())
    return valence::make_error(valence::ErrorCode::kBadMessage, "not valid JSON");
  const nlohmann::json* node = &doc;
  if (doc.is_object() && !doc.contains("type")) {
    if (!doc.contains("value"))
      return valence::make_error(valence::ErrorCode::kBadMessage,
                                 "neither a model node nor a case file (no \"type\" or \"value\")");
    node = &doc["value"];
  }
  auto value = valence::model::from_model(*node);
  if (!value) return valence::Unexpected{value.error()};
  std::vector<std::uint8_t> out;
  valence::codec::EncodeOptions options;
  if (ipc) {
    out.resize(4);
    options.form = valence::codec::Form::kNodeIpc;
  }
  VALENCE_RETURN_IF_ERROR(valence::codec::encode_into(*value, out, options));
  if (ipc) {
    std::size_t length = out.size() - 4;
    for (int i = 0; i < 4; ++i)
      out[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(length >> (24 - 8 * i));
  }
  return out;
}

int fail(const std::string& file, const std::string& what) {
  std::cerr << "valence-v8: " << (file == "-" ? "<stdin>" : file) << ": " << what << "\n";
  return 1;
}

int run(const Options& options) {
  std::string error;
  auto input = read_input(options.file, error);
  if (!input) return fail(options.file, error);
  if (options.command == "decode") {
    auto text = decode(*input, options.ipc);
    if (!text) return fail(options.file, text.error().message);
    std::cout << *text << std::flush;
  } else {
    auto bytes = encode(*input, options.ipc);
    if (!bytes) return fail(options.file, bytes.error().message);
    std::cout.write(reinterpret_cast<const char*>(bytes->data()),
                    static_cast<std::streamsize>(bytes->size()));
    std::cout.flush();
  }
  if (!std::cout) return fail(options.file, "cannot write to stdout");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  std::vector<std::string> positional;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      return 0;
    }
    if (arg == "--ipc") {
      options.ipc = true;
    } else if (arg.size() > 1 && arg[0] == '-') {
      return usage_error("unknown option " + std::string(arg));
    } else {
      positional.emplace_back(arg);
    }
  }
  if (positional.size() != 2) return usage_error("expected a command and a FILE");
  options.command = positional[0];
  options.file = positional[1];
  if (options.command != "decode" && options.command != "encode")
    return usage_error("unknown command " + options.command);
  try {
    return run(options);
  } catch (const std::exception& e) {
    return fail(options.file, e.what());
  }
}
