// Issue 8 rows 6, 7 and 8: permessage-deflate abuse (RFC 7692). A 1 GiB zip bomb over a real loopback connection,
// bad extension parameters in both roles, and many connections negotiating maximal windows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import http from 'node:http';
import { constants, deflateRawSync, inflateRawSync } from 'node:zlib';

import { bounded, frame, measurePeak, MiB, rawClient, sleep, sockwire, startServer, tick, upgradeRequest, writeChunked, ws } from '../helpers/hostile-peer.mjs';
import { zipBomb } from '../helpers/zip-bomb.mjs';

const DEFLATE_REQUEST = upgradeRequest({ headers: { 'Sec-WebSocket-Extensions': 'permessage-deflate; client_max_window_bits' } });

/** Send a compressed message (as given frames) to a fresh deflate server; report wire code, events, RSS, CPU. */
async function bombSession(lib, frames, maxPayload) {
  const server = await startServer(lib, { perMessageDeflate: true, maxPayload });
  try {
    const peer = await rawClient(server.port, { request: DEFLATE_REQUEST });
    assert.match(peer.head, /Sec-WebSocket-Extensions: permessage-deflate/);
    const cpuBefore = process.cpuUsage();
    const { rssGrowth } = await measurePeak(async () => {
      await writeChunked(peer.socket, frames, 64 * 1024);
      await peer.waitClosed(20000);
      await bounded(server.peers[0].closed, 'server close event', 20000);
    });
    const cpu = process.cpuUsage(cpuBefore);
    await tick();
    return { wireCode: peer.closeCode(), events: server.peers[0].events, rssGrowth, cpuMs: (cpu.user + cpu.system) / 1000 };
  } finally {
    await server.stop();
  }
}

test('row 6: 1 GiB of zeros compressed, as one message and as 10,000 fragments: 1009, RSS ≤ maxPayload + 16 MiB', { timeout: 60000 }, async (t) => {
  const bomb = await zipBomb(1024);
  assert.ok(bomb.length < 1.1 * MiB, `bomb is ${bomb.length} bytes`);
  const whole = frame({ opcode: 0x2, rsv: 4, payload: bomb });
  const pieces = [];
  const count = 10000;
  const step = Math.ceil(bomb.length / count);
  for (let i = 0; i < count; i++) {
    pieces.push(frame({ opcode: i === 0 ? 0x2 : 0x0, rsv: i === 0 ? 4 : 0, fin: i === count - 1, payload: bomb.subarray(i * step, (i + 1) * step) }));
  }
  const fragmented = Buffer.concat(pieces);
  const maxPayload = MiB;
  for (const [shape, bytes] of [['one message', whole], ['10,000 fragments', fragmented]]) {
    const ours = await bombSession(sockwire, bytes, maxPayload);
    t.diagnostic(`${shape}: sockwire RSS +${(ours.rssGrowth / MiB).toFixed(1)} MiB, CPU ${ours.cpuMs.toFixed(0)} ms (includes the raw peer)`);
    assert.equal(ours.wireCode, 1009, shape);
    assert.deepEqual(ours.events, ['error:WS_ERR_UNSUPPORTED_MESSAGE_LENGTH', 'close:1006'], shape);
    assert.ok(ours.rssGrowth <= maxPayload + 16 * MiB, `${shape}: RSS grew ${ours.rssGrowth} bytes`);
    const reference = await bombSession(ws, bytes, maxPayload);
    assert.equal(reference.wireCode, 1009, `ws: ${shape}`);
    assert.deepEqual(reference.events, ours.events, `ws: ${shape}`);
  }
});

/** Send a raw upgrade with this extension offer to a sockwire and a ws deflate server; both responses. */
async function offerTo(offer, serverDeflate = true) {
  const out = [];
  for (const lib of [sockwire, ws]) {
    const server = await startServer(lib, { perMessageDeflate: serverDeflate });
    try {
      const peer = await rawClient(server.port, { request: upgradeRequest({ headers: { 'Sec-WebSocket-Extensions': offer } }), expectUpgrade: false });
      await bounded(peer.headSeen, 'response head');
      out.push(peer.head);
      peer.socket.destroy();
    } finally {
      await server.stop();
    }
  }
  return out;
}

const BAD_OFFERS = [
  'permessage-deflate; server_max_window_bits=7',
  'permessage-deflate; server_max_window_bits=16',
  'permessage-deflate; server_max_window_bits=abc',
  'permessage-deflate; server_max_window_bits',
  'permessage-deflate; client_max_window_bits=0',
  'permessage-deflate; server_no_context_takeover=1',
  'permessage-deflate; client_no_context_takeover=true',
  'permessage-deflate; server_no_context_takeover; server_no_context_takeover',
  'permessage-deflate; client_max_window_bits=10; client_max_window_bits=11',
  'permessage-deflate; x-unknown=1',
  'permessage-deflate; server_max_window_bits="1 0"',
  'permessage-deflate; =15',
  'permessage-deflate;; server_no_context_takeover'
];

test('row 7: bad permessage-deflate offers are refused with ws\'s exact response (server role)', { timeout: 30000 }, async () => {
  const mismatches = [];
  for (const offer of BAD_OFFERS) {
    const [ours, reference] = await offerTo(offer);
    assert.ok(ours.endsWith('\r\n\r\n'), offer);
    if (ours !== reference) mismatches.push(`${offer} → sockwire ${ours.split('\r\n')[0]}, ws ${reference.split('\r\n')[0]}`);
    else if (!reference.startsWith('HTTP/1.1 400 Bad Request\r\n')) mismatches.push(`${offer} → accepted by both: ${ours}`);
  }
  assert.deepEqual(mismatches, []);
  // An acceptable fallback after a bad offer is taken, like ws does.
  const [ours, reference] = await offerTo('permessage-deflate; server_max_window_bits=7, permessage-deflate; client_max_window_bits');
  assert.equal(ours, reference);
});

// A deliberate difference (README "Differences from ws"): RFC 7692 §7.1.2 values are decimal without leading zeros.
// ws accepts "08"; sockwire refuses the offer with the same 400 it gives any other invalid parameter.
test('row 7: a window-bits value with a leading zero is refused (ws accepts it)', { timeout: 30000 }, async () => {
  const [ours, reference] = await offerTo('permessage-deflate; client_max_window_bits=08');
  assert.ok(ours.startsWith('HTTP/1.1 400 Bad Request\r\n'), ours);
  assert.ok(ours.includes('Content-Length: 55\r\n'), ours);
  assert.ok(reference.startsWith('HTTP/1.1 101 '), reference);
});

/** A raw HTTP server answering every upgrade with `extraHead` lines; returns the client's error and close code. */
async function badServerResponse(lib, extraHead, clientOptions) {
  const server = http.createServer();
  const sockets = new Set();
  server.on('upgrade', (req, socket) => {
    // Upgraded sockets are no longer the HTTP server's: track them so the test can drop them.
    sockets.add(socket);
    const value = createHash('sha1').update(`${req.headers['sec-websocket-key']}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    socket.on('error', () => {});
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${value}\r\n${extraHead}\r\n`);
  });
  server.listen(0, '127.0.0.1');
  await bounded(new Promise((resolve) => server.once('listening', resolve)), 'listening');
  try {
    const client = new lib.WebSocket(`ws://127.0.0.1:${server.address().port}/`, clientOptions);
    const events = [];
    client.on('open', () => {
      events.push('open');
      client.terminate();
    });
    client.on('error', (error) => events.push(`error:${error.message}`));
    await bounded(new Promise((resolve) => client.on('close', (code) => {
      events.push(`close:${code}`);
      resolve();
    })), 'client close');
    return events;
  } finally {
    for (const socket of sockets) socket.destroy();
    server.closeAllConnections();
    await bounded(new Promise((resolve) => server.close(resolve)), 'raw server close');
  }
}

const BAD_RESPONSES = [
  ['Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=7', {}],
  ['Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=16', {}],
  ['Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=10', { perMessageDeflate: { clientMaxWindowBits: false } }],
  ['Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover=1', {}],
  ['Sec-WebSocket-Extensions: permessage-deflate; x-unknown', {}],
  ['Sec-WebSocket-Extensions: permessage-deflate, permessage-deflate', {}],
  ['Sec-WebSocket-Extensions: x-webkit-deflate-frame', {}],
  ['Sec-WebSocket-Extensions: permessage-deflate; =', {}],
  ['Sec-WebSocket-Extensions: permessage-deflate', { perMessageDeflate: false }],
  ['Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=10', { perMessageDeflate: { serverMaxWindowBits: 9 } }]
];

test('row 7: bad permessage-deflate responses fail the client handshake with ws\'s error (client role)', { timeout: 30000 }, async () => {
  for (const [line, options] of BAD_RESPONSES) {
    const ours = await badServerResponse(sockwire, `${line}\r\n`, options);
    const reference = await badServerResponse(ws, `${line}\r\n`, options);
    assert.deepEqual(ours, reference, line);
    // ws opens on a duplicated offer answer (first one taken) and on a larger server window than offered.
    if (ours[0] === 'open') continue;
    assert.equal(ours.length, 2, line);
    assert.match(ours[0], /^error:/, line);
    assert.equal(ours[1], 'close:1006', line);
  }
});

/** A compressed client frame of `data` (one message, RFC 7692 §7.2.1 tail removed). */
function compressedFrame(data, windowBits = 15) {
  const body = deflateRawSync(data, { windowBits, finishFlush: constants.Z_SYNC_FLUSH });
  return frame({ opcode: 0x2, rsv: 4, payload: body.subarray(0, body.length - 4) });
}

/** Open `count` raw deflate connections; each sends one compressed message and waits for the compressed echo. */
async function deflateCrowd(serverOptions, count, message) {
  const server = await startServer(sockwire, { perMessageDeflate: serverOptions }, {
    onConnection: (socket) => socket.on('message', (data) => socket.send(data, { binary: true }))
  });
  const peers = [];
  try {
    await sleep(50);
    const { rssGrowth, result } = await measurePeak(async () => {
      const heads = new Set();
      for (let batch = 0; batch < count; batch += 200) {
        const opened = await Promise.all(Array.from({ length: Math.min(200, count - batch) }, () => rawClient(server.port, { request: DEFLATE_REQUEST })));
        for (const peer of opened) {
          heads.add(peer.head.split('\r\n').find((line) => line.startsWith('Sec-WebSocket-Extensions')));
          peer.socket.write(compressedFrame(message));
          peers.push(peer);
        }
        // Wait for every echo of this batch (bounded by the batch size and time).
        await bounded((async () => {
          for (const peer of opened) while (peer.received().frames.length === 0) await sleep(5);
        })(), 'echoes');
      }
      await sleep(100);
      return heads;
    });
    const echo = peers[0].received().frames[0];
    return { heads: [...result], rssGrowth, echo };
  } finally {
    for (const peer of peers) peer.socket.destroy();
    await server.stop();
  }
}

test('row 8: 2,000 deflate connections with maximal windows; caps honoured; RSS per connection measured', { timeout: 60000 }, async (t) => {
  // 4000 bytes whose second half repeats the first 2000 bytes: only a window > 2000 bytes can reference it.
  const seed = Buffer.from(Array.from({ length: 2000 }, (_, i) => (i * 7919 + (i >> 3) * 131) & 0xff));
  const message = Buffer.concat([seed, seed]);
  const count = 2000;
  const max = await deflateCrowd({}, count, message);
  // Same answers as ws: no parameters when nothing is capped.
  assert.deepEqual(max.heads, ['Sec-WebSocket-Extensions: permessage-deflate']);
  assert.equal(max.echo.rsv, 4);
  const capped = await deflateCrowd({ serverMaxWindowBits: 10, clientMaxWindowBits: 10 }, count, message);
  assert.deepEqual(capped.heads, ['Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=10; server_max_window_bits=10']);
  // RFC 7692 §7.1.2.1: with server_max_window_bits=10 the server must not reference further than 1024 bytes back,
  // so a 10-bit inflater decodes its output.
  const tail = Buffer.from([0, 0, 0xff, 0xff]);
  assert.equal(capped.echo.rsv, 4);
  assert.deepEqual(inflateRawSync(Buffer.concat([capped.echo.payload, tail]), { windowBits: 10, finishFlush: constants.Z_SYNC_FLUSH }), message);
  // Uncapped, the 2000-byte repeat is referenced (smaller output) — proving the check above can fail.
  assert.ok(max.echo.payload.length < capped.echo.payload.length, `${max.echo.payload.length} vs ${capped.echo.payload.length}`);
  const perMax = max.rssGrowth / count;
  const perCapped = capped.rssGrowth / count;
  t.diagnostic(`RSS per deflate connection (${count} connections): windows 15 → ${(perMax / 1024).toFixed(0)} KiB, windows 10 → ${(perCapped / 1024).toFixed(0)} KiB`);
  // zlib state is about 2^(w+2) + 2^(memLevel+9) for deflate and 2^w + 7 KiB for inflate; 1 MiB is a generous cap.
  assert.ok(perMax < MiB, `per-connection RSS ${perMax}`);
});

test('row 8: a client offering client_max_window_bits=8 is accepted with a valid window (zlib cannot do 8 for raw deflate)', { timeout: 15000 }, async () => {
  const request = upgradeRequest({ headers: { 'Sec-WebSocket-Extensions': 'permessage-deflate; client_max_window_bits=8; server_max_window_bits=8' } });
  for (const lib of [sockwire, ws]) {
    const server = await startServer(lib, { perMessageDeflate: true }, { onConnection: (socket) => socket.on('message', (data) => socket.send(data, { binary: true })) });
    try {
      const peer = await rawClient(server.port, { request });
      assert.match(peer.head, /\r\nSec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=8; server_max_window_bits=8\r\n/);
      const message = Buffer.alloc(3000, 'abc');
      peer.socket.write(compressedFrame(message, 9));
      await bounded((async () => {
        while (peer.received().frames.length === 0) await sleep(5);
      })(), 'echo');
      const echo = peer.received().frames[0];
      const out = echo.rsv === 4 ? inflateRawSync(Buffer.concat([echo.payload, Buffer.from([0, 0, 0xff, 0xff])]), { windowBits: 9, finishFlush: constants.Z_SYNC_FLUSH }) : echo.payload;
      assert.deepEqual(out, message);
      peer.socket.destroy();
    } finally {
      await server.stop();
    }
  }
});
