// The web benchmark's preload (isolated world). web_bench loads it with
// AppOptions::test_hooks on: __valenceTest.now() is CLOCK_MONOTONIC in µs
// (performance.now() is coarsened), the same clock main reads.
//
// It sends 'hello' first thing (startup timing, and main learns the web
// process's pid from the message), exposes `bench` to the page over the
// contextBridge (what the page's loops in bench_page.js call), and runs the
// preload-world loops when main sends 'run' (id, name, n, warmup), answering
// 'samples' (id, JSON text: an array of µs, or {error}).
'use strict'
const { ipcRenderer, contextBridge } = require('electron')
const T = globalThis.__valenceTest
const now = T ? T.now : () => performance.now() * 1000

try {
  ipcRenderer.send('hello', now())
} catch (e) {
  if (T) T.log(`bench preload: hello failed: ${e && e.stack}`)
}

// ---- payloads (the page builds the same ones in its own world) ---------------
function small(i) { return { seq: i, text: 'ping' } }
function mib() {
  const a = new Uint8Array(1 << 20)
  for (let i = 0; i < a.length; i += 64) a[i] = i & 255
  return a
}
function objects() {
  // As bench/codec_bench.cc's objects_10k.
  const items = new Array(10000)
  for (let i = 0; i < 10000; i++) {
    items[i] = {
      id: i, name: `user-${i}`, tags: [`tag-${i % 10}`, `group-${i % 100}`, 'common'],
      created: new Date(1700000000000 + i * 1000),
    }
  }
  return items
}
let bigPayload = null, objPayload = null
const big = () => (bigPayload ||= mib())
const objs = () => (objPayload ||= objects())

function check(ok, what) { if (!ok) throw new Error(`bad echo: ${what}`) }
function checkSmall(r, i) { check(r && r.seq === i && r.text === 'ping', `small ${JSON.stringify(r)}`) }
function checkBig(r) { check(r instanceof Uint8Array && r.length === 1 << 20 && r[64] === 64,
        `1 MiB: got ${Object.prototype.toString.call(r)} of length ${r && r.length}`) }
function checkObjs(r) {
  check(Array.isArray(r) && r.length === 10000 && r[9999].name === 'user-9999' &&
        r[5].created instanceof Date && r[5].tags[2] === 'common', '10k objects')
}

// ---- loops -------------------------------------------------------------------
function loopSync(n, warmup, body) {
  const s = new Array(n)
  for (let i = 0; i < warmup + n; i++) {
    const t0 = now()
    body(i)
    const t1 = now()
    if (i >= warmup) s[i - warmup] = t1 - t0
  }
  return s
}
async function loopAsync(n, warmup, body) {
  const s = new Array(n)
  for (let i = 0; i < warmup + n; i++) {
    const t0 = now()
    await body(i)
    const t1 = now()
    if (i >= warmup) s[i - warmup] = t1 - t0
  }
  return s
}

// webContents.send -> listener: main stamps the message with its clock just
// before send(); the listener takes the difference.
let pushWaiter = null  // the preload loop's resolver
let pagePush = null    // the page's callback (bench.onPush)
ipcRenderer.on('push', (event, t) => {
  if (pushWaiter) {
    const lat = now() - t
    const w = pushWaiter
    pushWaiter = null
    w(lat)
  } else if (pagePush) {
    pagePush(t)
  }
})
async function pushLoop(n, warmup) {
  const s = new Array(n)
  for (let i = 0; i < warmup + n; i++) {
    const lat = await new Promise((resolve) => {
      pushWaiter = resolve
      ipcRenderer.send('push-req')
    })
    if (i >= warmup) s[i - warmup] = lat
  }
  return s
}

// Where a round trip's time goes: main's handler answers with its own clock
// (CLOCK_MONOTONIC µs, as now()), which splits the round trip into the way
// up (t0 -> main's handler) and the way down (main's handler -> the caller
// resumed); 'send' is the synchronous part of invoke() (encode + native send).
// 'stamp-echo' answers [t, its argument] (the 1 MiB split).
async function stampLoop(n, warmup, part, call) {
  const s = new Array(n)
  for (let i = 0; i < warmup + n; i++) {
    const t0 = now()
    const p = call(i)
    const t1 = now()
    const answer = await p
    const t2 = now()
    const tm = Array.isArray(answer) ? answer[0] : answer  // 'stamp-echo': [t, value]
    if (i >= warmup) s[i - warmup] = part === 'send' ? t1 - t0 : part === 'up' ? tm - t0 : t2 - tm
  }
  return s
}

const codec = T && T.codec

// ---- remote (web_bench --case remote: the window has enable_remote_module) ----
// Main's module 'bench' (web_bench.cc): counter (get(), value, stamp(),
// make() -> a Link: next() -> another Link, get() -> 7), makeMany(n) -> n new
// Items (5 properties), hold(callback).
const remote = require('electron').remote
const rbench = remote ? remote.require('bench') : null
const rc = rbench ? rbench.counter : null
// The async view of the counter (remote.async: each operation a thenable;
// the operations of one turn go as one RemoteAsync batch, a chain of
// dependent calls pipelined in it).
const avc = rc ? remote.async(rc) : null
// The two Links the chain walks through, held for the whole run: the chain's
// answers then reuse these proxies (no proxies made or released per call).
const holder = { arr: null, base: 0, links: rc ? [rc.make(), rc.make().next()] : null }
let cbWaiter = null
if (rbench) {
  rbench.hold((t) => {
    const lat = now() - t
    const w = cbWaiter
    cbWaiter = null
    if (w) w(lat)
  })
}
async function cbLoop(n, warmup) {
  const s = new Array(n)
  for (let i = 0; i < warmup + n; i++) {
    const lat = await new Promise((resolve) => {
      cbWaiter = resolve
      ipcRenderer.send('cb-req')
    })
    if (i >= warmup) s[i - warmup] = lat
  }
  return s
}
const kItems = 10000
function remoteMany(n) {
  holder.base = T.remoteStats().imports
  const t0 = now()
  holder.arr = rbench.makeMany(kItems)
  const t1 = now()
  const a = holder.arr
  check(Array.isArray(a) && a.length === kItems && remote.isRemote(a[5]) && a[5].id === 5 &&
        a[9999].name === 'item-9999', 'makeMany')
  return n > 0 ? [t1 - t0] : []
}
// Drops the proxies, forces a GC, then watches the remote module's tables
// (a cheap timer chain) until every proxy was given back: each growth of
// 'sent' (finalized minus still pending) is taken as one flush, of
// ceil(pairs / 4096) RemoteRelease frames (kMaxRemoteReleasePairs).
async function remoteRelease() {
  const s0 = T.remoteStats()
  const t0 = now()
  holder.arr = null
  T.gc()
  const t1 = now()
  let sentBefore = 0, flushes = 0, frames = 0, tFinalized = 0, tSent = 0
  const deadline = t1 + 5e6
  for (;;) {
    const st = T.remoteStats()
    const sent = (s0.imports - st.imports) - st.pendingReleases
    if (!tFinalized && st.imports < s0.imports) tFinalized = now() - t0
    if (!tSent && sent > 0) tSent = now() - t0
    if (sent > sentBefore) {
      flushes++
      frames += Math.ceil((sent - sentBefore) / 4096)
      sentBefore = sent
    }
    if ((st.imports <= holder.base && st.pendingReleases === 0) || now() > deadline) break
    await new Promise((resolve) => setTimeout(resolve, 0))
  }
  // When this chain first saw finalized proxies, and them sent (µs after t0).
  return [t0, t1 - t0, flushes, frames, tFinalized, tSent]
}
const remoteCases = rc ? {
  sendSync_int: (n, w) => loopSync(n, w, () => check(ipcRenderer.sendSync('int-sync') === 7, 'int-sync')),
  remote_get: (n, w) => loopSync(n, w, () => check(rc.get() === 7, 'counter.get()')),
  remote_prop_get: (n, w) => loopSync(n, w, () => check(rc.value === 7, 'counter.value')),
  remote_prop_set: (n, w) => loopSync(n, w, () => { rc.value = 7 }),
  remote_stamp_up: (n, w) => stampLoop(n, w, 'up', () => rc.stamp()),
  remote_stamp_down: (n, w) => stampLoop(n, w, 'down', () => rc.stamp()),
  remote_cb: cbLoop,
  // R6: one async-view call against ipcRenderer.invoke of a handler returning an int.
  invoke_int: (n, w) => loopAsync(n, w, async () => check(await ipcRenderer.invoke('int') === 7, 'invoke int')),
  remote_async_get: (n, w) => loopAsync(n, w, async () => check(await avc.get() === 7, 'await av.get()')),
  // R7: three dependent calls, pipelined (one message), against the same made synchronously.
  remote_async_chain: (n, w) => loopAsync(n, w, async () =>
    check(await avc.make().next().get() === 7, 'await av.make().next().get()')),
  remote_sync_chain: (n, w) => loopSync(n, w, () => check(rc.make().next().get() === 7, 'counter.make().next().get()')),
  remote_async_stamp_up: (n, w) => stampLoop(n, w, 'up', () => avc.stamp()),
  remote_async_stamp_down: (n, w) => stampLoop(n, w, 'down', () => avc.stamp()),
  items_sync: (n, w) => loopSync(n, w, () => check(ipcRenderer.sendSync('items-sync', kItems).length === kItems, 'items-sync')),
  remote_many: (n) => remoteMany(n),
  remote_release: () => remoteRelease(),
} : {}
const webkitHandler = () => window.webkit.messageHandlers.benchp

const cases = {
  now: (n, w) => loopSync(n, w, () => now()),
  invoke: (n, w) => loopAsync(n, w, async (i) => checkSmall(await ipcRenderer.invoke('echo', small(i)), i)),
  sendSync: (n, w) => loopSync(n, w, (i) => checkSmall(ipcRenderer.sendSync('echo-sync', small(i)), i)),
  webkit: (n, w) => loopAsync(n, w, async (i) => checkSmall(await webkitHandler().postMessage(small(i)), i)),
  push: pushLoop,
  invoke_send: (n, w) => stampLoop(n, w, 'send', (i) => ipcRenderer.invoke('stamp', small(i))),
  invoke_up: (n, w) => stampLoop(n, w, 'up', (i) => ipcRenderer.invoke('stamp', small(i))),
  invoke_down: (n, w) => stampLoop(n, w, 'down', (i) => ipcRenderer.invoke('stamp', small(i))),
  invoke_1mib_send: (n, w) => stampLoop(n, w, 'send', () => ipcRenderer.invoke('stamp-echo', big())),
  invoke_1mib_up: (n, w) => stampLoop(n, w, 'up', () => ipcRenderer.invoke('stamp-echo', big())),
  invoke_1mib_down: (n, w) => stampLoop(n, w, 'down', () => ipcRenderer.invoke('stamp-echo', big())),
  sendSync_up: (n, w) => stampLoop(n, w, 'up', (i) => ipcRenderer.sendSync('stamp-sync', small(i))),
  sendSync_down: (n, w) => stampLoop(n, w, 'down', (i) => ipcRenderer.sendSync('stamp-sync', small(i))),
  invoke_1mib: (n, w) => { big(); return loopAsync(n, w, async () => checkBig(await ipcRenderer.invoke('echo', big()))) },
  invoke_10k: (n, w) => { objs(); return loopAsync(n, w, async () => checkObjs(await ipcRenderer.invoke('echo', objs()))) },
  webkit_10k: (n, w) => { objs(); return loopAsync(n, w, async () => checkObjs(await webkitHandler().postMessage(objs()))) },
  // Where the time goes: the JS codec alone, as ipcRenderer uses it (the
  // arguments array out, one value back).
  encode_small: (n, w) => loopSync(n, w, (i) => codec.encode([small(i)], { rootName: 'args' })),
  decode_small: (n, w) => { const b = codec.encode(small(1)); return loopSync(n, w, () => codec.decode(b)) },
  encode_1mib: (n, w) => loopSync(n, w, () => codec.encode([big()], { rootName: 'args' })),
  decode_1mib: (n, w) => { const b = codec.encode(big()); return loopSync(n, w, () => codec.decode(b)) },
  encode_10k: (n, w) => loopSync(n, w, () => codec.encode([objs()], { rootName: 'args' })),
  decode_10k: (n, w) => { const b = codec.encode(objs()); return loopSync(n, w, () => codec.decode(b)) },
  // Main keeps what arrives on 'echo-keep' (its own codec is then timed on it).
  ...remoteCases,
  keep: async () => {
    await ipcRenderer.invoke('echo-keep', 'small', small(1))
    await ipcRenderer.invoke('echo-keep', '1mib', big())
    await ipcRenderer.invoke('echo-keep', '10k', objs())
    return []
  },
}

ipcRenderer.on('run', async (event, id, name, n, warmup) => {
  let text
  try {
    if (!cases[name]) throw new Error(`no preload case '${name}'`)
    const s = await cases[name](n, warmup)
    text = JSON.stringify(s.map((x) => Math.round(x * 100) / 100))
  } catch (e) {
    text = JSON.stringify({ error: `${e}\n${e && e.stack}` })
  }
  ipcRenderer.send('samples', id, text)
})

contextBridge.exposeInMainWorld('bench', {
  now: () => now(),
  invoke: (channel, value) => ipcRenderer.invoke(channel, value),
  sendSync: (channel, value) => ipcRenderer.sendSync(channel, value),
  requestPush: () => ipcRenderer.send('push-req'),
  onPush: (callback) => { pagePush = callback },
  // The bridge alone: a copy in and a copy back; the same through a Promise.
  echo: (value) => value,
  echoAsync: (value) => Promise.resolve(value),
  log: (message) => { if (T) T.log(message) },
})
