// SPEC §4: address validation (every SyntaxError), subprotocol validation, protocolVersion, the `url` property and
// the ws+unix: scheme.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { WebSocket } from '../helpers/impl.mjs';
import { once } from '../helpers/client-events.mjs';
import { startAcceptingServer } from '../helpers/client-raw-server.mjs';

const BAD_SCHEME = 'The URL\'s protocol must be one of "ws:", "wss:", "http:", "https:", or "ws+unix:"';

/** Asserts that `new WebSocket(...args)` throws `type` with exactly `message`. */
function assertThrows(args, type, message) {
  assert.throws(
    () => new WebSocket(...args),
    (err) => {
      assert.equal(err.constructor, type, `${String(args[0])}: ${err.name}: ${err.message}`);
      assert.equal(err.message, message);
      return true;
    }
  );
}

/** Creates a client that is torn down at once; used where only synchronous behaviour matters. */
function construct(...args) {
  const ws = new WebSocket(...args);
  ws.on('error', () => {});
  ws.terminate();
  return ws;
}

test('unparsable address → SyntaxError "Invalid URL: X"', () => {
  for (const address of ['foo', '', 'ws://', 'http://[::1']) {
    assertThrows([address], SyntaxError, `Invalid URL: ${address}`);
  }
});

test('unsupported scheme → SyntaxError naming the allowed protocols', () => {
  for (const address of ['ftp://example.com', 'file:///tmp/x', 'wsx://h/']) {
    assertThrows([address], SyntaxError, BAD_SCHEME);
  }
  assertThrows([new URL('ftp://example.com/')], SyntaxError, BAD_SCHEME);
});

test('fragment identifier → SyntaxError', () => {
  for (const address of ['ws://h/#frag', 'wss://h/p?q#x', 'ws+unix:/tmp/x.sock#a', new URL('ws://h/p#f')]) {
    assertThrows([address], SyntaxError, 'The URL contains a fragment identifier');
  }
});

test('ws+unix: without a socket path → SyntaxError "The URL\'s pathname is empty"', () => {
  for (const address of ['ws+unix:', 'ws+unix://']) {
    assertThrows([address], SyntaxError, "The URL's pathname is empty");
  }
});

test('url property: normalised, http(s) mapped to ws(s), default ports dropped', () => {
  const cases = [
    ['ws://h', 'ws://h/'],
    ['https://h', 'wss://h/'],
    ['http://h:80/a?b', 'ws://h/a?b'],
    ['wss://h:443/x', 'wss://h/x'],
    ['ws://h:8080/p?q=1', 'ws://h:8080/p?q=1'],
    [new URL('http://h/z'), 'ws://h/z'],
    ['ws+unix:/tmp/s.sock:/p?q', 'ws+unix:/tmp/s.sock:/p?q']
  ];
  for (const [address, expected] of cases) {
    const ws = construct(address);
    assert.equal(ws.url, expected, String(address));
  }
});

test('invalid or duplicated subprotocols → SyntaxError', () => {
  const message = 'An invalid or duplicated subprotocol was specified';
  for (const protocols of [['a', 'a'], ['a b'], [''], 'a,b', 'a b', [1], ['ok', 'x(y)']]) {
    assertThrows(['ws://127.0.0.1:1', protocols], SyntaxError, message);
  }
  // Valid forms do not throw: a string, an array, and options in the protocols slot.
  construct('ws://127.0.0.1:1', 'chat');
  construct('ws://127.0.0.1:1', ['chat', 'superchat']);
  construct('ws://127.0.0.1:1', { handshakeTimeout: 10 });
});

test('unsupported protocolVersion → RangeError', () => {
  for (const version of [7, 14, '13', 0]) {
    assertThrows(
      ['ws://127.0.0.1:1', { protocolVersion: version }],
      RangeError,
      `Unsupported protocol version: ${version} (supported versions: 8, 13)`
    );
  }
  construct('ws://127.0.0.1:1', { protocolVersion: 8 });
  construct('ws://127.0.0.1:1', { protocolVersion: 13 });
});

test('ws+unix: connects over a Unix domain socket with the request path after the colon', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sockwire-unix-'));
  const socketPath = join(dir, 's.sock');
  const requests = [];
  const server = await startAcceptingServer((peer) => requests.push(peer.request), undefined, { path: socketPath });
  t.after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const ws = new WebSocket(`ws+unix:${socketPath}:/chat/room?id=7`);
  t.after(() => ws.terminate());
  await once(ws, 'open');
  assert.equal(requests[0].requestLine, 'GET /chat/room?id=7 HTTP/1.1');
  assert.equal(ws.url, `ws+unix:${socketPath}:/chat/room?id=7`);
  ws.terminate();
  const [code] = await once(ws, 'close');
  assert.equal(code, 1006);
});

test('credentials in the URL become a Basic Authorization header (percent-decoded)', async (t) => {
  const requests = [];
  const server = await startAcceptingServer((peer) => requests.push(peer.request));
  t.after(() => server.close());
  const ws = new WebSocket(`ws://user:p%40ss@127.0.0.1:${server.port}/`);
  t.after(() => ws.terminate());
  await once(ws, 'open');
  assert.equal(requests[0].headers.authorization, 'Basic ' + Buffer.from('user:p@ss').toString('base64'));
});
