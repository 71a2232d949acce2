// HTTP/2 flow-control windows (RFC 9113 §6.9) that sockwire sets, read off the wire by raw peers: the server's
// SETTINGS_INITIAL_WINDOW_SIZE (0x4) and its connection WINDOW_UPDATE on stream 0, in `server` mode and port mode,
// with the default `http2Windows`, a custom one, and `false` (Node's own 64 KiB windows); the same two values in what
// the client sends; and the RangeError for windows outside 65535 … 2^31−1.
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http2 from 'node:http2';
import net from 'node:net';
import { sockwire } from '../helpers/h2-fixture.mjs';
import { FLAG, TYPE, frame, rawH2 } from '../helpers/h2-frames.mjs';

/** RFC 9113 §6.5.2 / §6.9.2: SETTINGS_INITIAL_WINDOW_SIZE and the initial window of both streams and connection. */
const INITIAL_WINDOW_SIZE = 0x4;
const NODE_DEFAULT_WINDOW = 65535;
const DEFAULTS = { stream: 1024 * 1024, session: 8 * 1024 * 1024 };
const CUSTOM = { stream: 256 * 1024, session: 3 * 1024 * 1024 };

const cleanups = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The id → value map of a SETTINGS payload (RFC 9113 §6.5.1). */
function settingsOf(payload) {
  const values = new Map();
  for (let i = 0; i + 6 <= payload.length; i += 6) values.set(payload.readUInt16BE(i), payload.readUInt32BE(i + 2));
  return values;
}

/** The sum of the WINDOW_UPDATE increments on stream 0 (RFC 9113 §6.9). */
function connectionIncrement(frames) {
  return frames
    .filter((f) => f.type === TYPE.WINDOW_UPDATE && f.streamId === 0)
    .reduce((sum, f) => sum + (f.payload.readUInt32BE(0) & 0x7fffffff), 0);
}

/**
 * What a sockwire server on `port` advertises to a fresh raw peer: its SETTINGS and the connection window after
 * everything it sent before answering our PING (a PING ACK comes after the frames queued before it).
 */
async function serverWindows(port) {
  const raw = await rawH2(port);
  cleanups.push(() => raw.close());
  raw.send(frame(TYPE.PING, 0, 0, Buffer.from('windows!')));
  await raw.until((frames) => frames.some((f) => f.type === TYPE.PING && f.flags & FLAG.ACK), 'the PING ACK');
  const settings = raw.frames.find((f) => f.type === TYPE.SETTINGS && !(f.flags & FLAG.ACK));
  return { stream: settingsOf(settings.payload).get(INITIAL_WINDOW_SIZE) ?? NODE_DEFAULT_WINDOW, session: NODE_DEFAULT_WINDOW + connectionIncrement(raw.frames) };
}

async function serverMode(http2Windows) {
  const server = http2.createServer();
  const wss = new sockwire.WebSocketServer(http2Windows === undefined ? { server } : { server, http2Windows });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  cleanups.push(() => wss.close());
  return server.address().port;
}

async function portMode(http2Windows) {
  const options = { port: 0, host: '127.0.0.1', http2: true };
  const wss = new sockwire.WebSocketServer(http2Windows === undefined ? options : { ...options, http2Windows });
  await once(wss, 'listening');
  cleanups.push(() => new Promise((resolve) => wss.close(resolve)));
  return wss.address().port;
}

describe('server windows', () => {
  for (const [mode, start] of [['server mode', serverMode], ['port mode', portMode]]) {
    test(`${mode}: 1 MiB per stream and 8 MiB per connection by default`, async () => {
      assert.deepEqual(await serverWindows(await start()), DEFAULTS);
    });
    test(`${mode}: http2Windows sets both`, async () => {
      assert.deepEqual(await serverWindows(await start(CUSTOM)), CUSTOM);
    });
    test(`${mode}: http2Windows: false leaves Node's 64 KiB windows`, async () => {
      assert.deepEqual(await serverWindows(await start(false)), { stream: NODE_DEFAULT_WINDOW, session: NODE_DEFAULT_WINDOW });
    });
  }
});

describe('client windows', () => {
  /** What a sockwire client sends first to a raw h2c server: SETTINGS and its connection window. */
  async function clientWindows(http2Windows) {
    const frames = [];
    let seen;
    const done = new Promise((resolve) => (seen = resolve));
    const sockets = new Set();
    const server = net.createServer((socket) => {
      sockets.add(socket);
      let buffered = Buffer.alloc(0);
      let preface = true;
      socket.on('error', () => {});
      socket.on('data', (chunk) => {
        buffered = Buffer.concat([buffered, chunk]);
        if (preface && buffered.length >= 24) {
          buffered = buffered.subarray(24);
          preface = false;
        }
        if (preface) return;
        while (buffered.length >= 9 && buffered.length >= 9 + buffered.readUIntBE(0, 3)) {
          const length = buffered.readUIntBE(0, 3);
          frames.push({ type: buffered[3], flags: buffered[4], streamId: buffered.readUInt32BE(5) & 0x7fffffff, payload: buffered.subarray(9, 9 + length) });
          buffered = buffered.subarray(9 + length);
        }
        // Without windows the client sends no WINDOW_UPDATE: its SETTINGS is then all there is to see.
        const settings = frames.some((f) => f.type === TYPE.SETTINGS);
        if (settings && (http2Windows === false || connectionIncrement(frames) > 0)) seen();
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    cleanups.push(() => {
      // The client still waits for our SETTINGS: cut its connection.
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(resolve));
    });
    const options = { http2: 'prior-knowledge', ...(http2Windows === undefined ? {} : { http2Windows }) };
    const ws = new sockwire.WebSocket(`ws://127.0.0.1:${server.address().port}/`, options);
    ws.on('error', () => {});
    cleanups.push(() => ws.terminate());
    await done;
    const settings = frames.find((f) => f.type === TYPE.SETTINGS);
    return { stream: settingsOf(settings.payload).get(INITIAL_WINDOW_SIZE) ?? NODE_DEFAULT_WINDOW, session: NODE_DEFAULT_WINDOW + connectionIncrement(frames) };
  }

  test('1 MiB per stream and 8 MiB per connection by default', async () => {
    assert.deepEqual(await clientWindows(), DEFAULTS);
  });
  test('http2Windows sets both', async () => {
    assert.deepEqual(await clientWindows(CUSTOM), CUSTOM);
  });
  test("http2Windows: false leaves Node's stream window", async () => {
    assert.equal((await clientWindows(false)).stream, NODE_DEFAULT_WINDOW);
  });
});

test('windows outside 65535 … 2^31−1, or not integers, are a RangeError on both sides', () => {
  const message = /^The "http2Windows\.(stream|session)" option must be an integer from 65535 to 2147483647$/;
  for (const bad of [{ stream: 65534 }, { session: 2 ** 31 }, { stream: 65536.5 }, { session: Number.NaN }]) {
    assert.throws(() => new sockwire.WebSocketServer({ noServer: true, http2Windows: bad }), { name: 'RangeError', message });
    assert.throws(() => new sockwire.WebSocket('ws://127.0.0.1:1/', { http2: 'prior-knowledge', http2Windows: bad }), { name: 'RangeError', message });
  }
});
