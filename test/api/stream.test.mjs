// SPEC §8 createWebSocketStream: a Duplex over a WebSocket. Every scenario runs on two targets: the library under
// test (impl: ws or sockwire), and ws's WebSocket wrapped by sockwire's dist/cjs/api/stream.js, which checks the
// stream code on a known-good socket. Event sequences are compared exactly.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { test } from 'node:test';
import impl, { implName } from '../helpers/impl.mjs';
import { once, delay, within } from '../helpers/client-events.mjs';
import { startAcceptingServer, startRawServer } from '../helpers/client-raw-server.mjs';

const require = createRequire(import.meta.url);
const wsLib = require('ws');
const { createWebSocketStream: sockwireStream } = require('../../dist/cjs/api/stream.js');

const T = { timeout: 10000 };

const targets = [
  {
    name: implName,
    WebSocket: impl.WebSocket,
    WebSocketServer: impl.WebSocketServer,
    createWebSocketStream: impl.createWebSocketStream
  },
  {
    name: 'ws+sockwire-stream',
    WebSocket: wsLib.WebSocket,
    WebSocketServer: wsLib.WebSocketServer,
    createWebSocketStream: sockwireStream
  }
];

/** A short printable form of a chunk, error or close reason, keeping its type visible. */
function show(value) {
  if (Buffer.isBuffer(value)) return `buffer:${value.toString()}`;
  if (value instanceof ArrayBuffer) return `arraybuffer:${Buffer.from(value).toString()}`;
  if (value instanceof Error) return `error:${value.message}`;
  if (typeof value === 'string') return `string:${value}`;
  return String(value);
}

/** Records the stream events of `duplex` into `log` in order, as strings. */
function watch(duplex, log) {
  for (const name of ['data', 'end', 'finish', 'error', 'close']) {
    duplex.on(name, (value) => log.push(value === undefined ? name : `${name} ${show(value)}`));
  }
}

/** Resolves when `duplex` emits 'close' (bounded). */
function streamClosed(duplex) {
  return once(duplex, 'close', 5000);
}

/**
 * Runs `body(ws, url)` with a server on 127.0.0.1:0 whose connections go to `onConnection` and a client `ws` to it.
 * Every socket is terminated and the server closed afterwards, even when an assertion fails.
 */
async function withPair(target, onConnection, body) {
  const wss = new target.WebSocketServer({ port: 0, host: '127.0.0.1' });
  await once(wss, 'listening');
  wss.on('connection', onConnection);
  const ws = new target.WebSocket(`ws://127.0.0.1:${wss.address().port}`);
  // The stream reports errors; the socket's own 'error' is also listened to so a late one cannot crash the run.
  ws.on('error', () => {});
  try {
    await body(ws);
  } finally {
    ws.terminate();
    for (const client of wss.clients) client.terminate();
    await new Promise((resolve) => wss.close(() => resolve()));
  }
}

/** Server side that echoes every message with its own type and records what it saw. */
function echoServer(seen) {
  return (peer) => {
    peer.on('message', (data, isBinary) => {
      seen.push(`${isBinary ? 'binary' : 'text'}:${data.toString()}`);
      peer.send(data, { binary: isBinary });
    });
    peer.on('close', (code, reason) => seen.push(`close ${code} ${reason.toString()}`));
  };
}

for (const target of targets) {
  const name = target.name;
  const create = target.createWebSocketStream;

  test(`${name}: echo through a pipeline; ending the source closes the socket with 1005`, T, async () => {
    const seen = [];
    const log = [];
    const received = [];
    await withPair(target, echoServer(seen), async (ws) => {
      const duplex = create(ws);
      watch(duplex, log);
      const sink = new Writable({
        write(chunk, _encoding, callback) {
          received.push(show(chunk));
          callback();
        }
      });
      await within(pipeline(Readable.from(['x', 'y', 'z']), duplex, sink), 5000, 'pipeline');
      assert.equal(ws.readyState, 3);
    });
    assert.deepEqual(received, ['buffer:x', 'buffer:y', 'buffer:z']);
    assert.deepEqual(seen, ['binary:x', 'binary:y', 'binary:z', 'close 1005 ']);
    assert.deepEqual(log, ['data buffer:x', 'data buffer:y', 'data buffer:z', 'finish', 'end', 'close']);
  });

  test(
    `${name}: objectMode and writableObjectMode are forced off; readableObjectMode and decodeStrings apply`,
    T,
    async () => {
      await withPair(
        target,
        () => {},
        async (ws) => {
          const forced = create(ws, { objectMode: true, writableObjectMode: true, autoDestroy: true, emitClose: true });
          assert.equal(forced.readableObjectMode, false);
          assert.equal(forced.writableObjectMode, false);
          assert.equal(forced.allowHalfOpen, true);
          const chosen = create(ws, { readableObjectMode: true, allowHalfOpen: false, highWaterMark: 5 });
          assert.equal(chosen.readableObjectMode, true);
          assert.equal(chosen.writableObjectMode, false);
          assert.equal(chosen.allowHalfOpen, false);
          assert.equal(chosen.writableHighWaterMark, 5);
          await once(ws, 'open');
        }
      );
    }
  );

  test(`${name}: text and binary messages in byte mode and in readableObjectMode`, T, async () => {
    const seen = [];
    const bytes = [];
    const objects = [];
    await withPair(target, echoServer(seen), async (ws) => {
      const byteStream = create(ws);
      byteStream.on('data', (chunk) => bytes.push(show(chunk)));
      const objectStream = create(ws, { readableObjectMode: true, decodeStrings: false });
      objectStream.on('data', (chunk) => objects.push(show(chunk)));
      // With decodeStrings off a string is written as a text message; Buffers always go as binary.
      objectStream.write('txt');
      objectStream.write(Buffer.from('bin'));
      await within(
        (async () => {
          while (objects.length < 2) await once(objectStream, 'data', 5000);
        })(),
        5000,
        'two echoes'
      );
    });
    assert.deepEqual(seen.slice(0, 2), ['text:txt', 'binary:bin']);
    assert.deepEqual(bytes, ['buffer:txt', 'buffer:bin']);
    assert.deepEqual(objects, ['string:txt', 'buffer:bin']);
  });

  test(`${name}: binary chunks follow binaryType`, T, async () => {
    const log = [];
    const onConnection = (peer) => {
      peer.send('t1');
      peer.send(Buffer.from('b1'));
      peer.close(4000, 'r');
    };
    await withPair(target, onConnection, async (ws) => {
      ws.binaryType = 'arraybuffer';
      const duplex = create(ws, { readableObjectMode: true });
      watch(duplex, log);
      await once(duplex, 'end', 5000);
      duplex.end();
      await streamClosed(duplex);
    });
    assert.deepEqual(log, ['data string:t1', 'data arraybuffer:b1', 'end', 'finish', 'close']);
  });

  test(`${name}: a full readable buffer pauses the socket and reading resumes it`, T, async () => {
    const COUNT = 40;
    const SIZE = 1024;
    const chunks = [];
    const onConnection = (peer) => {
      for (let i = 0; i < COUNT; i++) peer.send(Buffer.alloc(SIZE, i));
      // Close only after the client drained its buffer. Closing at once let the whole exchange finish while the
      // client was still waiting (a busy machine); resume() on a CLOSED socket does nothing (ws too), so isPaused
      // stayed true and the check below failed without anything being wrong.
      peer.once('message', () => peer.close(1000));
    };
    await withPair(target, onConnection, async (ws) => {
      const duplex = create(ws, { highWaterMark: 2 * SIZE });
      // Nobody reads yet: once the buffer passes the high-water mark the socket must be paused.
      for (let i = 0; i < 200 && !ws.isPaused; i++) await delay(10);
      assert.equal(ws.isPaused, true);
      assert.ok(duplex.readableLength >= 2 * SIZE, `buffered ${duplex.readableLength}`);
      // Emptying the buffer calls _read synchronously, which must resume the socket.
      for (let i = 0; i <= COUNT; i++) {
        const chunk = duplex.read();
        if (chunk === null) break;
        chunks.push(chunk);
      }
      assert.equal(ws.isPaused, false);
      ws.send('drained');
      // A slow reader for the rest: each chunk is acknowledged on a later tick, so pushes keep hitting the limit.
      const sink = new Writable({
        highWaterMark: 1,
        write(chunk, _encoding, callback) {
          chunks.push(chunk);
          setImmediate(callback);
        }
      });
      await within(pipeline(duplex, sink), 5000, 'pipeline');
    });
    const all = Buffer.concat(chunks);
    assert.equal(all.length, COUNT * SIZE);
    for (let i = 0; i < COUNT; i++) assert.equal(all[i * SIZE], i, `message ${i}`);
  });

  test(`${name}: the peer's close ends the readable side; end() then finishes and closes`, T, async () => {
    const log = [];
    const onConnection = (peer) => {
      peer.send('x');
      peer.close(4001);
    };
    await withPair(target, onConnection, async (ws) => {
      const duplex = create(ws);
      watch(duplex, log);
      await once(duplex, 'end', 5000);
      await delay(20);
      log.push(`destroyed ${duplex.destroyed}`);
      duplex.end();
      await streamClosed(duplex);
      log.push(`destroyed ${duplex.destroyed}`);
    });
    assert.deepEqual(log, ['data buffer:x', 'end', 'destroyed false', 'finish', 'close', 'destroyed true']);
  });

  test(`${name}: with allowHalfOpen false the peer's close ends both sides`, T, async () => {
    const log = [];
    const onConnection = (peer) => {
      peer.send('x');
      peer.close(4001);
    };
    await withPair(target, onConnection, async (ws) => {
      const duplex = create(ws, { allowHalfOpen: false });
      watch(duplex, log);
      await streamClosed(duplex);
    });
    assert.deepEqual(log, ['data buffer:x', 'end', 'finish', 'close']);
  });

  test(`${name}: destroy() terminates the socket: the peer sees 1006`, T, async () => {
    const log = [];
    const peerClosed = [];
    const onConnection = (peer) => peer.on('close', (code, reason) => peerClosed.push([code, reason.toString()]));
    await withPair(target, onConnection, async (ws) => {
      await once(ws, 'open');
      ws.on('close', (code) => log.push(`ws close ${code}`));
      const duplex = create(ws);
      watch(duplex, log);
      duplex.destroy();
      log.push('destroy returned');
      await streamClosed(duplex);
      for (let i = 0; i < 200 && peerClosed.length === 0; i++) await delay(10);
    });
    assert.deepEqual(log, ['destroy returned', 'ws close 1006', 'close']);
    assert.deepEqual(peerClosed, [[1006, '']]);
  });

  test(`${name}: destroy(error) emits the error, then close`, T, async () => {
    const log = [];
    await withPair(
      target,
      () => {},
      async (ws) => {
        await once(ws, 'open');
        const duplex = create(ws);
        watch(duplex, log);
        duplex.destroy(new Error('boom'));
        await streamClosed(duplex);
        log.push(`readyState ${ws.readyState}`);
      }
    );
    assert.deepEqual(log, ['error error:boom', 'close', 'readyState 3']);
  });

  test(`${name}: writes made while connecting wait for open`, T, async () => {
    const seen = [];
    const log = [];
    await withPair(target, echoServer(seen), async (ws) => {
      assert.equal(ws.readyState, 0);
      const duplex = create(ws);
      watch(duplex, log);
      duplex.write('1');
      duplex.write('2');
      duplex.end();
      await streamClosed(duplex);
    });
    assert.deepEqual(seen, ['binary:1', 'binary:2', 'close 1005 ']);
    assert.deepEqual(log, ['data buffer:1', 'data buffer:2', 'finish', 'end', 'close']);
  });

  test(`${name}: end() while connecting waits for open, then closes with 1005`, T, async () => {
    const seen = [];
    const log = [];
    await withPair(target, echoServer(seen), async (ws) => {
      const duplex = create(ws);
      watch(duplex, log);
      duplex.end();
      await streamClosed(duplex);
    });
    assert.deepEqual(seen, ['close 1005 ']);
    assert.deepEqual(log, ['finish', 'end', 'close']);
  });

  test(`${name}: destroy() while connecting reports the aborted connection`, T, async () => {
    const log = [];
    await withPair(
      target,
      () => {},
      async (ws) => {
        const duplex = create(ws);
        watch(duplex, log);
        duplex.destroy();
        await streamClosed(duplex);
        log.push(`readyState ${ws.readyState}`);
      }
    );
    assert.deepEqual(log, [
      'error error:WebSocket was closed before the connection was established',
      'close',
      'readyState 3'
    ]);
  });

  test(`${name}: destroy(error) after the socket closed still emits the error, then close`, T, async () => {
    const log = [];
    await withPair(
      target,
      (peer) => peer.close(4002),
      async (ws) => {
        const duplex = create(ws);
        watch(duplex, log);
        await once(duplex, 'end', 5000);
        assert.equal(ws.readyState, 3);
        duplex.destroy(new Error('late'));
        await streamClosed(duplex);
      }
    );
    assert.deepEqual(log, ['end', 'error error:late', 'close']);
  });

  test(`${name}: a write after the socket closed fails the write and the stream`, T, async () => {
    const log = [];
    await withPair(
      target,
      (peer) => peer.close(1000),
      async (ws) => {
        const duplex = create(ws);
        watch(duplex, log);
        await once(ws, 'close', 5000);
        duplex.write('late', (error) => log.push(`write callback ${show(error)}`));
        await streamClosed(duplex);
      }
    );
    const message = 'error:WebSocket is not open: readyState 3 (CLOSED)';
    assert.deepEqual(log, ['end', `write callback ${message}`, `error ${message}`, 'close']);
  });

  test(`${name}: a write after end() is an error that tears the connection down`, T, async () => {
    const log = [];
    await withPair(
      target,
      () => {},
      async (ws) => {
        await once(ws, 'open');
        ws.on('close', (code) => log.push(`ws close ${code}`));
        const duplex = create(ws);
        watch(duplex, log);
        duplex.end();
        duplex.write('x');
        await streamClosed(duplex);
      }
    );
    assert.deepEqual(log, ['error error:write after end', 'ws close 1006', 'close']);
  });

  // A protocol error needs a hand-written peer: after one text frame "A", a frame with reserved opcode 3. The peer
  // answers the client's close frame (RFC 6455 §5.5.1), so the socket must wait for it rather than be terminated.
  test(`${name}: a protocol error from the peer destroys the stream with that error`, T, async () => {
    const log = [];
    const raw = await startAcceptingServer(async ({ socket, frames }) => {
      socket.write(Buffer.from([0x81, 0x01, 0x41, 0x83, 0x00]));
      try {
        const [close] = await frames.take(1);
        log.push(`peer got opcode ${close.opcode} code ${close.payload.readUInt16BE(0)}`);
        socket.end(Buffer.from([0x88, 0x02, 0x03, 0xea]));
      } catch {
        socket.destroy();
      }
    });
    const ws = new target.WebSocket(raw.url);
    try {
      ws.on('close', (code) => log.push(`ws close ${code}`));
      const duplex = create(ws);
      watch(duplex, log);
      duplex.on('error', (error) => log.push(`code ${error.code}`));
      await streamClosed(duplex);
    } finally {
      ws.terminate();
      await raw.close();
    }
    assert.deepEqual(log, [
      'data buffer:A',
      'peer got opcode 8 code 1002',
      'ws close 1006',
      'error error:Invalid WebSocket frame: invalid opcode 3',
      'code WS_ERR_INVALID_OPCODE',
      'close'
    ]);
  });

  test(`${name}: a connection that cannot be made destroys the stream with the connect error`, T, async () => {
    // Take a free port, then close it so the connection is refused.
    const raw = await startRawServer(() => {});
    const { port } = raw;
    await raw.close();
    const log = [];
    const ws = new target.WebSocket(`ws://127.0.0.1:${port}`);
    const duplex = create(ws);
    watch(duplex, log);
    duplex.on('error', (error) => log.push(`code ${error.code}`));
    duplex.write('early');
    await streamClosed(duplex);
    assert.deepEqual(log, [`error error:connect ECONNREFUSED 127.0.0.1:${port}`, 'code ECONNREFUSED', 'close']);
    assert.equal(ws.readyState, 3);
  });
}
