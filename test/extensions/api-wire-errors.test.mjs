// Hostile permessage-deflate peers over real loopback sockets, written by hand (raw TCP, raw frames):
// - a 1 GiB zip bomb (about 1 MiB on the wire) sent to a server with maxPayload 1 MiB, as one message and as 10,000
//   fragments. The server runs in its own process so that its memory is measured alone: peak RSS (VmHWM, reset
//   just before the bomb) minus RSS before it. Expect close 1009 on the wire and a bounded peak.
// - RSV1 on control frames and on continuation frames with deflate negotiated (RFC 7692 §6.1: only the first frame
//   of a data message may carry it) -> close 1002 on the wire, WS_ERR_UNEXPECTED_RSV_1, in both roles, as ws does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import { constants, deflateRawSync } from 'node:zlib';
import { buildFrame, parseFrames as splitFrames } from '../helpers/frame-bytes.mjs';
import { zipBomb } from '../helpers/zip-bomb.mjs';

const require = createRequire(import.meta.url);
const SOCKWIRE_PATH = require.resolve(process.env.SOCKWIRE_API_DIST ?? '../../dist/cjs/index.js');
const WS_PATH = require.resolve('ws');
const sockwire = require(SOCKWIRE_PATH);
const ws = require(WS_PATH);

const MiB = 1024 * 1024;
const KiB = 1024;
const WAIT_MS = 20000;
const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const MASK = Buffer.from([0x12, 0x34, 0x56, 0x78]);

function bounded(promise, label, ms = WAIT_MS) {
  let timer;
  const guard = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out: ${label}`)), ms);
  });
  return Promise.race([promise, guard]).finally(() => clearTimeout(timer));
}

/** One frame (RFC 6455 §5.2), masked when `mask` (client to server). `rsv` is the 3-bit RSV field. */
function frame({ opcode, payload = Buffer.alloc(0), fin = true, rsv = 0, mask = true }) {
  return buildFrame({ opcode, payload, fin, rsv, key: mask ? MASK : null });
}

/** Frames in a byte stream (payloads unmasked); a trailing partial frame is left out. */
const parseFrames = (bytes) => splitFrames(bytes).frames;

/** The status code of the first close frame in `frames` (1005 for an empty one), or null. */
function closeCodeOf(frames) {
  const close = frames.find((f) => f.opcode === 0x8);
  if (close === undefined) return null;
  return close.payload.length >= 2 ? close.payload.readUInt16BE(0) : 1005;
}

/** A raw client offering permessage-deflate; collects the server's bytes after the 101 head. */
async function rawDeflateClient(port) {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => {});
  const peer = { socket, head: '', body: [], closed: false };
  let pending = Buffer.alloc(0);
  const headSeen = new Promise((resolve) => {
    socket.on('data', (chunk) => {
      if (peer.head !== '') return peer.body.push(chunk);
      pending = Buffer.concat([pending, chunk]);
      const end = pending.indexOf('\r\n\r\n');
      if (end === -1) return undefined;
      peer.head = pending.subarray(0, end).toString('latin1');
      peer.body.push(pending.subarray(end + 4));
      return resolve();
    });
  });
  peer.done = new Promise((resolve) => socket.once('close', () => resolve((peer.closed = true))));
  await bounded(new Promise((resolve) => socket.once('connect', resolve)), 'connect');
  socket.write(
    'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      `Sec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n` +
      'Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n'
  );
  await bounded(headSeen, 'upgrade response');
  assert.match(peer.head, /^HTTP\/1\.1 101 /);
  assert.match(peer.head, /\r\nSec-WebSocket-Extensions: permessage-deflate/i);
  peer.frames = () => parseFrames(Buffer.concat(peer.body));
  return peer;
}

/** Write `bytes` in 64 KiB pieces honouring backpressure; stops early if the server hangs up. */
async function writeAll(socket, bytes) {
  for (let at = 0; at < bytes.length && !socket.destroyed; at += 64 * KiB) {
    if (!socket.write(bytes.subarray(at, at + 64 * KiB))) {
      await bounded(new Promise((resolve) => {
        socket.once('drain', resolve);
        socket.once('close', resolve);
      }), 'drain');
    }
  }
}

// --- zip bomb -------------------------------------------------------------------------------------------------

// The server process: prints {"port"} then one JSON line per server-side event.
const SERVER_SCRIPT = `
const lib = require(process.argv[1]);
const wss = new lib.WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: true, maxPayload: Number(process.argv[2]) });
const say = (o) => process.stdout.write(JSON.stringify(o) + '\\n');
wss.on('listening', () => say({ port: wss.address().port }));
wss.on('connection', (socket) => {
  socket.on('message', (data) => { say({ event: 'message', length: data.length }); if (data.length < 65536) socket.send(data); });
  socket.on('error', (error) => say({ event: 'error', code: error.code }));
  socket.on('close', (code) => say({ event: 'close', code }));
});
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
`;

/** Start a server process for `libPath`; `next(pred)` waits for an output line matching `pred`. */
async function serverProcess(libPath, maxPayload) {
  const child = spawn(process.execPath, ['-e', SERVER_SCRIPT, libPath, String(maxPayload)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = [];
  const waiters = [];
  let buffer = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (text) => {
    buffer += text;
    let end;
    while ((end = buffer.indexOf('\n')) !== -1) {
      lines.push(JSON.parse(buffer.slice(0, end)));
      buffer = buffer.slice(end + 1);
      for (const w of waiters.splice(0)) w();
    }
  });
  const next = (pred, label) => bounded(new Promise((resolve) => {
    const check = () => {
      const line = lines.find(pred);
      if (line) resolve(line);
      else waiters.push(check);
    };
    check();
  }), label);
  const { port } = await next((l) => 'port' in l, 'server port');
  const status = () => readFileSync(`/proc/${child.pid}/status`, 'utf8');
  const kib = (field) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status())[1]) * KiB;
  return {
    port,
    lines,
    next,
    rss: () => kib('VmRSS'),
    peak: () => kib('VmHWM'),
    // Linux: writing 5 to clear_refs resets the peak RSS (VmHWM) to the current RSS.
    resetPeak: () => writeFileSync(`/proc/${child.pid}/clear_refs`, '5'),
    stop: () => new Promise((resolve) => {
      child.once('exit', resolve);
      child.stdin.end();
    })
  };
}

/** Warm the server up with a normal compressed round trip, then send `bytes`; returns the wire code and memory. */
async function bombRun(libPath, bytes, maxPayload = MiB) {
  const server = await serverProcess(libPath, maxPayload);
  try {
    const warm = await rawDeflateClient(server.port);
    const hello = deflateRawSync(Buffer.from('x'.repeat(5000)), { finishFlush: constants.Z_SYNC_FLUSH });
    warm.socket.write(frame({ opcode: 0x1, rsv: 4, payload: hello.subarray(0, hello.length - 4) }));
    await server.next((l) => l.event === 'message' && l.length === 5000, 'warm-up echo');
    warm.socket.destroy();
    await server.next((l) => l.event === 'close', 'warm-up close');
    const before = server.rss();
    server.resetPeak();
    const peer = await rawDeflateClient(server.port);
    await writeAll(peer.socket, bytes);
    if (maxPayload > MiB) {
      // Control run: the message is allowed, so the client closes once it has arrived.
      await server.next((l) => l.event === 'message' && l.length > MiB, 'big message');
      peer.socket.write(frame({ opcode: 0x8, payload: Buffer.from([0x03, 0xf1]) }));
    }
    await bounded(peer.done, 'server hangs up', WAIT_MS);
    const events = await server.next((l) => l.event === 'close' && server.lines.filter((x) => x.event === 'close').length === 2, 'close');
    assert.ok(events);
    const serverEvents = server.lines.filter((l) => 'event' in l).slice(2).map((l) => `${l.event}:${l.event === 'message' ? l.length : l.code}`);
    return { wireCode: closeCodeOf(peer.frames()), serverEvents, growth: server.peak() - before };
  } finally {
    await server.stop();
  }
}

test('zip bomb over a socket: 1 GiB of zeros as one message and as 10,000 fragments -> 1009, server peak RSS bounded', { timeout: 60000 }, async (t) => {
  const bomb = await zipBomb(1024);
  assert.ok(bomb.length < 1.1 * MiB, `bomb is ${bomb.length} bytes on the wire`);
  const whole = frame({ opcode: 0x2, rsv: 4, payload: bomb });
  const count = 10000;
  const step = Math.ceil(bomb.length / count);
  const pieces = [];
  for (let i = 0; i < count; i++) {
    const first = i === 0;
    pieces.push(frame({ opcode: first ? 0x2 : 0x0, rsv: first ? 4 : 0, fin: i === count - 1, payload: bomb.subarray(i * step, (i + 1) * step) }));
  }
  const fragmented = Buffer.concat(pieces);
  for (const [shape, bytes] of [['one message', whole], ['10,000 fragments', fragmented]]) {
    const ours = await bombRun(SOCKWIRE_PATH, bytes);
    const reference = await bombRun(WS_PATH, bytes);
    t.diagnostic(`${shape}: server peak RSS growth sockwire ${(ours.growth / MiB).toFixed(1)} MiB, ws ${(reference.growth / MiB).toFixed(1)} MiB`);
    assert.equal(ours.wireCode, 1009, shape);
    assert.deepEqual(ours.serverEvents, ['error:WS_ERR_UNSUPPORTED_MESSAGE_LENGTH', 'close:1006'], shape);
    assert.equal(reference.wireCode, 1009, `ws: ${shape}`);
    assert.deepEqual(reference.serverEvents, ours.serverEvents, `ws: ${shape}`);
    assert.ok(ours.growth < 64 * MiB, `${shape}: server peak RSS grew ${(ours.growth / MiB).toFixed(1)} MiB`);
  }
});

test('control: the same measurement sees a 48 MiB message that maxPayload allows (growth >= 48 MiB)', { timeout: 30000 }, async (t) => {
  const bomb = await zipBomb(48);
  const ours = await bombRun(SOCKWIRE_PATH, frame({ opcode: 0x2, rsv: 4, payload: bomb }), 64 * MiB);
  t.diagnostic(`48 MiB allowed message: server peak RSS growth ${(ours.growth / MiB).toFixed(1)} MiB`);
  assert.deepEqual(ours.serverEvents, [`message:${48 * MiB}`, 'close:1009']);
  assert.ok(ours.growth >= 48 * MiB, `grew ${(ours.growth / MiB).toFixed(1)} MiB`);
});

// --- RSV1 where it is not allowed ---------------------------------------------------------------------------

/** `text` deflated and sync-flushed; a message's last frame drops the 00 00 ff ff tail (RFC 7692 §7.2.1). */
const compressed = (text, last = true) => {
  const out = deflateRawSync(Buffer.from(text), { finishFlush: constants.Z_SYNC_FLUSH });
  return last ? out.subarray(0, out.length - 4) : out;
};

/** Frame sequences (built for a given masking) that each end in one frame with a forbidden RSV bit. */
const BAD_SEQUENCES = [
  ['RSV1 on a ping', (mask) => [frame({ opcode: 0x9, rsv: 4, payload: Buffer.from('p'), mask })], 'WS_ERR_UNEXPECTED_RSV_1'],
  ['RSV1 on a pong', (mask) => [frame({ opcode: 0xa, rsv: 4, mask })], 'WS_ERR_UNEXPECTED_RSV_1'],
  ['RSV1 on a close', (mask) => [frame({ opcode: 0x8, rsv: 4, payload: Buffer.from([0x03, 0xe8]), mask })], 'WS_ERR_UNEXPECTED_RSV_1'],
  ['RSV1 on a ping between fragments of a compressed message', (mask) => [
    frame({ opcode: 0x1, rsv: 4, fin: false, payload: compressed('Hello', false), mask }),
    frame({ opcode: 0x9, rsv: 4, mask })
  ], 'WS_ERR_UNEXPECTED_RSV_1'],
  ['RSV1 on a continuation of a compressed message', (mask) => [
    frame({ opcode: 0x1, rsv: 4, fin: false, payload: compressed('Hel', false), mask }),
    frame({ opcode: 0x0, rsv: 4, payload: compressed('lo'), mask })
  ], 'WS_ERR_UNEXPECTED_RSV_1'],
  ['RSV1 on a continuation of an uncompressed message', (mask) => [
    frame({ opcode: 0x2, fin: false, payload: Buffer.from('ab'), mask }),
    frame({ opcode: 0x0, rsv: 4, payload: compressed('cd'), mask })
  ], 'WS_ERR_UNEXPECTED_RSV_1'],
  ['RSV2 on a compressed data frame', (mask) => [frame({ opcode: 0x1, rsv: 6, payload: compressed('Hello'), mask })], 'WS_ERR_UNEXPECTED_RSV_2_3']
];

/** Server role: a raw client sends `frames` to a `lib` deflate server; wire close code and server events. */
async function serverRole(lib, frames) {
  const wss = new lib.WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: true });
  await bounded(new Promise((resolve) => wss.once('listening', resolve)), 'listening');
  const events = [];
  const closed = new Promise((resolve) => wss.on('connection', (socket) => {
    socket.on('message', (data) => events.push(`message:${data}`));
    socket.on('error', (error) => events.push(`error:${error.code}:${error.message}`));
    socket.on('close', (code) => resolve(events.push(`close:${code}`)));
  }));
  try {
    const peer = await rawDeflateClient(wss.address().port);
    peer.socket.write(Buffer.concat(frames));
    await bounded(closed, 'server close');
    await bounded(peer.done, 'server hangs up');
    return { wire: peer.frames().map((f) => `${f.rsv}:${f.opcode}:${f.payload.toString('hex')}`), events };
  } finally {
    await new Promise((resolve) => wss.close(resolve));
  }
}

/** Client role: a raw server accepts deflate, then sends `frames` (unmasked); wire close code and client events. */
async function clientRole(lib, frames) {
  const received = [];
  const server = net.createServer((socket) => {
    socket.on('error', () => {});
    let head = '';
    socket.on('data', (chunk) => {
      if (!head.includes('\r\n\r\n')) {
        head += chunk.toString('latin1');
        if (!head.includes('\r\n\r\n')) return;
        const key = /sec-websocket-key:\s*(\S+)/i.exec(head)[1];
        const accept = createHash('sha1').update(key + GUID).digest('base64');
        socket.write(
          'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
            `Sec-WebSocket-Accept: ${accept}\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n`
        );
        socket.write(Buffer.concat(frames));
        return;
      }
      received.push(chunk);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const client = new lib.WebSocket(`ws://127.0.0.1:${server.address().port}/`);
    const events = [];
    client.on('message', (data) => events.push(`message:${data}`));
    client.on('error', (error) => events.push(`error:${error.code}:${error.message}`));
    await bounded(new Promise((resolve) => client.on('close', (code) => resolve(events.push(`close:${code}`)))), 'client close');
    // The client masks its frames; the parser unmasks them.
    return { wire: parseFrames(Buffer.concat(received)).map((f) => `${f.rsv}:${f.opcode}:${f.payload.toString('hex')}`), events };
  } finally {
    server.close();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

for (const [name, build, code] of BAD_SEQUENCES) {
  const message = code === 'WS_ERR_UNEXPECTED_RSV_1' ? 'Invalid WebSocket frame: RSV1 must be clear' : 'Invalid WebSocket frame: RSV2 and RSV3 must be clear';
  test(`deflate negotiated, ${name}: close 1002 on the wire, ${code}, both roles, same as ws`, { timeout: 15000 }, async () => {
    const ours = await serverRole(sockwire, build(true));
    assert.deepEqual(ours.wire, ['0:8:03ea'], 'server role: exactly one close frame, 1002, no RSV bit');
    assert.deepEqual(ours.events, [`error:${code}:${message}`, 'close:1006'], 'server role events');
    assert.deepEqual(await serverRole(ws, build(true)), ours, 'server role: ws does the same');
    const client = await clientRole(sockwire, build(false));
    assert.deepEqual(client.wire, ['0:8:03ea'], 'client role: exactly one close frame, 1002');
    assert.deepEqual(client.events, [`error:${code}:${message}`, 'close:1006'], 'client role events');
    assert.deepEqual(await clientRole(ws, build(false)), client, 'client role: ws does the same');
  });
}

test('control: the same sequences without the forbidden bit are accepted (the raw peers are sound)', { timeout: 15000 }, async () => {
  const good = [
    frame({ opcode: 0x1, rsv: 4, fin: false, payload: compressed('Hel', false) }),
    frame({ opcode: 0x9, payload: Buffer.from('p') }),
    frame({ opcode: 0x0, payload: compressed('lo') }),
    frame({ opcode: 0x8, payload: Buffer.from([0x03, 0xe8]) })
  ];
  const ours = await serverRole(sockwire, good);
  assert.deepEqual(ours.events, ['message:Hello', 'close:1000']);
  assert.deepEqual(ours.wire, ['0:10:70', '0:8:03e8']);
});
