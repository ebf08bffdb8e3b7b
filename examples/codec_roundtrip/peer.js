// The Node side of the codec demo: started by codec_roundtrip with an IPC
// channel in 'advanced' mode (V8 serialization). Shows what arrived, sends it
// back with a note, then sends a value built in JavaScript.
const util = require('util');

process.on('message', (msg) => {
  process.stdout.write('node received:\n' +
      util.inspect(msg, {depth: 8, colors: false, breakLength: 100}) + '\n\n');
  msg.echoedBy = 'node ' + process.version;
  process.send(msg);
  const fromNode = {
    fromNode: true,
    when: new Date(Date.UTC(2026, 10, 21)),
    big: 2n ** 70n,
    set: new Set([1, 'a', null]),
    err: new RangeError('out of range', {cause: {code: 'E_RANGE'}}),
    bytes: Buffer.from('hi'),
    holes: [1, , 3],
  };
  delete fromNode.err.stack;
  process.send(fromNode, () => process.disconnect());
});
