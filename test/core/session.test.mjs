// The close-handshake and auto-pong state machine (RFC 6455 §5.5, §7), driven with a host that records every call
// in order. Write callbacks are held so each test decides when "the frame left the process".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { Session, readyStateOf } = require('../../dist/cjs/core/session.js');

function text(value) {
  if (value === undefined) return 'undefined';
  return Buffer.isBuffer(value) ? `<${value.toString('hex')}>` : JSON.stringify(value);
}

/** A SessionHost that logs calls as strings and keeps the write callbacks for the test to run. */
function recordingHost() {
  const calls = [];
  const pongCallbacks = [];
  const closeCallbacks = [];
  return {
    calls,
    pongCallbacks,
    closeCallbacks,
    sendPong(data, onWritten) {
      calls.push(`sendPong ${text(data)}`);
      pongCallbacks.push(onWritten);
    },
    sendClose(code, reason, onWritten) {
      calls.push(`sendClose ${text(code)} ${text(reason)}`);
      closeCallbacks.push(onWritten);
    },
    endOutput: () => calls.push('endOutput'),
    destroy: () => calls.push('destroy'),
    stopReading: () => calls.push('stopReading'),
    startCloseTimer: () => calls.push('startCloseTimer'),
    emitPing: (data) => calls.push(`emitPing ${text(data)}`),
    emitFailure: (failure) => calls.push(`emitFailure ${failure.code} ${failure.closeCode}`)
  };
}

function create(options = {}) {
  const host = recordingHost();
  const session = new Session(host, { autoPong: true, maxPendingAutoPongs: 60, ...options });
  return { host, session };
}

const FAILURE = {
  code: 'WS_ERR_INVALID_OPCODE',
  message: 'Invalid WebSocket frame: invalid opcode 3',
  closeCode: 1002
};

test('readyStateOf maps the states to 0..3', () => {
  assert.deepEqual(['connecting', 'open', 'closingByUs', 'closingByPeer', 'closed'].map(readyStateOf), [0, 1, 2, 2, 3]);
  const { session } = create();
  assert.equal(session.state, 'open');
  assert.equal(session.closeCode, 1006);
  assert.equal(session.closeReason.length, 0);
});

test('RFC 6455 §5.5.2: a ping is answered with a pong of the same data, before the ping event', () => {
  const { host, session } = create();
  session.onPing(Buffer.from('abc'));
  session.onPing(Buffer.alloc(0));
  assert.deepEqual(host.calls, ['sendPong <616263>', 'emitPing <616263>', 'sendPong <>', 'emitPing <>']);
});

test('autoPong false: pings are reported, never answered', () => {
  const { host, session } = create({ autoPong: false, maxPendingAutoPongs: 1 });
  for (let i = 0; i < 5; i++) session.onPing(Buffer.from([i]));
  assert.deepEqual(host.calls, ['emitPing <00>', 'emitPing <01>', 'emitPing <02>', 'emitPing <03>', 'emitPing <04>']);
});

test('maxPendingAutoPongs: one ping past the limit of unwritten pongs destroys the connection', () => {
  const { host, session } = create({ maxPendingAutoPongs: 2 });
  session.onPing(Buffer.from('1'));
  session.onPing(Buffer.from('2'));
  session.onPing(Buffer.from('3'));
  assert.deepEqual(host.calls, [
    'sendPong <31>',
    'emitPing <31>',
    'sendPong <32>',
    'emitPing <32>',
    'destroy',
    'emitPing <33>'
  ]);
  assert.equal(session.state, 'closingByUs');
  // Once closing, pings are no longer answered and destroy is not repeated.
  session.onPing(Buffer.from('4'));
  assert.deepEqual(host.calls.slice(6), ['emitPing <34>']);
});

test('maxPendingAutoPongs: written pongs free their slot', () => {
  const { host, session } = create({ maxPendingAutoPongs: 2 });
  for (let i = 0; i < 10; i++) {
    session.onPing(Buffer.from([i]));
    // Each pong "leaves the process" before the next ping, so at most one is ever pending.
    host.pongCallbacks.shift()();
  }
  assert.equal(host.calls.filter((c) => c === 'destroy').length, 0);
  assert.equal(host.calls.filter((c) => c.startsWith('sendPong')).length, 10);
  // Two pending is allowed, the third ping is not.
  session.onPing(Buffer.from('a'));
  session.onPing(Buffer.from('b'));
  host.pongCallbacks.shift()();
  session.onPing(Buffer.from('c'));
  session.onPing(Buffer.from('d'));
  assert.deepEqual(host.calls.slice(20), [
    'sendPong <61>',
    'emitPing <61>',
    'sendPong <62>',
    'emitPing <62>',
    'sendPong <63>',
    'emitPing <63>',
    'destroy',
    'emitPing <64>'
  ]);
});

test('maxPendingAutoPongs 0 means no limit', () => {
  const { host, session } = create({ maxPendingAutoPongs: 0 });
  for (let i = 0; i < 500; i++) session.onPing(Buffer.from([i & 0xff]));
  assert.equal(host.calls.filter((c) => c.startsWith('sendPong')).length, 500);
  assert.equal(host.calls.includes('destroy'), false);
});

test('RFC 6455 §5.5.1: the peer closes → stop reading, echo the same code and reason, end output once written', () => {
  const { host, session } = create();
  session.onPeerClose(4001, Buffer.from('bye'));
  assert.equal(session.state, 'closingByPeer');
  assert.equal(session.closeFrameReceived, true);
  assert.equal(session.closeCode, 4001);
  assert.equal(session.closeReason.toString(), 'bye');
  assert.deepEqual(host.calls, ['stopReading', 'sendClose 4001 <627965>', 'startCloseTimer']);
  assert.equal(session.wasClean, false);
  host.closeCallbacks.shift()();
  assert.deepEqual(host.calls.slice(3), ['endOutput']);
  assert.equal(session.closeFrameSent, true);
  assert.equal(session.wasClean, true);
  assert.equal(readyStateOf(session.state), 2);
  session.onTransportClosed();
  assert.equal(session.state, 'closed');
  assert.equal(readyStateOf(session.state), 3);
});

test('the peer closes without a code (1005) → our echo is an empty close frame', () => {
  const { host, session } = create();
  session.onPeerClose(1005, Buffer.alloc(0));
  assert.deepEqual(host.calls, ['stopReading', 'sendClose undefined undefined', 'startCloseTimer']);
  assert.equal(session.closeCode, 1005);
});

test('we close, then the peer echoes → endOutput after both frames', () => {
  const { host, session } = create();
  session.close(1000, 'done');
  assert.equal(session.state, 'closingByUs');
  assert.deepEqual(host.calls, ['sendClose 1000 "done"', 'startCloseTimer']);
  host.closeCallbacks.shift()();
  assert.deepEqual(host.calls.length, 2, 'no endOutput before the peer answered');
  session.onPeerClose(1000, Buffer.from('done'));
  assert.deepEqual(host.calls.slice(2), ['stopReading', 'endOutput']);
  assert.equal(session.state, 'closingByUs');
  assert.equal(session.wasClean, true);
  assert.equal(session.closeCode, 1000);
});

test('we close, the peer echoes before our frame was written → endOutput when the write completes', () => {
  const { host, session } = create();
  session.close(3000, undefined);
  session.onPeerClose(3000, Buffer.alloc(0));
  assert.deepEqual(host.calls, ['sendClose 3000 undefined', 'startCloseTimer', 'stopReading']);
  host.closeCallbacks.shift()();
  assert.deepEqual(host.calls.slice(3), ['endOutput']);
});

test('close() while closing sends nothing more', () => {
  const { host, session } = create();
  session.close(1000, undefined);
  session.close(4000, 'again');
  assert.deepEqual(host.calls, ['sendClose 1000 undefined', 'startCloseTimer']);
  session.onTransportClosed();
  session.close(1000, undefined);
  session.terminate();
  assert.deepEqual(host.calls, ['sendClose 1000 undefined', 'startCloseTimer']);
});

test('a failed close write does not mark the frame as sent nor end the output', () => {
  const { host, session } = create();
  session.onPeerClose(1000, Buffer.alloc(0));
  host.closeCallbacks.shift()(new Error('EPIPE'));
  assert.equal(session.closeFrameSent, false);
  assert.deepEqual(host.calls, ['stopReading', 'sendClose 1000 <>', 'startCloseTimer']);
  assert.equal(session.wasClean, false);
});

test('a protocol failure: stop reading, close with its status, report it once, end output once written', () => {
  const { host, session } = create();
  session.onFailure(FAILURE);
  assert.deepEqual(host.calls, [
    'stopReading',
    'sendClose 1002 undefined',
    'startCloseTimer',
    'emitFailure WS_ERR_INVALID_OPCODE 1002'
  ]);
  assert.equal(session.failed, true);
  assert.equal(session.state, 'closingByUs');
  host.closeCallbacks.shift()();
  assert.deepEqual(host.calls.slice(4), ['endOutput']);
  // A second failure is not reported again and sends no second close frame.
  session.onFailure({ ...FAILURE, code: 'WS_ERR_INVALID_UTF8', closeCode: 1007 });
  assert.equal(host.calls.filter((c) => c.startsWith('emitFailure')).length, 1);
  assert.equal(host.calls.filter((c) => c.startsWith('sendClose')).length, 1);
  assert.equal(session.closeCode, 1006, 'no close frame was received');
  assert.equal(session.wasClean, false);
});

test('a failure after we started closing reports the failure but sends no second close frame', () => {
  const { host, session } = create();
  session.close(1000, undefined);
  session.onFailure({ code: 'WS_ERR_UNEXPECTED_RSV_1', message: 'x', closeCode: 1002 });
  assert.deepEqual(host.calls, [
    'sendClose 1000 undefined',
    'startCloseTimer',
    'stopReading',
    'emitFailure WS_ERR_UNEXPECTED_RSV_1 1002'
  ]);
  host.closeCallbacks.shift()();
  assert.deepEqual(host.calls.slice(4), ['endOutput']);
});

test('pings after the close handshake started are reported but not answered', () => {
  for (const start of ['us', 'peer']) {
    const { host, session } = create();
    if (start === 'us') session.close(1000, undefined);
    else session.onPeerClose(1000, Buffer.alloc(0));
    const before = host.calls.length;
    session.onPing(Buffer.from('late'));
    assert.deepEqual(host.calls.slice(before), ['emitPing <6c617465>'], start);
  }
});

test('terminate(): destroy at once from open; nothing once closed', () => {
  const { host, session } = create();
  session.terminate();
  assert.deepEqual(host.calls, ['destroy']);
  assert.equal(session.state, 'closingByUs');
  const closing = create();
  closing.session.onPeerClose(1000, Buffer.alloc(0));
  closing.session.terminate();
  assert.equal(closing.session.state, 'closingByPeer');
  assert.deepEqual(closing.host.calls.slice(-1), ['destroy']);
});
