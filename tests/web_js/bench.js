#!/usr/bin/env node
'use strict';
// Micro benchmark of the JS codec (not a test): MB/s of encoded bytes for
// encode and decode of 10k small objects and of a 1 MiB Uint8Array, next to
// node's own v8.serialize / v8.deserialize in the same run.
//
//   node tests/web_js/bench.js [--codec path] [--seconds S]
//                              [--host build/tests/web_js/valence_jsc_host]
//
// With --host the same workloads also run in JavaScriptCore (the engine the
// codec is for) through valence_jsc_host. Times are CPU time of the running
// thread where the engine offers it (JavaScriptCore: cpuTime(); node:
// process.cpuUsage, which counts all threads), best of several rounds.

const childProcess = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const v8 = require('v8');
const vm = require('vm');

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

const codecPath = arg('--codec', path.join(__dirname, '../../src/web_extension/js/v8_codec.js'));
const seconds = Number(arg('--seconds', '1'));
const host = arg('--host', undefined);
const codecSource = fs.readFileSync(codecPath, 'utf8');

// Runs in node and, as source text, in JavaScriptCore: no node APIs.
function benchmark(codec, seconds, clock, extra) {
  function smallObjects(n) {
    const list = [];
    for (let i = 0; i < n; i++) {
      list.push({
        id: i,
        name: 'item-' + i,
        price: i + 0.25,
        active: (i & 1) === 0,
        tags: ['alpha', 'beta'],
        owner: { user: 'u' + (i % 97), level: i % 7 },
      });
    }
    return list;
  }
  const big = new Uint8Array(1 << 20);
  for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;

  // Seconds per call: the best of five rounds of about seconds / 5 each.
  function time(fn) {
    for (let i = 0; i < 3; i++) fn();
    let best = Infinity;
    for (let round = 0; round < 5; round++) {
      let calls = 0;
      const start = clock();
      let elapsed = 0;
      do {
        fn();
        calls++;
        elapsed = clock() - start;
      } while (elapsed < seconds / 5);
      best = Math.min(best, elapsed / calls);
    }
    return best;
  }
  const rate = (bytes, s) => (bytes / s / 1e6).toFixed(1).padStart(8) + ' MB/s';

  const lines = [];
  for (const [name, value] of [['10k small objects', smallObjects(10000)],
                               ['1 MiB Uint8Array', big]]) {
    const bytes = codec.encode(value, { form: 'node' });
    const n = bytes.length;
    lines.push(name + ' (' + n + ' bytes)');
    lines.push('  encode  node form    ' + rate(n, time(() => codec.encode(value, { form: 'node' }))) +
               extra.encode(value, rate, time));
    lines.push('  encode  valence form ' + rate(n, time(() => codec.encode(value))));
    lines.push('  decode               ' + rate(n, time(() => codec.decode(bytes, { form: 'node' }))) +
               extra.decode(bytes, rate, time));
  }
  return lines.join('\n');
}

const nodeClock = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const codec = vm.runInThisContext(codecSource, { filename: codecPath });
console.log('node ' + process.version + ' (V8 ' + process.versions.v8 + ')');
console.log(benchmark(codec, seconds, nodeClock, {
  encode: (value, rate, time) => {
    const n = v8.serialize(value).length;
    return '   v8.serialize   ' + rate(n, time(() => v8.serialize(value)));
  },
  decode: (bytes, rate, time) => {
    const buffer = Buffer.from(bytes);
    return '   v8.deserialize ' + rate(bytes.length, time(() => v8.deserialize(buffer)));
  },
}));

if (host) {
  const script = '(' + benchmark.toString() + ')((0, eval)(' + JSON.stringify(codecSource) + '), ' +
                 seconds + ', typeof cpuTime === "function" ? cpuTime : () => Date.now() / 1000,' +
                 ' { encode: () => "", decode: () => "" })';
  const file = path.join(os.tmpdir(), 'valence-bench-' + process.pid + '.js');
  fs.writeFileSync(file, script);
  try {
    console.log('\nJavaScriptCore (' + path.basename(host) + ')');
    console.log(childProcess.execFileSync(host, [file], { encoding: 'utf8' }).trimEnd());
  } finally {
    fs.unlinkSync(file);
  }
}
