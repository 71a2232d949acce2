// sockwire client ↔ sockwire server over HTTP/2 (RFC 8441), TLS (h2 by ALPN, the test CA trusted) and h2c (prior
// knowledge): the scenario classes of the HTTP/1.1 suites — messages 0 B … 16 MiB both ways, fragmentation,
// ping/pong with payloads, close codes from either side, termination, permessage-deflate — each asserting that
// the socket really rode an HTTP/2 stream (`httpVersion` on both sides, `req.stream`).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { clientOptions, closed, nextConnection, nextMessage, openClient, startH2 } from '../helpers/h2-fixture.mjs';
import { xorshift32 } from '../helpers/xorshift.mjs';

const MiB = 1024 * 1024;
const SIZES = [0, 1, 125, 126, 127, 65535, 65536, 65537, MiB, 16 * MiB];

function bytes(size, seed) {
  const next = xorshift32(seed);
  const out = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) out[i] = (next() * 256) | 0;
  return out;
}
const sha = (data) => createHash('sha256').update(data).digest('hex');

for (const secure of [true, false]) {
  describe(`HTTP/2 scenarios over ${secure ? 'TLS (h2)' : 'h2c'}`, () => {
    let h2;
    before(async () => {
      h2 = await startH2({ secure, wss: { perMessageDeflate: { threshold: 0 }, maxPayload: 32 * MiB } });
      h2.wss.on('connection', (ws, req) => {
        if (req.url === '/echo' || req.url === '/deflate') ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
      });
    });
    after(() => h2.close());

    test('the socket is an HTTP/2 stream on both sides', async () => {
      const accepted = nextConnection(h2.wss);
      const ws = await openClient(h2.url('/echo'), clientOptions(secure, { perMessageDeflate: false }));
      const [server, req] = await accepted;
      assert.equal(ws.httpVersion, '2.0');
      assert.equal(server.httpVersion, '2.0');
      assert.equal(req.httpVersion, '2.0');
      assert.equal(req.method, 'CONNECT');
      assert.equal(req.headers[':protocol'], 'websocket');
      assert.equal(req.headers.host, `127.0.0.1:${h2.port}`);
      assert.equal(typeof req.stream.respond, 'function');
      assert.equal(ws.extensions, '');
      ws.close();
      assert.deepEqual(await closed(ws), [1005, '']);
    });

    test('binary and text messages of 0 B … 16 MiB echo byte-exact', { timeout: 60000 }, async () => {
      const ws = await openClient(h2.url('/echo'), clientOptions(secure, { perMessageDeflate: false, maxPayload: 32 * MiB }));
      for (const [i, size] of SIZES.entries()) {
        const data = bytes(size, i + 1);
        ws.send(data);
        const [reply, isBinary] = await nextMessage(ws, 30000);
        assert.equal(isBinary, true);
        assert.equal(reply.length, size);
        assert.equal(sha(reply), sha(data), `binary ${size}`);
        const text = data.toString('base64').slice(0, size);
        ws.send(text);
        const [echoed, textIsBinary] = await nextMessage(ws, 30000);
        assert.equal(textIsBinary, false);
        assert.equal(echoed.toString(), text, `text ${size}`);
      }
      ws.close(1000);
      assert.deepEqual(await closed(ws), [1000, '']);
    });

    test('a fragmented message arrives whole; pings and pongs carry their payloads', async () => {
      const accepted = nextConnection(h2.wss);
      const ws = await openClient(h2.url('/fragments'), clientOptions(secure, { perMessageDeflate: false }));
      const [server] = await accepted;
      const got = once(server, 'message');
      ws.send('frag', { fin: false });
      ws.send('men', { fin: false });
      ws.send('ted', { fin: true });
      const [message, isBinary] = await got;
      assert.equal(message.toString(), 'fragmented');
      assert.equal(isBinary, false);

      const ping = once(server, 'ping');
      const pong = once(ws, 'pong');
      ws.ping('are you there');
      assert.equal((await ping)[0].toString(), 'are you there');
      assert.equal((await pong)[0].toString(), 'are you there');
      const serverPing = once(ws, 'ping');
      const serverPong = once(server, 'pong');
      server.ping(Buffer.from([1, 2, 3]));
      assert.deepEqual([...(await serverPing)[0]], [1, 2, 3]);
      assert.deepEqual([...(await serverPong)[0]], [1, 2, 3]);
      const closes = Promise.all([closed(server), closed(ws)]);
      ws.close(4001, 'fragments done');
      assert.deepEqual(await closes, [[4001, 'fragments done'], [4001, 'fragments done']]);
    });

    test('close codes: server-initiated close; terminate() on either side resets the stream with CANCEL (1006)', async () => {
      let accepted = nextConnection(h2.wss);
      const first = await openClient(h2.url('/close'), clientOptions(secure));
      let [server] = await accepted;
      let closes = Promise.all([closed(first), closed(server)]);
      server.close(4321, 'server says bye');
      assert.deepEqual(await closes, [[4321, 'server says bye'], [4321, 'server says bye']]);

      accepted = nextConnection(h2.wss);
      const second = await openClient(h2.url('/close'), clientOptions(secure));
      [server] = await accepted;
      closes = Promise.all([closed(server), closed(second)]);
      second.terminate();
      assert.deepEqual(await closes, [[1006, ''], [1006, '']]);
      // RFC 8441 §6: a terminated WebSocket is a stream reset with CANCEL (0x8).
      assert.equal(second._socket.rstCode, 8);

      accepted = nextConnection(h2.wss);
      const third = await openClient(h2.url('/close'), clientOptions(secure));
      [server] = await accepted;
      closes = Promise.all([closed(server), closed(third)]);
      server.terminate();
      assert.deepEqual(await closes, [[1006, ''], [1006, '']]);
      assert.equal(server._socket.rstCode, 8);
    });

    test('maxPayload: a message over the limit is refused with 1009 (the refusing side reads 1006, as ws)', async () => {
      const accepted = nextConnection(h2.wss);
      const ws = await openClient(h2.url('/limit'), clientOptions(secure, { maxPayload: 1000 }));
      const [server] = await accepted;
      const errors = [];
      ws.on('error', (error) => errors.push(error.code));
      const closes = Promise.all([closed(ws), closed(server)]);
      server.send(Buffer.alloc(1001));
      const [[clientCode], [serverCode]] = await closes;
      assert.deepEqual([clientCode, serverCode], [1006, 1009]);
      assert.deepEqual(errors, ['WS_ERR_UNSUPPORTED_MESSAGE_LENGTH']);
    });

    test('permessage-deflate is negotiated and compresses over the stream', async () => {
      const accepted = nextConnection(h2.wss);
      const ws = await openClient(h2.url('/deflate'), clientOptions(secure, { perMessageDeflate: { threshold: 0 } }));
      const [server] = await accepted;
      assert.equal(ws.extensions, 'permessage-deflate');
      assert.equal(server.extensions, 'permessage-deflate');
      const text = '{"hello":"world"},'.repeat(20000);
      let carried = 0;
      server._socket.on('data', (chunk) => (carried += chunk.length));
      ws.send(text);
      const [reply] = await nextMessage(ws);
      assert.equal(reply.toString(), text);
      // RFC 7692 §6: the stream's DATA carried a small fraction of the text.
      assert.ok(carried > 0 && carried < text.length / 10, `carried ${carried} bytes for ${text.length}`);
      ws.close();
      await closed(ws);
    });
  });
}
