// THE valence IPC protocol: every message kind, its direction and payload.
// docs/protocol.md draws the same. Change both together.
//
// Every frame (transport/frame.h) carries one Message; the frame's kind byte
// is the MessageKind. The preload world's runtime (web_extension/js) gets
// these numbers, the limits below and the codec's tags as constants made
// from this file at build time (tools/gen_js_constants.cc). The payload layout is the same for all
// kinds:
//
//   varint   request_id   (0 when the kind has none)
//   varint   n, n bytes   channel name, UTF-8 (the token for kHello)
//   u8       status       (replies: ReplyStatus; else 0)
//   ...      body         V8 serialized value (codec::Form::kValence), or nothing
//
// Ordering: frames from one peer are handled in the order sent, whatever
// their kind, so send / invoke / sendSync from one sender stay in order.
#pragma once

#include <cstddef>
#include <cstdint>

namespace valence::ipc {

// Every message kind: X(name, value). The enum below and the preload
// runtime's constants (tools/gen_js_constants.cc, at build time) are made
// from this one list.
#define VALENCE_IPC_MESSAGE_KINDS(X)                                           \
  /* child -> main, first frame, exactly once. channel: the token main gave    \
     the child; body: {pid} ({nonce} from pages). Main checks the token (and   \
     SO_PEERCRED for pages). */                                                \
  X(Hello, 1)                                                                  \
  /* main -> child, answer to kHello. body: {id, pid} (the child's             \
     WebContents id, for event.sender). */                                     \
  X(Welcome, 2)                                                                \
  /* child -> main: ipcRenderer.send(channel, ...args). body: args array. */   \
  X(Message, 3)                                                                \
  /* child -> main: ipcRenderer.invoke(channel, ...args). request_id: the      \
     child's (unique on its connection); body: args array. Answered by         \
     kInvokeReply. */                                                          \
  X(Invoke, 4)                                                                 \
  /* main -> child: request_id of the invoke; status 0: body is the result;    \
     else: body is an Error (name via prototype, message, stack, cause). */    \
  X(InvokeReply, 5)                                                            \
  /* child -> main: ipcRenderer.sendSync(channel, ...args). The child blocks   \
     until kSyncReply. request_id: the child's; body: args array. */           \
  X(MessageSync, 6)                                                            \
  /* main -> child: request_id of the sendSync; status 0: body is              \
     event.returnValue; else: body is an Error saying why there is none. */    \
  X(SyncReply, 7)                                                              \
  /* main -> child: webContents.send / event.reply (channel, ...args). body:   \
     args array. */                                                            \
  X(RendererMessage, 8)                                                        \
  /* Both ways: ipcRenderer.postMessage / webContents.postMessage(channel,     \
     message, [ports]). body: [message, [[prefix, unsent, id]...]] (one record \
     per port, ports/transfer.h); the frame's descriptors are the ports'       \
     sockets, in the same order. */                                            \
  X(PostMessage, 9)                                                            \
  /* On a MessagePort's own socket: port.postMessage(message, [ports]). body   \
     and descriptors as kPostMessage; request id 0, channel empty. */          \
  X(PortMessage, 10)                                                           \
  /* ---- The remote module (docs/remote.md). Bodies may hold references:      \
     '\' host objects (RemoteRef below). Main -> page frames of kinds 13, 14,  \
     15 and 17 carry the document (RemoteContext's gen) as their channel, in   \
     decimal: the extension drops those of a document that is gone, before     \
     any script runs. */                                                       \
  /* page -> main: one remote operation; the page blocks until kRemoteReply.   \
     request_id: the page's; body: [op, target, name, args] (RemoteOp). */     \
  X(RemoteSync, 11)                                                            \
  /* page -> main: a batch of remote operations, not waited for. request_id:   \
     the page's; body: [op, ...] (at most 64), where an op's target may be     \
     {answer: i}: what the batch's earlier op i gave (pipelining). Answered    \
     by kRemoteReply, body [[[status, value, code], ...]], one per op. */      \
  X(RemoteAsync, 12)                                                           \
  /* main -> page: request_id of the kRemoteSync; status 0: body [result];     \
     status 1: [error, code] (code: a string such as MODULE_NOT_FOUND, or      \
     undefined). */                                                            \
  X(RemoteReply, 13)                                                           \
  /* Both ways: body [id, n, id, n, ...]: the sender drops n references to     \
     each of the receiver's exports (main objects, page functions). */         \
  X(RemoteRelease, 14)                                                         \
  /* main -> page: call a page function, one way. body [fnId, args]. */        \
  X(RemoteCall, 15)                                                            \
  /* main -> page: a main promise (RemoteRef kPromise) settled. status 0       \
     fulfilled, 1 rejected; body [promiseId, value]. */                        \
  X(RemoteSettle, 17)                                                          \
  /* page -> main, sent by the extension's C++ (never by scripts): body        \
     [1, gen] a document opened, [2, gen] it closed. gen counts the page's     \
     documents; remote operations belong to the last one opened. */            \
  X(RemoteContext, 18)

enum class MessageKind : std::uint8_t {
#define VALENCE_X(name, value) k##name = value,
  VALENCE_IPC_MESSAGE_KINDS(VALENCE_X)
#undef VALENCE_X
};

const char* message_kind_name(MessageKind kind) noexcept;
bool is_message_kind(std::uint8_t kind) noexcept;

// The status byte of kInvokeReply and kSyncReply: X(name, value). Errors
// carry an Error body whose message says what happened.
#define VALENCE_IPC_REPLY_STATUSES(X)                                                 \
  X(Ok, 0)                                                                            \
  X(Error, 1)         /* the handler threw or rejected; the body is its error */      \
  X(NoHandler, 2)     /* invoke: no handler for the channel; sendSync: no listener */ \
  X(NoReturnValue, 3) /* sendSync: the listeners did not set event.returnValue */

enum class ReplyStatus : std::uint8_t {
#define VALENCE_X(name, value) k##name = value,
  VALENCE_IPC_REPLY_STATUSES(VALENCE_X)
#undef VALENCE_X
};
inline constexpr std::uint8_t kMaxReplyStatus = 3;

// ---- The remote module --------------------------------------------------
// A remote operation: X(name, code). body of kRemoteSync: [code, target,
// name, args]; target is a reference (or undefined for the roots), name a
// member name (or a module/global/builtin name), args an array.
#define VALENCE_REMOTE_OPS(X)                                             \
  X(Require, 1)               /* remote.require(name) */                  \
  X(GetBuiltin, 2)            /* remote.app, remote.BrowserWindow, ... */ \
  X(GetGlobal, 3)             /* remote.getGlobal(name) */                \
  X(GetCurrentWindow, 4)      /* remote.getCurrentWindow() */             \
  X(GetCurrentWebContents, 5) /* remote.getCurrentWebContents() */        \
  X(Process, 6)               /* remote.process (a copy) */               \
  X(Get, 10)                  /* target[name] */                          \
  X(Set, 11)                  /* target[name] = args[0] */                \
  X(Call, 12)                 /* target(...args) */                       \
  X(Construct, 13)            /* new target(...args) */                   \
  X(CallMember, 14)           /* target[name](...args) */

enum class RemoteOp : std::uint8_t {
#define VALENCE_X(name, value) k##name = value,
  VALENCE_REMOTE_OPS(VALENCE_X)
#undef VALENCE_X
};

// A reference inside a remote body: the codec's host object ('\', Form::
// kValence), then u8 kind, varint id, and per kind:
//   main -> page  kObject, kFunction: varint class, varint n, n bytes: 0, or
//                 (the class's first reference in the document) a
//                 serialized array of descriptors, bases first;
//                 kPromise: nothing.
//   page -> main  kObject, kFunction: main's own id back (not counted);
//                 kPageFunction: varint n, n bytes "file:line" (n <= 256);
//                 kPagePromise: nothing (the page settles it with a
//                 kRemoteSettle of its own: body [promiseId, state, value],
//                 state 0 fulfilled, 1 rejected);
//                 kConstant (id 0): varint n, n bytes a serialized value
//                 (remote.createFunctionWithReturnValue).
// Counting (Cap'n Proto's): every reference of an export's owner sent to
// the other side counts one; kRemoteRelease gives them back.
#define VALENCE_REMOTE_REFS(X) \
  X(Object, 1)                 \
  X(Function, 2)               \
  X(PageFunction, 3)           \
  X(PagePromise, 4)            \
  X(Promise, 5)                \
  X(Constant, 6)

enum class RemoteRef : std::uint8_t {
#define VALENCE_X(name, value) k##name = value,
  VALENCE_REMOTE_REFS(VALENCE_X)
#undef VALENCE_X
};
inline constexpr std::size_t kMaxRemoteLocation = 256;
// The most ops one kRemoteAsync batch may carry.
inline constexpr std::size_t kMaxRemoteBatch = 64;
// The most (id, n) pairs one kRemoteRelease may carry.
inline constexpr std::size_t kMaxRemoteReleasePairs = 4096;
// kRemoteContext's first element.
inline constexpr int kRemoteContextOpen = 1;
inline constexpr int kRemoteContextClose = 2;

// ---- Web pages: how a page's connection is set up (ui <-> web_extension) ---
//
// The main process listens on a socket in a private (0700) directory, which
// it adds to WebKit's sandbox. For each web process WebKit starts, main mints
// a token and passes, as the extension's initialization data (a{sv}):
//   "socket" s     the socket's path
//   "token"  s     this web process's token
//   "hooks"  b     expose test hooks (a real GC) to preload scripts
//   "malloc" b     tune glibc's malloc as main does (AppOptions::tune_malloc)
//   "config" s     JSON for the preload runtime: {"versions": {...}} (process.versions)
// For each page (WebKitWebPage) the extension connects, before any script of
// the page runs, and sends kHello {channel: token, body: {nonce}} with a fresh
// 32-hex-digit nonce; main checks the token and SO_PEERCRED (same uid). The
// extension also sends the nonce to the page's view through WebKit's own IPC
// (a WebKitUserMessage named kWebBindMessage with a string parameter); WebKit
// delivers it to that view alone, so main binds the connection to the view's
// WebContents and answers kWelcome. A page cannot pose as another window: it
// can only name its own view. Messages sent before kWelcome wait in main.
inline constexpr const char* kWebBindMessage = "valence.bind";
//
// Admission (docs/security.md): until its kHello, a connection may send at
// most kMaxHelloPayload bytes in its first frame and must send it within
// kHelloDeadlineMs; a web process's token is bound to the first process
// that says Hello with it (SO_PEERCRED) and dies with that process; a page
// connection that said Hello is not read until it is bound (its sends wait
// in its own process), for at most kBindDeadlineMs, and a web process has at
// most kMaxUnboundPerToken such connections at a time.
inline constexpr std::size_t kMaxHelloPayload = 1024;
inline constexpr int kHelloDeadlineMs = 5000;
inline constexpr int kBindDeadlineMs = 60000;
inline constexpr std::size_t kMaxUnboundPerToken = 32;
// The isolated world preload scripts run in.
inline constexpr const char* kPreloadWorldName = "valence-preload";

}  // namespace valence::ipc
