// Issue 8 row 19: a hostile server against our client — bad accept key, unrequested subprotocol or extension, junk
// after the 101, a redirect loop, credentials on a cross-host redirect, 10,000 response headers, masked frames.
// Each must give ws's error and close code, without a crash or a credential leak.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';

import { acceptOf, bounded, frame, sockwire, ws } from '../helpers/hostile-peer.mjs';

/**
 * A raw TCP server: `respond(head, socket, index)` writes whatever it likes for each request head it receives.
 * Returns `{ port, heads, close }`; `heads` keeps every request head (to check forwarded headers).
 */
async function evilServer(respond) {
  const heads = [];
  const sockets = new Set();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buffer = '';
    socket.on('data', (chunk) => {
      if (buffer === null) return;
      buffer += chunk.toString('latin1');
      const end = buffer.indexOf('\r\n\r\n');
      if (end === -1) return;
      const head = buffer.slice(0, end);
      buffer = null;
      heads.push(head);
      respond(head, socket, heads.length - 1);
    });
  });
  server.listen(0, '127.0.0.1');
  await bounded(new Promise((resolve) => server.once('listening', resolve)), 'listening');
  return {
    port: server.address().port,
    heads,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(resolve));
    }
  };
}

const keyOf = (head) => /\r\nsec-websocket-key: ([^\r]*)/i.exec(head)[1];
const switching = (head, extra = '') =>
  `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptOf(keyOf(head))}\r\n${extra}\r\n`;

/** Connect `lib`'s client and record its events until 'close'. */
async function clientEvents(lib, url, protocols, options) {
  const client = new lib.WebSocket(url, protocols, options);
  const events = [];
  client.on('open', () => events.push('open'));
  client.on('message', (data) => events.push(`message:${data}`));
  client.on('error', (error) => events.push(`error:${error.code ?? ''}:${error.message}`));
  await bounded(new Promise((resolve) => client.on('close', (code) => {
    events.push(`close:${code}`);
    resolve();
  })), 'client close');
  return events;
}

/** Run the same evil server against sockwire and ws; both event lists must match `expected`. */
async function againstBoth(respond, expected, { protocols, options } = {}) {
  for (const lib of [sockwire, ws]) {
    const evil = await evilServer(respond);
    try {
      const events = await clientEvents(lib, `ws://127.0.0.1:${evil.port}/`, protocols, options);
      assert.deepEqual(events, expected, lib === ws ? 'ws (reference)' : 'sockwire');
    } finally {
      await evil.close();
    }
  }
}

test('row 19: wrong Sec-WebSocket-Accept', { timeout: 15000 }, async () => {
  await againstBoth(
    (head, socket) => socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\n'),
    ['error::Invalid Sec-WebSocket-Accept header', 'close:1006']
  );
});

test('row 19: unrequested, invalid and missing subprotocols', { timeout: 15000 }, async () => {
  await againstBoth((head, socket) => socket.write(switching(head, 'Sec-WebSocket-Protocol: chat\r\n')), ['error::Server sent a subprotocol but none was requested', 'close:1006']);
  await againstBoth((head, socket) => socket.write(switching(head, 'Sec-WebSocket-Protocol: other\r\n')), ['error::Server sent an invalid subprotocol', 'close:1006'], { protocols: ['chat'] });
  await againstBoth((head, socket) => socket.write(switching(head)), ['error::Server sent no subprotocol', 'close:1006'], { protocols: ['chat'] });
  await againstBoth((head, socket) => socket.write(switching(head, 'Sec-WebSocket-Extensions: x-evil\r\n')), ['error::Server indicated an extension that was not requested', 'close:1006']);
});

// "G" is 0x47: FIN clear, RSV1 set, opcode 7.
test('row 19: junk after the 101 is parsed as frames (1002), a valid frame after it is delivered', { timeout: 15000 }, async () => {
  await againstBoth(
    (head, socket) => socket.write(switching(head) + 'GARBAGE AFTER THE HEAD'),
    ['open', 'error:WS_ERR_UNEXPECTED_RSV_1:Invalid WebSocket frame: RSV1 must be clear', 'close:1006']
  );
  await againstBoth(
    (head, socket) => {
      socket.write(Buffer.concat([Buffer.from(switching(head, 'Content-Length: 7\r\n')), frame({ mask: false, payload: 'hello' })]));
      setTimeout(() => socket.end(), 20);
    },
    ['open', 'message:hello', 'close:1006']
  );
});

test('row 19: a masked frame from the server is a protocol error (1002 on the wire)', { timeout: 15000 }, async () => {
  let wire = null;
  const respond = (head, socket) => {
    const chunks = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('close', () => (wire = Buffer.concat(chunks)));
    socket.write(Buffer.concat([Buffer.from(switching(head)), frame({ payload: 'masked' })]));
  };
  await againstBoth(respond, ['open', 'error:WS_ERR_UNEXPECTED_MASK:Invalid WebSocket frame: MASK must be clear', 'close:1006']);
  // The client's close frame carries 1002 (masked, as a client's must be).
  assert.equal(wire[0], 0x88);
  const key = wire.subarray(2, 6);
  assert.equal(((wire[6] ^ key[0]) << 8) | (wire[7] ^ key[1]), 1002);
});

test('row 19: a redirect loop stops at maxRedirects with "Maximum redirects exceeded"', { timeout: 15000 }, async () => {
  for (const lib of [sockwire, ws]) {
    const evil = await evilServer((head, socket) => socket.end(`HTTP/1.1 302 Found\r\nLocation: ws://127.0.0.1:${evil.port}/again\r\nContent-Length: 0\r\n\r\n`));
    try {
      const events = await clientEvents(lib, `ws://127.0.0.1:${evil.port}/`, undefined, { followRedirects: true, maxRedirects: 3 });
      assert.deepEqual(events, ['error::Maximum redirects exceeded', 'close:1006']);
      assert.equal(evil.heads.length, 4);
    } finally {
      await evil.close();
    }
  }
});

test('row 19: credentials are dropped on a cross-host redirect and kept on a same-host one', { timeout: 15000 }, async () => {
  for (const lib of [sockwire, ws]) {
    const target = await evilServer((head, socket) => socket.write(switching(head)));
    // "localhost" and "127.0.0.1" are different hosts to the client.
    const crossHost = await evilServer((head, socket) => socket.end(`HTTP/1.1 302 Found\r\nLocation: ws://localhost:${target.port}/next\r\nContent-Length: 0\r\n\r\n`));
    const sameHost = await evilServer((head, socket, index) => {
      if (index === 0) socket.end(`HTTP/1.1 302 Found\r\nLocation: /next\r\nContent-Length: 0\r\n\r\n`);
      else socket.write(switching(head));
    });
    try {
      const options = { followRedirects: true, headers: { Authorization: 'Bearer s3cret', Cookie: 'session=s3cret' } };
      for (const [evil, expectLeak] of [[crossHost, false], [sameHost, true]]) {
        const client = new lib.WebSocket(`ws://user:pa%20ss@127.0.0.1:${evil.port}/`, options);
        client.on('error', () => {});
        await bounded(new Promise((resolve) => client.on('open', resolve)), 'open after redirect');
        client.terminate();
        const last = (evil === crossHost ? target.heads : evil.heads).at(-1);
        assert.equal(/\r\nauthorization:/i.test(last), expectLeak, `authorization forwarded: ${last}`);
        assert.equal(/\r\ncookie:/i.test(last), expectLeak, `cookie forwarded: ${last}`);
        assert.equal(last.includes('s3cret'), expectLeak);
        if (expectLeak) assert.match(last, /\r\nauthorization: Bearer s3cret/i);
      }
    } finally {
      await Promise.all([target.close(), crossHost.close(), sameHost.close()]);
    }
  }
});

test('row 19: 10,000 response headers fail the handshake cleanly, like ws', { timeout: 15000 }, async () => {
  const lines = Array.from({ length: 10000 }, (_, i) => `X-H${i}: v\r\n`).join('');
  const results = [];
  for (const lib of [sockwire, ws]) {
    const evil = await evilServer((head, socket) => socket.write(switching(head, lines)));
    try {
      results.push(await clientEvents(lib, `ws://127.0.0.1:${evil.port}/`));
    } finally {
      await evil.close();
    }
  }
  assert.deepEqual(results[0], results[1]);
  assert.equal(results[0].length, 2);
  assert.match(results[0][0], /^error:HPE_HEADER_OVERFLOW:/);
  assert.equal(results[0][1], 'close:1006');
});
