// The renderer runtime of the preload world: ipcRenderer, contextBridge,
// require('electron') and process, over the extension's natives.
// Evaluates to a function the extension calls once per document:
//   (native, codec, bridgeFactory, config, connectError, localRealm, remoteFactory) => undefined
// Everything it keeps lives in this world's JS heap (no C++ roots), so the
// document's world is freed with the document.
(function () {
  'use strict';
  // @valence-constants
  return function install(native, codec, bridgeFactory, config, connectError, localRealm, remoteFactory) {
    const ObjectFreeze = Object.freeze, ObjectDefineProperty = Object.defineProperty;
    const ArrayIsArray = Array.isArray;
    const ReflectApply = Reflect.apply;
    const MapCtor = Map;
    const consoleError = console.error.bind(console);
    const promiseWithResolvers = () => {
      let resolve, reject;
      const promise = new Promise((a, b) => { resolve = a; reject = b; });
      return { promise, resolve, reject };
    };

    const listeners = new MapCtor();  // channel -> [{fn, once}]
    const pending = new MapCtor();    // invoke request id -> {channel, resolve, reject}
    let lostReason = connectError || '';

    function checkChannel(channel, method) {
      if (typeof channel !== 'string')
        throw new TypeError(`ipcRenderer.${method}: the channel must be a string, got ${typeof channel}`);
    }
    function encodeArgs(args, method, channel) {
      // Main refuses more as a protocol violation (and would end the
      // connection of every page of this process): refused here instead.
      if (args.length > kMaxArgs)
        throw new RangeError(`ipcRenderer.${method}('${channel}'): ${args.length} arguments (limit ${kMaxArgs})`);
      try {
        return codec.encode(args, { rootName: 'args' });
      } catch (e) {
        const error = new Error(`ipcRenderer.${method}('${channel}'): ${e && e.message}`);
        error.name = (e && e.name) || 'Error';
        throw error;
      }
    }
    // The extension's errors (a limit, the lost connection) say what; this
    // says where.
    function sendNative(method, kind, channel, bytes, handles) {
      try {
        native.send(kind, channel, bytes, handles);
      } catch (e) {
        throw new Error(`ipcRenderer.${method}('${channel}'): ${e && e.message}`);
      }
    }
    function errorText(remote) {
      if (remote !== null && typeof remote === 'object') {
        const name = remote.name === undefined ? 'Error' : String(remote.name);
        const message = remote.message === undefined ? '' : String(remote.message);
        return message ? `${name}: ${message}` : name;
      }
      return `Error: ${String(remote)}`;
    }
    function lostError(what) {
      return new Error(`${what}: the connection to the main process is closed` +
                       (lostReason ? ` (${lostReason})` : ''));
    }

    // Listener events: Electron's IpcRendererEvent (sender, ports).
    function makeEvent(ports) {
      return { sender: ipcRenderer, ports: ports || [] };
    }
    function emit(channel, event, args) {
      const list = listeners.get(channel);
      if (!list) return;
      for (const entry of list.slice()) {
        if (entry.once) removeEntry(channel, entry);
        try {
          ReflectApply(entry.fn, ipcRenderer, [event, ...args]);
        } catch (e) {
          consoleError(`ipcRenderer: a listener of '${channel}' threw:`, e);
        }
      }
    }
    function removeEntry(channel, entry) {
      const list = listeners.get(channel);
      if (!list) return;
      const i = list.indexOf(entry);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0) listeners.delete(channel);
    }
    function removeListener(channel, fn) {
      const list = listeners.get(channel);
      if (!list) return;
      for (let i = list.length - 1; i >= 0; i--) {
        if (list[i].fn === fn) { removeEntry(channel, list[i]); break; }
      }
    }
    function addListener(channel, fn, once, method) {
      checkChannel(channel, method);
      if (typeof fn !== 'function')
        throw new TypeError(`ipcRenderer.${method}: the listener must be a function`);
      let list = listeners.get(channel);
      if (!list) listeners.set(channel, (list = []));
      list.push({ fn, once });
    }

    // Messages from main (and the end of the connection, kind 0).
    // ---- MessagePorts ----------------------------------------------------
    // A port that crosses processes is a socket (a native handle). Pages use
    // real WebKit MessagePorts: each socket is relayed to one end of a
    // MessageChannel of this world, whose other end the page gets. Messages
    // go from the relay straight to the socket's other end, wherever it is.
    const MessageChannelCtor = MessageChannel;
    const PortPrototype = MessagePort.prototype;
    const PortPostMessage = PortPrototype.postMessage;
    const PortClose = PortPrototype.close;
    const PortStart = PortPrototype.start;
    const PortAddEventListener = EventTarget.prototype.addEventListener;
    const ObjectGetPrototypeOf = Object.getPrototypeOf;
    const relays = new MapCtor();  // handle -> this world's MessagePort relayed to it
    const given = new WeakMap();   // a port handed out (port1) -> its socket's handle
    const WeakMapGet = WeakMap.prototype.get;
    // WebKit's MessagePort has no 'close' event: a relay cannot see its
    // partner close. So closing a port this world was given closes its
    // socket too (the other end gets 'close' after the messages posted
    // before). Ports handed on to the page's main world close with the
    // document.
    // close() first posts a token (random, per port) that its relay knows:
    // it arrives after everything posted before, then the relay closes.
    const closeTokens = new MapCtor();  // handle -> the token
    PortPrototype.close = function close() {
      const handle = ReflectApply(WeakMapGet, given, [this]);
      if (handle !== undefined && closeTokens.has(handle))
        ReflectApply(PortPostMessage, this, [closeTokens.get(handle)]);
      ReflectApply(PortClose, this, []);
    };

    function relay(handle, port, prefix, unsent) {
      relays.set(handle, port);
      ReflectApply(PortAddEventListener, port, ['message', (event) => {
        if (closeTokens.has(handle) && event.data === closeTokens.get(handle)) {
          closeTokens.delete(handle);
          relays.delete(handle);
          native.portClose(handle);
          ReflectApply(PortClose, port, []);
          return;
        }
        if (event.ports && event.ports.length)
          consoleError('MessagePort: ports sent over a port are not supported in pages yet; dropped');
        let bytes;
        try {
          bytes = codec.encode([event.data, []], { rootName: 'message' });
        } catch (e) {
          consoleError(`MessagePort.postMessage: ${e && e.message}`);
          return;
        }
        native.portSend(handle, bytes);
      }]);
      ReflectApply(PortStart, port, []);
      native.portStart(handle, prefix, unsent);
    }
    // A port main (or another process) sent: the page gets port1.
    function portFromSocket(handle, record) {
      const channel = new MessageChannelCtor();
      const empty = new Uint8Array(0);
      relay(handle, channel.port2,
            record && record[0] instanceof ArrayBuffer ? new Uint8Array(record[0]) : empty,
            record && record[1] instanceof ArrayBuffer ? new Uint8Array(record[1]) : empty);
      given.set(channel.port1, handle);
      closeTokens.set(handle, 'valence-close-' + randomId());
      return channel.port1;
    }
    function randomId() {
      const bytes = crypto.getRandomValues(new Uint8Array(16));
      let id = '';
      for (const b of bytes) id += (b < 16 ? '0' : '') + b.toString(16);
      return id;
    }
    // A port of this world that leaves with ipcRenderer.postMessage: a new
    // socket pair; this process keeps one end relayed to `port`.
    function portToSocket(port) {
      if (port === null || typeof port !== 'object' || ObjectGetPrototypeOf(port) !== PortPrototype)
        throw new TypeError('ipcRenderer.postMessage: the transfer list may hold only MessagePorts of the preload ' +
                            '(pass a page\'s port to the preload with window.postMessage first)');
      const [local, remote] = native.portPair();
      const empty = new Uint8Array(0);
      relay(local, port, empty, empty);
      return { handle: remote, record: [new ArrayBuffer(0), new ArrayBuffer(0), randomId()] };
    }

    // The extension's four receivers (setReceivers): a message from main, the
    // end of the connection, a relayed port's message, a relayed port's end.
    function onPortMessage(handle, bytes) {
      const port = relays.get(handle);
      if (!port) return;
      let value;
      try {
        value = codec.decode(bytes);
      } catch (e) {
        consoleError(`MessagePort: a message could not be read: ${e.message}`);
        return;
      }
      ReflectApply(PortPostMessage, port, [ArrayIsArray(value) ? value[0] : undefined]);
    }
    function onPortClosed(handle, reason) {
      const port = relays.get(handle);
      relays.delete(handle);
      // The other end closed first: this port's close token will never be
      // posted to the relay, so it goes here (else one entry a port stays).
      closeTokens.delete(handle);
      if (port) ReflectApply(PortClose, port, []);
    }
    function onLost(reason) {
      lostReason = reason;
      if (remoteModule) remoteModule.lost(reason);
      for (const [id, p] of pending) {
        pending.delete(id);
        p.reject(lostError(`Error invoking remote method '${p.channel}'`));
      }
    }
    function receive(kind, channel, requestId, status, bytes, handles) {
      if (kind === kMsgRemoteCall || kind === kMsgRemoteRelease || kind === kMsgRemoteSettle ||
          kind === kMsgRemoteReply) {
        if (remoteModule) remoteModule.receive(kind, requestId, status, bytes);
        return;
      }
      if (kind === kMsgInvokeReply) {
        const p = pending.get(requestId);
        if (!p) return;
        pending.delete(requestId);
        let value;
        try {
          value = codec.decode(bytes);
        } catch (e) {
          p.reject(new Error(`Error invoking remote method '${p.channel}': the reply could not be read: ${e.message}`));
          return;
        }
        if (status === kStatusOk) {
          p.resolve(value);
        } else {
          const error = new Error(`Error invoking remote method '${p.channel}': ${errorText(value)}`);
          // Beyond Electron: the handler's own error, intact.
          if (value !== null && typeof value === 'object') error.cause = value;
          p.reject(error);
        }
        return;
      }
      if (kind === kMsgRendererMessage || kind === kMsgPostMessage) {
        let value;
        try {
          value = codec.decode(bytes);
        } catch (e) {
          consoleError(`ipcRenderer: a message on '${channel}' could not be read: ${e.message}`);
          return;
        }
        if (kind === kMsgPostMessage) {
          // body: [message, [port records]]; one socket handle per record.
          const message = ArrayIsArray(value) ? value[0] : undefined;
          const records = ArrayIsArray(value) && ArrayIsArray(value[1]) ? value[1] : [];
          const ports = [];
          for (let i = 0; i < (handles ? handles.length : 0); i++)
            ports.push(portFromSocket(handles[i], records[i]));
          emit(channel, makeEvent(ports), [message]);
        } else {
          emit(channel, makeEvent([]), ArrayIsArray(value) ? value : []);
        }
      }
    }

    class IpcRenderer {
      on(channel, listener) { addListener(channel, listener, false, 'on'); return this; }
      addListener(channel, listener) { addListener(channel, listener, false, 'addListener'); return this; }
      once(channel, listener) { addListener(channel, listener, true, 'once'); return this; }
      // Not through `this`: apps hand these methods around unbound
      // (`const { on, off } = ipcRenderer`, or through contextBridge).
      off(channel, listener) { removeListener(channel, listener); return this; }
      removeListener(channel, listener) { removeListener(channel, listener); return this; }
      removeAllListeners(channel) {
        if (channel === undefined) listeners.clear();
        else listeners.delete(channel);
        return this;
      }
      listenerCount(channel) {
        const list = listeners.get(channel);
        return list ? list.length : 0;
      }
      send(channel, ...args) {
        checkChannel(channel, 'send');
        sendNative('send', kMsgMessage, channel, encodeArgs(args, 'send', channel));
      }
      invoke(channel, ...args) {
        try {
          checkChannel(channel, 'invoke');
          const bytes = encodeArgs(args, 'invoke', channel);
          if (lostReason) throw lostError(`Error invoking remote method '${channel}'`);
          let id;
          try {
            // The id is the connection's (unique across documents).
            id = native.send(kMsgInvoke, channel, bytes);
          } catch (e) {
            throw new Error(`Error invoking remote method '${channel}': ${e.message}`);
          }
          const { promise, resolve, reject } = promiseWithResolvers();
          pending.set(id, { channel, resolve, reject });
          return promise;
        } catch (e) {
          return Promise.reject(e);
        }
      }
      sendSync(channel, ...args) {
        checkChannel(channel, 'sendSync');
        const request = encodeArgs(args, 'sendSync', channel);
        let reply;
        try {
          reply = native.sendSync(channel, request);
        } catch (e) {
          throw new Error(`ipcRenderer.sendSync('${channel}'): ${e && e.message}`);
        }
        const [status, bytes] = reply;
        const value = codec.decode(bytes);
        if (status === kStatusOk) return value;
        const error = new Error(`ipcRenderer.sendSync('${channel}'): ${value && value.message !== undefined ? value.message : String(value)}`);
        if (status === kStatusNoHandler) error.code = 'ERR_NO_HANDLER';
        else if (status === kStatusError) error.cause = value;
        throw error;
      }
      postMessage(channel, message, transfer) {
        checkChannel(channel, 'postMessage');
        if (transfer !== undefined && !ArrayIsArray(transfer))
          throw new TypeError('ipcRenderer.postMessage: the transfer list must be an array');
        const list = transfer || [];
        if (list.length > kMaxPortsPerMessage)
          throw new Error(`ipcRenderer.postMessage: at most ${kMaxPortsPerMessage} ports per message`);
        for (let i = 0; i < list.length; i++)
          for (let j = 0; j < i; j++)
            if (list[i] === list[j]) throw new Error('ipcRenderer.postMessage: a port is listed twice');
        let bytes;
        try {
          bytes = codec.encode([message, []], { rootName: 'message' });
        } catch (e) {
          const error = new Error(`ipcRenderer.postMessage('${channel}'): ${e && e.message}`);
          error.name = (e && e.name) || 'Error';
          throw error;
        }
        if (list.length === 0) {
          sendNative('postMessage', kMsgPostMessage, channel, bytes);
          return;
        }
        const moved = list.map(portToSocket);
        bytes = codec.encode([message, moved.map(m => m.record)], { rootName: 'message' });
        sendNative('postMessage', kMsgPostMessage, channel, bytes, moved.map(m => m.handle));
      }
      sendToHost() {
        throw new Error('ipcRenderer.sendToHost: valence has no <webview> hosts');
      }
    }
    ObjectFreeze(IpcRenderer.prototype);
    const ipcRenderer = new IpcRenderer();
    ObjectFreeze(ipcRenderer);

    // Remote objects cross the bridge by reference (twins), not by copy.
    let remoteModule = null;
    const byReference = (value) =>
      remoteModule !== null && (value === remoteModule.remote || remoteModule.remote.isRemote(value));
    const contextBridge = bridgeFactory(native, config, localRealm, byReference);

    const versions = ObjectFreeze(Object.assign({}, config.versions || {}));
    const process = ObjectFreeze({
      type: 'renderer',
      platform: 'linux',
      arch: config.arch || 'x64',
      versions,
      contextIsolated: true,
      sandboxed: true,
      env: ObjectFreeze({}),
      argv: ObjectFreeze([]),
      execPath: '',
      pid: config.pid || 0,
    });

    let electron = ObjectFreeze({ ipcRenderer, contextBridge });
    // webPreferences.enableRemoteModule: the window's first preload-world
    // user script calls this (before the preload), and
    // require('electron').remote exists. Off by default (Electron >= 10).
    function enableRemote() {
      if (remoteModule) return;
      remoteModule = remoteFactory(native, codec);
      electron = ObjectFreeze({ ipcRenderer, contextBridge, remote: remoteModule.remote });
    }
    function require(name) {
      if (name === 'electron' || name === 'electron/renderer') return electron;
      const error = new Error(`module not found: ${name}`);
      error.code = 'MODULE_NOT_FOUND';
      throw error;
    }

    // webPreferences.nodeIntegration (for legacy pages that call
    // require('electron') themselves): the window's first preload-world user
    // script calls this, and the page's main world gets `require` and
    // `process` through the contextBridge. Listeners get an event whose
    // `sender` is that same page-side ipcRenderer (event.sender.send works).
    // Off by default, as in Electron.
    let nodeIntegrationEnabled = false;
    function enableNodeIntegration() {
      if (nodeIntegrationEnabled) return;  // document.open(): see runPreload
      nodeIntegrationEnabled = true;
      const pageIpc = {
        send: (channel, ...args) => ipcRenderer.send(channel, ...args),
        invoke: (channel, ...args) => ipcRenderer.invoke(channel, ...args),
        sendSync: (channel, ...args) => ipcRenderer.sendSync(channel, ...args),
        postMessage: (channel, message) => ipcRenderer.postMessage(channel, message),
        on: (channel, listener) => { addPageListener(channel, listener, false); return pageIpc; },
        addListener: (channel, listener) => { addPageListener(channel, listener, false); return pageIpc; },
        once: (channel, listener) => { addPageListener(channel, listener, true); return pageIpc; },
        removeAllListeners: (channel) => { ipcRenderer.removeAllListeners(channel); return pageIpc; },
        listenerCount: (channel) => ipcRenderer.listenerCount(channel),
      };
      function addPageListener(channel, listener, once) {
        const forward = (event, ...args) => listener({ sender: pageIpc, ports: event.ports }, ...args);
        if (once) ipcRenderer.once(channel, forward);
        else ipcRenderer.on(channel, forward);
      }
      const pageElectron = { ipcRenderer: pageIpc };
      if (remoteModule) pageElectron.remote = remoteModule.remote;
      contextBridge.exposeInMainWorld('require', (name) => {
        if (name === 'electron' || name === 'electron/renderer') return pageElectron;
        const error = new Error(`module not found: ${name}`);
        error.code = 'MODULE_NOT_FOUND';
        throw error;
      });
      contextBridge.exposeInMainWorld('process', process);
      // Node's __dirname / __filename, from the document's file: URL (seed
      // 001's page builds a URL from __dirname).
      if (location.protocol === 'file:') {
        const file = decodeURIComponent(location.pathname);
        contextBridge.exposeInMainWorld('__filename', file);
        contextBridge.exposeInMainWorld('__dirname', file.slice(0, file.lastIndexOf('/')) || '/');
      }
    }

    // The app's preload, wrapped by the window as Electron wraps it (its
    // top-level declarations are its own, not globals of this world):
    //   __valencePreload(function (require, process, global, exports, module) { ... })
    // It runs once per runtime, that is once per document: WebKit injects
    // user scripts again when the page calls document.open(), into the same
    // world, where a second copy would add its listeners twice.
    let preloadRan = false;
    function runPreload(fn) {
      if (preloadRan || typeof fn !== 'function') return;
      preloadRan = true;
      const module = { exports: {} };
      ReflectApply(fn, module.exports, [require, process, globalThis, module.exports, module]);
    }

    const globals = { require, process };
    for (const [name, value] of [['__valenceNodeIntegration', enableNodeIntegration],
                                 ['__valenceRemote', enableRemote],
                                 ['__valencePreload', runPreload]]) {
      ObjectDefineProperty(globalThis, name, {
        value, writable: false, enumerable: false, configurable: false,
      });
    }
    if (native.gc) {
      // Test hooks: a real collection and weak counters (initialization flag "hooks").
      globals.__valenceTest = ObjectFreeze({
        gc: () => native.gc(),
        track: (value, label) => native.track(value, label),
        live: (label) => native.live(label),
        now: () => native.now(),
        resources: () => native.resources(),
        log: (message) => native.log(String(message)),
        remoteStats: () => (remoteModule ? remoteModule.stats() : null),
        codec,
      });
    }
    for (const name of Object.keys(globals)) {
      ObjectDefineProperty(globalThis, name, {
        value: globals[name], writable: false, enumerable: false, configurable: false,
      });
    }
    native.setReceivers(receive, onLost, onPortMessage, onPortClosed);
  };
})()
