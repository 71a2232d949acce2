// `sockwire serve` as a child process: the echo server, the demo files over HTTP on the same port, the chat endpoint,
// clean shutdown on SIGTERM, and one-line errors for bad flags and busy ports.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { readFileSync } from 'node:fs';
import { startCli, runCli, sockwire } from './run-cli.mjs';

const { WebSocket } = sockwire;
const READY = /sockwire serve: (?:echo server|chat demo) at (\S+)/;

/** GET a path verbatim (no URL normalisation, so `..` reaches the server). */
function get(port, path, method = 'GET') {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Open a client; resolves once open, with a queue of received messages. */
function open(url, options) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options);
    const inbox = [];
    const waiters = [];
    ws.on('message', (data, isBinary) => {
      const item = { data: Buffer.from(data), isBinary };
      const waiter = waiters.shift();
      if (waiter) waiter(item);
      else inbox.push(item);
    });
    ws.next = () => (inbox.length > 0 ? Promise.resolve(inbox.shift()) : new Promise((r) => waiters.push(r)));
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

test('serve --echo: text and binary echo byte-exact, demo files on the same port, SIGTERM closes clients with 1001 and exits 0', async () => {
  const server = startCli(['serve', '--echo', '--port', '0']);
  try {
    const [, httpUrl] = await server.waitFor(READY);
    const port = Number(new URL(httpUrl).port);
    const ws = await open(`ws://127.0.0.1:${port}/any/path`);
    ws.send('héllo');
    assert.deepEqual(await ws.next(), { data: Buffer.from('héllo'), isBinary: false });
    const bytes = Buffer.from([0, 1, 2, 253, 254, 255]);
    ws.send(bytes);
    assert.deepEqual(await ws.next(), { data: bytes, isBinary: true });
    const big = Buffer.alloc(300 * 1024, 7);
    ws.send(big);
    assert.ok((await ws.next()).data.equals(big));

    const index = await get(port, '/');
    assert.equal(index.status, 200);
    assert.equal(index.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(index.headers['x-content-type-options'], 'nosniff');
    assert.deepEqual(index.body, readFileSync(new URL('../../demo/index.html', import.meta.url)));
    const script = await get(port, '/chat.js');
    assert.equal(script.headers['content-type'], 'text/javascript; charset=utf-8');
    assert.equal((await get(port, '/chat.js', 'HEAD')).body.length, 0);
    for (const path of ['/../package.json', '/%2e%2e/package.json', '/..%2fpackage.json', '/.hidden', '/missing.html', '/%E0%A4%A']) {
      assert.equal((await get(port, path)).status, 404, path);
    }
    assert.equal((await get(port, '/', 'POST')).status, 405);

    const closed = new Promise((resolve) => ws.once('close', (code, reason) => resolve([code, reason.toString()])));
    const exit = await server.stop('SIGTERM');
    assert.deepEqual(await closed, [1001, 'server shutting down']);
    assert.equal(exit.code, 0);
    assert.equal(exit.stderr, '');
  } finally {
    await server.stop('SIGKILL');
  }
});

test('serve (chat): two clients join, see each other in the online list and receive broadcast messages', async () => {
  const server = startCli(['serve', '--port', '0', '--host', '127.0.0.1']);
  try {
    const [, httpUrl] = await server.waitFor(READY);
    const wsUrl = `${httpUrl.replace('http', 'ws')}chat`;
    const json = async (ws) => JSON.parse((await ws.next()).data.toString());

    const alice = await open(wsUrl);
    alice.send(JSON.stringify({ type: 'join', nick: 'alice' }));
    assert.deepEqual(await json(alice), { type: 'welcome', nick: 'alice', online: ['alice'], history: [] });
    assert.deepEqual(await json(alice), { type: 'online', users: ['alice'] });

    const bob = await open(wsUrl);
    bob.send(JSON.stringify({ type: 'join', nick: 'bob' }));
    assert.deepEqual(await json(bob), { type: 'welcome', nick: 'bob', online: ['alice', 'bob'], history: [] });
    assert.deepEqual(await json(alice), { type: 'system', text: 'bob joined' });
    assert.deepEqual(await json(alice), { type: 'online', users: ['alice', 'bob'] });
    assert.deepEqual(await json(bob), { type: 'online', users: ['alice', 'bob'] });

    bob.send(JSON.stringify({ type: 'say', text: 'hi alice' }));
    const toAlice = await json(alice);
    const toBob = await json(bob);
    assert.deepEqual(toAlice, toBob);
    assert.equal(toAlice.type, 'message');
    assert.equal(toAlice.from, 'bob');
    assert.equal(toAlice.text, 'hi alice');
    assert.equal(typeof toAlice.at, 'number');

    // The chat endpoint lives at /chat only.
    await assert.rejects(open(httpUrl.replace('http', 'ws') + 'elsewhere'), /Unexpected server response: 400/);

    bob.close(1000);
    assert.deepEqual(await json(alice), { type: 'system', text: 'bob left' });
    assert.deepEqual(await json(alice), { type: 'online', users: ['alice'] });
    const exit = await server.stop('SIGINT');
    assert.equal(exit.code, 0);
  } finally {
    await server.stop('SIGKILL');
  }
});

test('serve: a bad port and a busy port each give one line on stderr and a non-zero exit', async () => {
  const bad = await runCli(['serve', '--port', '70000']);
  assert.equal(bad.code, 2);
  assert.equal(bad.stderr, 'sockwire serve: --port must be an integer from 0 to 65535, got "70000"\n');
  const unknown = await runCli(['serve', '--echo', 'extra']);
  assert.equal(unknown.code, 2);
  assert.equal(unknown.stderr, `sockwire serve: Unexpected argument 'extra' (see "sockwire serve --help")\n`);

  const first = startCli(['serve', '--echo', '--port', '0']);
  try {
    const [, httpUrl] = await first.waitFor(READY);
    const port = new URL(httpUrl).port;
    const busy = await runCli(['serve', '--port', port]);
    assert.equal(busy.code, 1);
    assert.equal(busy.stderr, `sockwire serve: cannot listen on 127.0.0.1:${port}: address already in use\n`);
  } finally {
    await first.stop('SIGKILL');
  }
});

test('serve --help prints usage and exits 0', async () => {
  const result = await runCli(['serve', '--help']);
  assert.equal(result.code, 0);
  assert.match(result.stdout, /^Usage: sockwire serve \[options\]\n/);
});
