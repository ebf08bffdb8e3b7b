// The renderer runtime's JavaScript (js/*.js), embedded at build time
// (cmake/embed_text.cmake).
#pragma once

namespace valence::web {
extern const char* const kV8CodecJs;     // js/v8_codec.js: the V8 wire format
extern const char* const kBridgeJs;      // js/bridge.js: contextBridge, preload side
extern const char* const kBridgeMainJs;  // js/bridge_main.js: its main-world half
extern const char* const kRuntimeJs;     // js/runtime.js: ipcRenderer, require, process
extern const char* const kRemoteJs;      // js/remote.js: require('electron').remote
}  // namespace valence::web
