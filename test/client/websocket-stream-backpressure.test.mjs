// WebSocketStream back-pressure, both ways, with real sockets. Reading: a 100 MB transfer read slowly by a child
// process (so its memory is its own) never holds much more than the high-water mark plus one message, and the
// server is held back by TCP. Writing: write() promises stop resolving while the peer does not read.
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { WebSocketStream, startServer, poll, delay } from './helpers.mjs';

const MiB = 1024 * 1024;

test('a 100 MB slow read: the socket is paused, the server held back, memory bounded by the high-water mark', { timeout: 120000 }, async (t) => {
  const messageSize = MiB;
  const total = 100;
  const highWaterMark = MiB;
  const wss = await startServer(t, { perMessageDeflate: false });
  let sent = 0;
  let maxAhead = 0;
  wss.on('connection', (ws) => {
    const payload = Buffer.alloc(messageSize, 0x61);
    // The next message goes once the previous one reached the kernel, so the server itself buffers one message.
    const sendNext = () => {
      if (sent === total) return ws.close(1000, 'all sent');
      sent++;
      ws.send(payload, { binary: true }, (error) => !error && sendNext());
    };
    sendNext();
    ws.on('message', (data) => {
      const read = Number(String(data).split(' ')[1]);
      maxAhead = Math.max(maxAhead, sent - read);
    });
  });
  const child = fileURLToPath(new URL('./fixtures/slow-reader.mjs', import.meta.url));
  const stdout = await new Promise((resolve, reject) =>
    execFile(process.execPath, ['--expose-gc', child, `ws://127.0.0.1:${wss.address().port}`, String(highWaterMark), '5'], { timeout: 100000 }, (error, out, err) =>
      error ? reject(new Error(`${error.message}\n${err}`)) : resolve(out)
    )
  );
  const report = JSON.parse(stdout);
  assert.equal(report.messages, total);
  assert.equal(report.bytes, total * messageSize);
  assert.deepEqual(report.closed, { closeCode: 1000, reason: 'all sent' });
  const held = report.peak.arrayBuffers - report.baseline.arrayBuffers;
  // What the reading process may hold: the stream's queue (the socket is paused once it reaches the high-water mark
  // with one message), the next message's partial bytes (under one message, plus the rest of the 64 KiB read its
  // first bytes came in, which ended the previous message), the paused TCP socket's own read buffer (its
  // high-water mark plus the 64 KiB read that filled it), and one 8 KiB Buffer pool slab (the acknowledgements).
  const READ = 64 * 1024;
  const bound = highWaterMark + messageSize + READ + (report.socketHighWaterMark + READ) + 8 * 1024;
  assert.ok(held <= bound, `held ${held} bytes, bound ${bound}`);
  // Without back-pressure the server would have run all 100 messages ahead; TCP buffers allow some.
  assert.ok(maxAhead < 40, `server ran ${maxAhead} messages ahead of the reader`);
  t.diagnostic(
    `100 MiB slow read (1 MiB messages, high-water mark 1 MiB): peak ArrayBuffer memory ${(held / MiB).toFixed(3)} MiB above baseline (bound ${(bound / MiB).toFixed(3)}), ` +
      `peak RSS ${(report.peak.rss / MiB).toFixed(1)} MiB, server at most ${maxAhead} messages ahead of the reader`
  );
});

test('writer.write() resolves only as the socket accepts frames: a peer that stops reading stalls the writer', { timeout: 60000 }, async (t) => {
  const wss = await startServer(t, { perMessageDeflate: false });
  let server;
  let receivedBytes = 0;
  wss.on('connection', (ws) => {
    server = ws;
    ws.pause();
    ws.on('message', (data) => (receivedBytes += data.length));
  });
  const stream = new WebSocketStream(`ws://127.0.0.1:${wss.address().port}`, { perMessageDeflate: false });
  const { writable } = await stream.opened;
  const writer = writable.getWriter();
  const total = 64;
  const chunk = new Uint8Array(MiB);
  let resolved = 0;
  const writes = [];
  for (let i = 0; i < total; i++) writes.push(writer.write(chunk).then(() => resolved++));
  // The writable's own queue holds what the socket has not accepted: the writer sees back-pressure.
  assert.ok(writer.desiredSize < 0);
  // Let the socket take what the kernel buffers can hold; then progress stops while the server does not read.
  let last = -1;
  while (last !== resolved) {
    last = resolved;
    await delay(200);
  }
  assert.ok(resolved < total, `${resolved} of ${total} writes resolved while the peer was paused`);
  const stalledAt = resolved;
  server.resume();
  await Promise.all(writes);
  await poll(() => receivedBytes === total * MiB, 'everything received');
  t.diagnostic(`write back-pressure: ${stalledAt} of ${total} 1 MiB writes resolved while the peer did not read`);
  stream.close();
  await stream.closed;
});
