#include <valence/codec.h>
#include <valence/convert.h>

#include <cstdio>

int main() {
  valence::Value v = valence::Value::object({{"hello", "world"}, {"n", 42}});
  auto bytes = valence::codec::encode(v);
  if (!bytes) return 1;
  auto back = valence::codec::decode(*bytes);
  if (!back || !(*back == v)) return 2;
  auto n = valence::from_value<int>((*back)["n"]);
  std::printf("consumer: %s (%zu bytes), n = %d\n", back->to_debug_string().c_str(), bytes->size(),
              n ? *n : -1);
  return n && *n == 42 ? 0 : 3;
}
