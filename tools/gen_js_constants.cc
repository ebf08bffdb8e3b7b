// Prints the constants the preload world's JavaScript (src/web_extension/js)
// shares with the C++ side, as `const` declarations: the message kinds and
// reply statuses of ipc/common/protocol.h, the limits of ipc/common/message.h
// and the transport, and the V8 tags of codec/tags.h. The build puts them in
// place of each JS file's `// @valence-constants` line (cmake/assemble_js.cmake),
// so the numbers exist once, in C++; tests/web_js/constants_test checks that
// the JS sources spell none of them as literals.
#include <cstdio>

#include "codec/tags.h"
#include "ipc/common/message.h"
#include "ipc/common/protocol.h"
#include "transport/frame_parser.h"
#include "transport/socket_posix.h"
#include "valence/codec.h"

namespace {

void constant(const char* name, unsigned long long value, bool hex = false) {
  std::printf(hex ? "const %s = 0x%02llx;\n" : "const %s = %llu;\n", name, value);
}

}  // namespace

int main() {
  using namespace valence;
  std::printf(
      "// Generated at build time by tools/gen_js_constants.cc from ipc/common/protocol.h,\n"
      "// ipc/common/message.h, transport and codec/tags.h. Do not edit.\n");
#define VALENCE_X(name, value) constant("kMsg" #name, value);
  VALENCE_IPC_MESSAGE_KINDS(VALENCE_X)
#undef VALENCE_X
#define VALENCE_X(name, value) constant("kStatus" #name, value);
  VALENCE_IPC_REPLY_STATUSES(VALENCE_X)
#undef VALENCE_X
#define VALENCE_X(name, value) constant("kOp" #name, value);
  VALENCE_REMOTE_OPS(VALENCE_X)
#undef VALENCE_X
#define VALENCE_X(name, value) constant("kRef" #name, value);
  VALENCE_REMOTE_REFS(VALENCE_X)
#undef VALENCE_X
  constant("kMaxRemoteLocation", ipc::kMaxRemoteLocation);
  constant("kMaxRemoteReleasePairs", ipc::kMaxRemoteReleasePairs);
  constant("kMaxRemoteBatch", ipc::kMaxRemoteBatch);
#define VALENCE_X(name, byte) constant("kTag" #name, static_cast<unsigned char>(byte), true);
  VALENCE_CODEC_TAGS(VALENCE_X)
#undef VALENCE_X
#define VALENCE_X(name, byte) constant("kErrorTag" #name, static_cast<unsigned char>(byte), true);
  VALENCE_CODEC_ERROR_TAGS(VALENCE_X)
#undef VALENCE_X
  std::printf("const kViewSubtags = [");
  for (std::size_t i = 0; i < sizeof codec::kViewSubtags; ++i)
    std::printf("%s0x%02x", i ? ", " : "", codec::kViewSubtags[i]);
  std::printf("];  // by ViewKind\n");
  constant("kFormatVersion", codec::kLatestVersion);
  constant("kViewFlagLengthTracking", codec::kViewFlagLengthTracking);
  constant("kViewFlagBackedByResizable", codec::kViewFlagBackedByResizable);
  constant("kMaxArgs", ipc::kMaxArgs);
  constant("kMaxChannelName", ipc::kMaxChannelName);
  constant("kMaxPortsPerMessage", transport::kMaxFdsPerFrame);
  constant("kMaxMessageBytes", transport::ParserLimits{}.max_payload);
  return 0;
}
