// The web benchmark's page (main world): the loops a page runs through the
// API the preload exposed (window.bench, over the contextBridge), and
// WebKit's own script-message handler with reply (the baseline), timed with
// bench.now() (the preload's CLOCK_MONOTONIC µs, itself a bridged call; the
// 'now' case measures what a pair of them costs). web_bench runs
//   runCase(name, n, warmup) -> Promise<JSON text: array of µs, or {error}>
// with webContents.executeJavaScript. Without valence (web_bench_bare)
// window.bench is missing and nothing runs.
'use strict'
;(function () {
  if (!window.bench) return
  const bench = window.bench
  const now = bench.now

  function small(i) { return { seq: i, text: 'ping' } }
  function mib() {
    const a = new Uint8Array(1 << 20)
    for (let i = 0; i < a.length; i += 64) a[i] = i & 255
    return a
  }
  function objects() {
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

  // webContents.send -> a page listener (a page function the preload's
  // ipcRenderer listener calls through the bridge).
  let pushWaiter = null
  bench.onPush((t) => {
    const lat = now() - t
    const w = pushWaiter
    pushWaiter = null
    if (w) w(lat)
  })
  async function pushLoop(n, warmup) {
    const s = new Array(n)
    for (let i = 0; i < warmup + n; i++) {
      const lat = await new Promise((resolve) => {
        pushWaiter = resolve
        bench.requestPush()
      })
      if (i >= warmup) s[i - warmup] = lat
    }
    return s
  }

  // As the preload's stampLoop: main's handler answers with its clock.
  async function stampLoop(n, warmup, part, call) {
    const s = new Array(n)
    for (let i = 0; i < warmup + n; i++) {
      const t0 = now()
      const p = call(i)
      const t1 = now()
      const tm = await p
      const t2 = now()
      if (i >= warmup) s[i - warmup] = part === 'send' ? t1 - t0 : part === 'up' ? tm - t0 : t2 - tm
    }
    return s
  }

  const webkitHandler = () => window.webkit.messageHandlers.bench
  const cases = {
    now: (n, w) => loopSync(n, w, () => now()),
    invoke: (n, w) => loopAsync(n, w, async (i) => checkSmall(await bench.invoke('echo', small(i)), i)),
    sendSync: (n, w) => loopSync(n, w, (i) => checkSmall(bench.sendSync('echo-sync', small(i)), i)),
    webkit: (n, w) => loopAsync(n, w, async (i) => checkSmall(await webkitHandler().postMessage(small(i)), i)),
    push: pushLoop,
    invoke_send: (n, w) => stampLoop(n, w, 'send', (i) => bench.invoke('stamp', small(i))),
    invoke_up: (n, w) => stampLoop(n, w, 'up', (i) => bench.invoke('stamp', small(i))),
    invoke_down: (n, w) => stampLoop(n, w, 'down', (i) => bench.invoke('stamp', small(i))),
    sendSync_up: (n, w) => stampLoop(n, w, 'up', (i) => bench.sendSync('stamp-sync', small(i))),
    sendSync_down: (n, w) => stampLoop(n, w, 'down', (i) => bench.sendSync('stamp-sync', small(i))),
    invoke_1mib: (n, w) => { big(); return loopAsync(n, w, async () => checkBig(await bench.invoke('echo', big()))) },
    invoke_10k: (n, w) => { objs(); return loopAsync(n, w, async () => checkObjs(await bench.invoke('echo', objs()))) },
    webkit_10k: (n, w) => { objs(); return loopAsync(n, w, async () => checkObjs(await webkitHandler().postMessage(objs()))) },
    // The contextBridge alone (no IPC): a copy in and back; the same through a Promise.
    bridge: (n, w) => loopSync(n, w, (i) => checkSmall(bench.echo(small(i)), i)),
    bridge_num: (n, w) => loopSync(n, w, (i) => check(bench.echo(i) === i, 'number')),
    bridge_async: (n, w) => loopAsync(n, w, async (i) => checkSmall(await bench.echoAsync(small(i)), i)),
    bridge_1mib: (n, w) => { big(); return loopSync(n, w, () => checkBig(bench.echo(big()))) },
    bridge_10k: (n, w) => { objs(); return loopSync(n, w, () => checkObjs(bench.echo(objs()))) },
  }

  window.runCase = async function runCase(name, n, warmup) {
    try {
      if (!cases[name]) throw new Error(`no page case '${name}'`)
      const s = await cases[name](n, warmup)
      return JSON.stringify(s.map((x) => Math.round(x * 100) / 100))
    } catch (e) {
      return JSON.stringify({ error: `${e}\n${e && e.stack}` })
    }
  }
})()
