// Encode/decode throughput of the codec on two shapes (built identically by
// bench/node_codec_bench.js, which measures Node's v8.serialize/deserialize):
//   objects_10k:     10,000 x {id, name, tags: [3 strings], created: Date}
//   uint8array_8MiB: one 8 MiB Uint8Array
// Throughput is the encoded size per second of wall-clock time
// (SetBytesProcessed, UseRealTime), as node_codec_bench.js measures it.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "valence/codec.h"
#include "valence/value.h"

namespace {

using valence::Value;
namespace codec = valence::codec;

Value make_objects() {
  std::vector<Value> items;
  items.reserve(10000);
  for (int i = 0; i < 10000; ++i) {
    std::vector<Value> tags;
    tags.emplace_back("tag-" + std::to_string(i % 10));
    tags.emplace_back("group-" + std::to_string(i % 100));
    tags.emplace_back("common");
    valence::Object o;
    o.set("id", Value(i));
    o.set("name", Value("user-" + std::to_string(i)));
    o.set("tags", Value(valence::Array(std::move(tags))));
    o.set("created", Value(valence::Date{1700000000000.0 + i * 1000.0}));
    items.emplace_back(std::move(o));
  }
  return Value(valence::Array(std::move(items)));
}

Value make_uint8array() {
  constexpr std::size_t kSize = std::size_t{8} << 20;
  valence::Bytes bytes(kSize);
  for (std::size_t i = 0; i < kSize; ++i) bytes.data()[i] = static_cast<std::uint8_t>(i * 31 + 7);
  return Value(valence::View(valence::ViewKind::kUint8Array, std::move(bytes)));
}

std::vector<std::uint8_t> must_encode(const Value& v) {
  auto bytes = codec::encode(v);
  if (!bytes) {
    std::fprintf(stderr, "codec_bench: encode failed: %s\n", bytes.error().message.c_str());
    std::abort();
  }
  return std::move(bytes).value();
}

void run_encode(benchmark::State& state, const Value& value) {
  std::size_t size = 0;
  for (auto _ : state) {
    auto bytes = codec::encode(value);
    size = bytes->size();
    benchmark::DoNotOptimize(bytes);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(size));
  state.counters["encoded_bytes"] = static_cast<double>(size);
}

void run_decode(benchmark::State& state, const std::vector<std::uint8_t>& bytes) {
  for (auto _ : state) {
    auto value = codec::decode(bytes);
    if (!value) state.SkipWithError(value.error().message.c_str());
    benchmark::DoNotOptimize(value);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(bytes.size()));
  state.counters["encoded_bytes"] = static_cast<double>(bytes.size());
}

const Value& objects() {
  static const Value v = make_objects();
  return v;
}
const Value& uint8array() {
  static const Value v = make_uint8array();
  return v;
}

void BM_encode_objects(benchmark::State& state) {
  run_encode(state, objects());
}
void BM_decode_objects(benchmark::State& state) {
  static const auto bytes = must_encode(objects());
  run_decode(state, bytes);
}
void BM_encode_uint8array(benchmark::State& state) {
  run_encode(state, uint8array());
}
void BM_decode_uint8array(benchmark::State& state) {
  static const auto bytes = must_encode(uint8array());
  run_decode(state, bytes);
}

void configure(benchmark::internal::Benchmark* b) {
  b->Unit(benchmark::kMicrosecond)->UseRealTime();
}
BENCHMARK(BM_encode_objects)->Name("encode/objects_10k")->Apply(configure);
BENCHMARK(BM_decode_objects)->Name("decode/objects_10k")->Apply(configure);
BENCHMARK(BM_encode_uint8array)->Name("encode/uint8array_8MiB")->Apply(configure);
BENCHMARK(BM_decode_uint8array)->Name("decode/uint8array_8MiB")->Apply(configure);

}  // namespace

BENCHMARK_MAIN();
