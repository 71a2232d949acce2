// Interop with a peer nobody here wrote: Python's `websockets` library (Debian package python3-websockets) as echo
// server for a sockwire client and as echo client for a sockwire server, with permessage-deflate off, on, without
// context takeover and with small windows. Every echoed byte, the message type, the negotiated
// Sec-WebSocket-Extensions value (as both ends see it) and the close codes are checked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { peer } from '../helpers/peers.mjs';

const require = createRequire(import.meta.url);
const { WebSocket, WebSocketServer } = require('../../dist/cjs/index.js');

const PEER = fileURLToPath(new URL('./python/echo_peer.py', import.meta.url));
const TIMEOUT = 60000;

const found = peer('python3-websockets');
const python = found.path === undefined ? undefined : { command: found.path };
const skip = found.skip;

/** Start the Python peer; `next(event)` resolves with the next stdout line of that event. */
function startPeer(args) {
  const child = spawn(python.command, [PEER, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (text) => {
    stderr += text;
  });
  const events = [];
  const waiters = [];
  let exited = false;
  const settleWaiters = () => {
    for (let i = waiters.length - 1; i >= 0; i--) {
      const waiter = waiters[i];
      const index = events.findIndex((e) => e.event === waiter.event);
      if (index !== -1) {
        waiters.splice(i, 1);
        waiter.resolve(events.splice(index, 1)[0]);
      } else if (exited) {
        waiters.splice(i, 1);
        waiter.reject(new Error(`python peer exited before "${waiter.event}" (code ${child.exitCode}): ${stderr}`));
      }
    }
  };
  createInterface({ input: child.stdout }).on('line', (line) => {
    events.push(JSON.parse(line));
    settleWaiters();
  });
  const exit = new Promise((resolve) => {
    child.on('close', (code) => {
      exited = true;
      settleWaiters();
      resolve(code);
    });
  });
  return {
    child,
    exit,
    stderr: () => stderr,
    next(event) {
      return new Promise((resolve, reject) => {
        waiters.push({ event, resolve, reject });
        settleWaiters();
      });
    },
    kill() {
      if (!exited) child.kill();
    }
  };
}

const KiB = 1024;
const sizes = [0, 1, 125, 126, 1023, 1024, 1025, 64 * KiB - 1, 64 * KiB, 200 * KiB, 1024 * KiB];

function jsonText(size) {
  const unit = '{"id":42,"user":"zoë","tags":["a","b"],"text":"héllo wörld ✓"},';
  let text = unit.repeat(Math.ceil(size / unit.length) + 1);
  // Trim by bytes, then back off to a character boundary so the text stays valid UTF-8.
  let bytes = Buffer.from(text).subarray(0, size);
  while (bytes.length > 0 && !Buffer.from(bytes.toString()).equals(bytes)) bytes = bytes.subarray(0, bytes.length - 1);
  text = bytes.toString();
  return text;
}

/** The messages each run echoes: text, incompressible binary and compressible binary of every size. */
const messages = sizes.flatMap((size) => [
  { data: Buffer.from(jsonText(size)), binary: false },
  { data: randomBytes(size), binary: true },
  { data: Buffer.alloc(size, 'sockwire '), binary: true }
]);

/** Send every message at once (order must survive compression and the limiter), collect the echoes. */
function echoAll(ws) {
  return new Promise((resolve, reject) => {
    const echoes = [];
    const onMessage = (data, isBinary) => {
      echoes.push({ data, binary: isBinary });
      if (echoes.length === messages.length) {
        ws.off('message', onMessage);
        resolve(echoes);
      }
    };
    ws.on('message', onMessage);
    ws.once('close', (code) => reject(new Error(`closed (${code}) after ${echoes.length} echoes`)));
    for (const { data, binary } of messages) ws.send(binary ? data : data.toString(), { binary });
  });
}

function checkEchoes(echoes) {
  assert.equal(echoes.length, messages.length);
  for (let i = 0; i < messages.length; i++) {
    const label = `message ${i} (${messages[i].data.length} B, binary=${messages[i].binary})`;
    assert.equal(echoes[i].binary, messages[i].binary, label);
    assert.ok(echoes[i].data.equals(messages[i].data), label);
  }
}

const closed = (ws) => new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));

// [name, sockwire perMessageDeflate option, python config, expected Sec-WebSocket-Extensions (RegExp or string)]
const configs = [
  ['compression off', false, { compression: 'off' }, ''],
  ['sockwire offers, python refuses', { threshold: 0 }, { compression: 'off' }, ''],
  ['python offers, sockwire refuses', false, { compression: 'default' }, ''],
  ['both default (sockwire threshold 1024: small messages go uncompressed)', true, { compression: 'default' }, /^permessage-deflate/],
  ['both default, everything compressed', { threshold: 0 }, { compression: 'default' }, /^permessage-deflate/],
  [
    'no context takeover either way',
    { threshold: 0, serverNoContextTakeover: true, clientNoContextTakeover: true },
    { compression: 'custom', server_no_context_takeover: true, client_no_context_takeover: true },
    /^permessage-deflate(?=.*; server_no_context_takeover)(?=.*; client_no_context_takeover)/
  ],
  [
    'window bits 10 (server) / 11 (client)',
    { threshold: 0, serverMaxWindowBits: 10, clientMaxWindowBits: 11 },
    { compression: 'custom', server_max_window_bits: 10, client_max_window_bits: 11 },
    /^permessage-deflate(?=.*; server_max_window_bits=10)(?=.*; client_max_window_bits=11)/
  ]
];

/**
 * `header` is the Sec-WebSocket-Extensions value sockwire sent or received; Python must have seen the same one.
 * `ws.extensions` lists only the names, as in ws.
 */
function checkExtensions(ws, header, seenByPython, expected) {
  assert.equal(header, seenByPython, 'both ends see the same negotiated extensions');
  if (typeof expected === 'string') assert.equal(header, expected);
  else assert.match(header, expected);
  assert.equal(ws.extensions, header === '' ? '' : 'permessage-deflate');
}

const payloadBytes = messages.reduce((sum, m) => sum + m.data.length, 0);

/** Compression really happened on the wire (or really did not): compare what the socket wrote with the payloads. */
function checkWireSize(socket, compressed) {
  const written = socket.bytesWritten;
  if (compressed) assert.ok(written < payloadBytes * 0.6, `${written} bytes written for ${payloadBytes} of payload`);
  else assert.ok(written > payloadBytes, `${written} bytes written for ${payloadBytes} of payload`);
}

/**
 * Once Python reports 'open': both sides agree on the extension, every message echoes back exactly, and the bytes
 * sockwire wrote fit whether compression was negotiated.
 */
async function checkExchange(peer, ws, socket, header, expected) {
  const pyOpen = await peer.next('open');
  checkExtensions(ws, header, pyOpen.extensions, expected);
  const written = socket.bytesWritten;
  checkEchoes(await echoAll(ws));
  checkWireSize({ bytesWritten: socket.bytesWritten - written }, header !== '');
}

for (const [name, deflate, pyConfig, expected] of configs) {
  test(`sockwire client -> python server: ${name}`, { skip, timeout: TIMEOUT }, async () => {
    const peer = startPeer(['server', JSON.stringify(pyConfig)]);
    let ws;
    try {
      const { port } = await peer.next('listening');
      const options = deflate === false ? { perMessageDeflate: false } : { perMessageDeflate: deflate === true ? true : deflate };
      ws = new WebSocket(`ws://127.0.0.1:${port}`, options);
      let header;
      let socket;
      ws.once('upgrade', (response) => {
        header = response.headers['sec-websocket-extensions'] ?? '';
        socket = response.socket;
      });
      await new Promise((resolve, reject) => {
        ws.once('open', resolve);
        ws.once('error', reject);
      });
      await checkExchange(peer, ws, socket, header, expected);
      // Python closes on request: sockwire sees its code and reason, and Python sees the echo.
      const done = closed(ws);
      ws.send('__close__ 4001 python says bye');
      assert.deepEqual(await done, { code: 4001, reason: 'python says bye' });
      const pyClosed = await peer.next('closed');
      assert.deepEqual([pyClosed.code, pyClosed.reason], [4001, 'python says bye']);
      assert.equal(await peer.exit, 0, peer.stderr());
    } finally {
      ws?.terminate();
      peer.kill();
    }
  });

  test(`python client -> sockwire server: ${name}`, { skip, timeout: TIMEOUT }, async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: deflate });
    let peer;
    try {
      await new Promise((resolve) => wss.once('listening', resolve));
      let header = '';
      wss.once('headers', (lines) => {
        const line = lines.find((l) => /^sec-websocket-extensions:/i.test(l));
        if (line !== undefined) header = line.slice(line.indexOf(':') + 1).trim();
      });
      const connection = new Promise((resolve) => wss.once('connection', (ws, req) => resolve([ws, req.socket])));
      peer = startPeer(['client', JSON.stringify(pyConfig), `ws://127.0.0.1:${wss.address().port}/echo`]);
      const [ws, socket] = await connection;
      await checkExchange(peer, ws, socket, header, expected);
      // sockwire closes: Python sees the code and reason, sockwire gets them echoed.
      const done = closed(ws);
      ws.close(4002, 'sockwire says bye');
      assert.deepEqual(await done, { code: 4002, reason: 'sockwire says bye' });
      const pyClosed = await peer.next('closed');
      assert.deepEqual([pyClosed.code, pyClosed.reason], [4002, 'sockwire says bye']);
      assert.equal(await peer.exit, 0, peer.stderr());
    } finally {
      peer?.kill();
      for (const client of wss.clients) client.terminate();
      await new Promise((resolve) => wss.close(resolve));
    }
  });
}

for (const [name, deflate, pyConfig] of [
  ['compressed', { threshold: 0 }, { compression: 'default' }],
  ['uncompressed', false, { compression: 'off' }]
]) {
  test(`python sends past sockwire's maxPayload (${name}): sockwire closes with 1009`, { skip, timeout: TIMEOUT }, async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: deflate, maxPayload: 64 * KiB });
    let peer;
    try {
      await new Promise((resolve) => wss.once('listening', resolve));
      const connection = new Promise((resolve) => wss.once('connection', resolve));
      peer = startPeer(['client', JSON.stringify(pyConfig), `ws://127.0.0.1:${wss.address().port}`]);
      const ws = await connection;
      await peer.next('open');
      const errors = [];
      ws.on('error', (error) => errors.push(error));
      const done = closed(ws);
      // 1 MiB of zeros: about 1 KiB on the wire when compressed, so only the inflate guard can catch it.
      ws.send(`__send__ ${1024 * KiB}`);
      // Like ws, sockwire stops reading after the error, so it never sees Python's echo of 1009: locally 1006.
      assert.equal((await done).code, 1006);
      assert.deepEqual(
        errors.map((e) => [e.constructor.name, e.code, e.message]),
        [['RangeError', 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH', 'Max payload size exceeded']]
      );
      const pyClosed = await peer.next('closed');
      assert.equal(pyClosed.code, 1009);
      assert.equal(await peer.exit, 0, peer.stderr());
    } finally {
      peer?.kill();
      for (const client of wss.clients) client.terminate();
      await new Promise((resolve) => wss.close(resolve));
    }
  });
}

test('python websockets found (or skipped with a reason)', () => {
  if (python === undefined) {
    assert.equal(typeof skip, 'string');
    return;
  }
  const probe = spawnSync(python.command, ['-c', 'import websockets; print(websockets.__version__)'], { encoding: 'utf8' });
  assert.match(probe.stdout, /^\d+\.\d+/);
});
