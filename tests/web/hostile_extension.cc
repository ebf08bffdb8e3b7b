// A compromised web process, for compromised_test.cc: this module replaces
// valence's web extension (VALENCE_WEB_EXTENSION_DIR). It loads the real
// extension (a copy beside it, named so that WebKit does not load it too),
// so pages work as usual, and in a page whose address contains "hostile" it
// then attacks main with what a web process holds: its token, its socket
// path, and its own view's WebKit channel.
//  1. floods its view with 10,000 bind messages of made-up nonces;
//  2. opens a second connection and binds it to its own view;
//  3. hands its token to another process (a fork), which says Hello with it;
//  4. sends bind messages that are not strings, and messages of other names.
// Then it reports on its second connection ("hostile-done").
#include <dlfcn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <webkit2/webkit-web-extension.h>

#include <cstring>
#include <string>
#include <vector>

#include "base/random.h"
#include "ipc/common/message.h"
#include "ipc/common/protocol.h"
#include "transport/frame.h"
#include "transport/socket_posix.h"

namespace {

std::string g_socket;
std::string g_token;
std::vector<int> g_kept;  // connections kept open for the test's lifetime

std::vector<std::uint8_t> frame(valence::ipc::MessageKind kind, const std::string& channel,
                                valence::Value body) {
  valence::ipc::Message m;
  m.kind = kind;
  m.channel = channel;
  m.body = std::move(body);
  auto payload = valence::ipc::encode_message(m);
  if (!payload) return {};
  auto n = static_cast<std::uint32_t>(payload->size());
  std::vector<std::uint8_t> out(valence::transport::kFrameHeaderSize + n);
  valence::transport::write_frame_header(out.data(), n, static_cast<std::uint8_t>(kind), 0);
  std::memcpy(out.data() + valence::transport::kFrameHeaderSize, payload->data(), n);
  return out;
}

void write_all(int fd, const std::vector<std::uint8_t>& bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n <= 0) return;
    done += static_cast<std::size_t>(n);
  }
}

int hello(const std::string& nonce) {
  auto fd = valence::transport::connect_unix(g_socket);
  if (!fd) return -1;
  int raw = fd->release();
  write_all(raw, frame(valence::ipc::MessageKind::kHello, g_token,
                       valence::Value::object({{"nonce", nonce}})));
  return raw;
}

void bind(WebKitWebPage* page, GVariant* parameter) {
  WebKitUserMessage* m = webkit_user_message_new(valence::ipc::kWebBindMessage, parameter);
  webkit_web_page_send_message_to_view(page, m, nullptr, nullptr, nullptr);
}

void attack(WebKitWebPage* page) {
  // 1. A flood of nonces nobody said Hello with.
  for (int i = 0; i < 10000; ++i)
    bind(page, g_variant_new_string(valence::random_hex_id().c_str()));
  // 4. Malformed bind messages and other names.
  bind(page, g_variant_new_int32(7));
  bind(page, nullptr);
  for (int i = 0; i < 100; ++i) {
    WebKitUserMessage* m = webkit_user_message_new("valence.other", g_variant_new_string("x"));
    webkit_web_page_send_message_to_view(page, m, nullptr, nullptr, nullptr);
  }
  // 3. The token, used from another process.
  pid_t child = ::fork();
  if (child == 0) {
    int fd = hello(valence::random_hex_id());
    char b;
    // Main closes it: EOF (or an error) ends the wait.
    while (fd >= 0 && ::recv(fd, &b, 1, 0) > 0) {
    }
    ::_exit(0);
  }
  // 2. A second connection of this page, bound to its own view.
  std::string nonce = valence::random_hex_id();
  int second = hello(nonce);
  if (second < 0) return;
  bind(page, g_variant_new_string(nonce.c_str()));
  g_kept.push_back(second);
  // Reaped later (a zombie costs nothing meanwhile).
  write_all(second, frame(valence::ipc::MessageKind::kMessage, "hostile-done",
                          valence::Value::array({static_cast<int>(child)})));
}

void on_document_loaded(WebKitWebPage* page, gpointer) {
  const char* uri = webkit_web_page_get_uri(page);
  if (uri && std::strstr(uri, "hostile")) attack(page);
}

void on_page_created(WebKitWebExtension*, WebKitWebPage* page, gpointer) {
  g_signal_connect(page, "document-loaded", G_CALLBACK(on_document_loaded), nullptr);
}

}  // namespace

extern "C" G_MODULE_EXPORT void webkit_web_extension_initialize_with_user_data(
    WebKitWebExtension* extension, const GVariant* user_data) {
  // The real extension first: it must see page-created before this module.
  Dl_info self{};
  dladdr(reinterpret_cast<void*>(&webkit_web_extension_initialize_with_user_data), &self);
  std::string dir = self.dli_fname ? self.dli_fname : "";
  dir = dir.substr(0, dir.rfind('/'));
  if (void* real = ::dlopen((dir + "/real-extension.module").c_str(), RTLD_NOW | RTLD_LOCAL)) {
    using Init = void (*)(WebKitWebExtension*, const GVariant*);
    if (auto init =
            reinterpret_cast<Init>(::dlsym(real, "webkit_web_extension_initialize_with_user_data")))
      init(extension, user_data);
  }
  GVariantDict dict;
  g_variant_dict_init(&dict, const_cast<GVariant*>(user_data));
  const char* s = nullptr;
  if (g_variant_dict_lookup(&dict, "socket", "&s", &s)) g_socket = s;
  if (g_variant_dict_lookup(&dict, "token", "&s", &s)) g_token = s;
  g_variant_dict_clear(&dict);
  g_signal_connect(extension, "page-created", G_CALLBACK(on_page_created), nullptr);
}
