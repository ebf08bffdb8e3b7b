#!/usr/bin/env node
'use strict';
// Oracle peer for tests/codec/node_oracle_test.cc.
//
// Reads frames from stdin: 4-byte big-endian payload length, then the payload
// (a complete v8.serialize() byte string). For each frame it runs
// v8.deserialize and then v8.serialize on the result and writes the bytes back
// as a frame of the same shape on stdout. When either step throws, the reply
// payload is the marker byte 0x21 ('!') followed by the UTF-8 error text; a
// real reply always starts with 0xFF, so the two cannot be confused.
// Exits when stdin closes.

const v8 = require('v8');
const fs = require('fs');

const kErrorMarker = 0x21;

function frame(payload) {
  const out = Buffer.allocUnsafe(4 + payload.length);
  out.writeUInt32BE(payload.length, 0);
  payload.copy(out, 4);
  return out;
}

function answer(payload) {
  try {
    return Buffer.from(v8.serialize(v8.deserialize(payload)));
  } catch (err) {
    const text = `${err && err.name}: ${err && err.message}`;
    return Buffer.concat([Buffer.from([kErrorMarker]), Buffer.from(text, 'utf8')]);
  }
}

// fd 1 stays blocking because process.stdout is never touched; still loop
// over partial writes and retry EAGAIN.
function write_all(buffer) {
  let offset = 0;
  while (offset < buffer.length) {
    try {
      offset += fs.writeSync(1, buffer, offset, buffer.length - offset);
    } catch (err) {
      if (err.code !== 'EAGAIN') throw err;
    }
  }
}

let pending = Buffer.alloc(0);
process.stdin.on('data', (chunk) => {
  pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
  const replies = [];
  while (pending.length >= 4) {
    const length = pending.readUInt32BE(0);
    if (pending.length < 4 + length) break;
    replies.push(frame(answer(pending.subarray(4, 4 + length))));
    pending = pending.subarray(4 + length);
  }
  for (const reply of replies) write_all(reply);
});
process.stdin.on('end', () => process.exit(0));
