// Interop with a real browser: headless Chromium's own WebSocket against sockwire servers. Echo of text, Blob and
// ArrayBuffer messages from 0 B to 4 MiB checked by SHA-256 on both legs, subprotocol selection, close codes and
// reasons on both sides, server-initiated close, a dropped connection, a refused handshake, and permessage-deflate.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CHROMIUM_SKIP, launchChromium } from './helpers/chromium-browser.mjs';
import { startPageServer, sha256 } from './helpers/chromium-server.mjs';
import { installPageHelpers } from './helpers/chromium-page.mjs';

const SIZES = [0, 1, 125, 126, 127, 65535, 65536, 65537, 1024 * 1024, 4 * 1024 * 1024];

describe('Chromium WebSocket ↔ sockwire server', { skip: CHROMIUM_SKIP }, () => {
  let browser;
  let server;
  let page;
  /** What the servers saw, per route. */
  const seen = { echo: [], deflate: [], closes: [], protocols: [], requests: [], refusedConnections: 0 };

  /** Resolves with the server-side (code, reason) of the next connection to close on `route`. */
  const nextServerClose = (route) =>
    new Promise((resolve) => {
      server.servers[route].once('connection', (ws) => ws.once('close', (code, reason) => resolve([code, reason.toString()])));
    });

  before(async () => {
    server = await startPageServer({
      '/echo': {},
      '/deflate': { perMessageDeflate: true },
      '/proto': { handleProtocols: (protocols) => (protocols.has('chat.v2') ? 'chat.v2' : false) },
      '/close': {},
      '/refuse': { verifyClient: () => false }
    });
    const echo = (log) => (ws) => {
      ws.on('message', (data, isBinary) => {
        log.push({ isBinary, size: data.length, sha: sha256(data) });
        ws.send(data, { binary: isBinary });
      });
    };
    server.servers['/echo'].on('connection', echo(seen.echo));
    server.servers['/deflate'].on('connection', echo(seen.deflate));
    server.servers['/proto'].on('connection', (ws, req) => {
      seen.protocols.push(ws.protocol);
      seen.requests.push(req.headers['sec-websocket-protocol']);
      ws.send(`you got ${JSON.stringify(ws.protocol)}`);
    });
    // /close: the page tells the server what to do.
    server.servers['/close'].on('connection', (ws) => {
      ws.on('message', (data) => {
        const [verb, code, reason] = JSON.parse(data.toString());
        if (verb === 'close') ws.close(code, reason);
        if (verb === 'terminate') ws.terminate();
      });
    });
    server.servers['/refuse'].on('connection', () => seen.refusedConnections++);
    browser = await launchChromium();
    page = await browser.newPage();
    await page.goto(server.pageUrl);
    await page.evaluate(installPageHelpers);
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('ArrayBuffer, Blob and text messages of 0 B … 4 MiB echo byte-exact', { timeout: 40000 }, async () => {
    const results = await page.evaluate(async ({ url, sizes }) => {
      const { connect, sha256, randomBytes, randomText, utf8 } = window.sw;
      const socket = await connect(url);
      const out = [];
      for (const kind of ['arraybuffer', 'blob', 'text']) {
        socket.ws.binaryType = kind === 'text' ? 'blob' : kind;
        for (const size of sizes) {
          if (kind === 'text') {
            const text = randomText(size);
            socket.ws.send(text);
            const reply = await socket.next(`text ${size}`);
            out.push({ kind, size, sent: await sha256(utf8(text)), type: typeof reply, same: reply === text, got: typeof reply === 'string' ? await sha256(utf8(reply)) : null });
          } else {
            const bytes = randomBytes(size);
            socket.ws.send(kind === 'blob' ? new Blob([bytes]) : bytes.buffer);
            const reply = await socket.next(`${kind} ${size}`);
            const replyBytes = reply instanceof Blob ? await reply.arrayBuffer() : reply;
            out.push({ kind, size, sent: await sha256(bytes), type: reply.constructor.name, same: replyBytes.byteLength === size, got: await sha256(replyBytes) });
          }
        }
      }
      socket.ws.close(1000, 'done');
      return { out, close: await socket.closed() };
    }, { url: server.wsUrl('/echo'), sizes: SIZES });

    assert.equal(results.out.length, SIZES.length * 3);
    const expectedType = { arraybuffer: 'ArrayBuffer', blob: 'Blob', text: 'string' };
    for (const result of results.out) {
      const label = `${result.kind} ${result.size} B`;
      assert.equal(result.type, expectedType[result.kind], label);
      assert.equal(result.same, true, label);
      assert.equal(result.got, result.sent, label);
    }
    // The server received exactly what the page sent, in order, with the right message type.
    assert.deepEqual(
      seen.echo.map(({ isBinary, size, sha }) => ({ isBinary, size, sha })),
      results.out.map((r) => ({ isBinary: r.kind !== 'text', size: r.size, sha: r.sent }))
    );
    assert.deepEqual(results.close, { code: 1000, reason: 'done', wasClean: true });
  });

  test('subprotocol selection is seen by both sides; Chromium fails the connection when none is selected', async () => {
    const result = await page.evaluate(async (url) => {
      const chosen = await window.sw.connect(url, ['chat.v1', 'chat.v2']);
      const first = { protocol: chosen.ws.protocol, message: await chosen.next() };
      chosen.ws.close();
      await chosen.closed();
      // The server answers without Sec-WebSocket-Protocol: browsers treat that as a failed handshake.
      const none = await window.sw.connect(url, ['other']);
      const second = { protocol: none.ws.protocol, close: await none.closed(), events: none.events };
      return [first, second];
    }, server.wsUrl('/proto'));
    assert.deepEqual(result[0], { protocol: 'chat.v2', message: 'you got "chat.v2"' });
    assert.deepEqual(result[1], {
      protocol: '',
      close: { code: 1006, reason: '', wasClean: false },
      events: ['error', 'close 1006']
    });
    assert.deepEqual(seen.protocols, ['chat.v2', '']);
    assert.deepEqual(seen.requests, ['chat.v1, chat.v2', 'other']);
  });

  test('page-initiated close: code and reason reach the server; the page sees a clean close', async () => {
    const serverClose = nextServerClose('/close');
    const pageClose = await page.evaluate(async (url) => {
      const socket = await window.sw.connect(url);
      socket.ws.close(4001, 'bye from the page ✓');
      return socket.closed();
    }, server.wsUrl('/close'));
    assert.deepEqual(pageClose, { code: 4001, reason: 'bye from the page ✓', wasClean: true });
    assert.deepEqual(await serverClose, [4001, 'bye from the page ✓']);

    const serverCloseNoCode = nextServerClose('/close');
    const noCode = await page.evaluate(async (url) => {
      const socket = await window.sw.connect(url);
      socket.ws.close();
      return socket.closed();
    }, server.wsUrl('/close'));
    assert.deepEqual(noCode, { code: 1005, reason: '', wasClean: true });
    assert.deepEqual(await serverCloseNoCode, [1005, '']);
  });

  test('server-initiated close: the page sees the code and reason, the server gets them echoed', async () => {
    const serverClose = nextServerClose('/close');
    const pageClose = await page.evaluate(async (url) => {
      const socket = await window.sw.connect(url);
      socket.ws.send(JSON.stringify(['close', 4002, 'server says bye']));
      return { close: await socket.closed(), events: socket.events };
    }, server.wsUrl('/close'));
    assert.deepEqual(pageClose, { close: { code: 4002, reason: 'server says bye', wasClean: true }, events: ['open', 'close 4002'] });
    assert.deepEqual(await serverClose, [4002, 'server says bye']);

    const serverGoingAway = nextServerClose('/close');
    const goingAway = await page.evaluate(async (url) => {
      const socket = await window.sw.connect(url);
      socket.ws.send(JSON.stringify(['close', 1001, '']));
      return socket.closed();
    }, server.wsUrl('/close'));
    assert.deepEqual(goingAway, { code: 1001, reason: '', wasClean: true });
    assert.deepEqual(await serverGoingAway, [1001, '']);
  });

  test('a connection dropped by the server without a close frame is 1006, not clean', async () => {
    const dropped = await page.evaluate(async (url) => {
      const socket = await window.sw.connect(url);
      socket.ws.send(JSON.stringify(['terminate']));
      return { close: await socket.closed(), events: socket.events };
    }, server.wsUrl('/close'));
    assert.deepEqual(dropped, { close: { code: 1006, reason: '', wasClean: false }, events: ['open', 'close 1006'] });
  });

  test('a refused handshake (401): the page sees error then close 1006, the server never accepts', async () => {
    const refused = await page.evaluate(async (url) => {
      const socket = await window.sw.connect(url);
      return { close: await socket.closed(), events: socket.events, readyState: socket.ws.readyState };
    }, server.wsUrl('/refuse'));
    assert.deepEqual(refused, { close: { code: 1006, reason: '', wasClean: false }, events: ['error', 'close 1006'], readyState: 3 });
    assert.equal(seen.refusedConnections, 0);
  });

  test('permessage-deflate is negotiated and large compressible messages echo byte-exact, compressed on the wire', async () => {
    const size = 2 * 1024 * 1024;
    const result = await page.evaluate(async ({ url, size }) => {
      const { connect, sha256, utf8 } = window.sw;
      const socket = await connect(url);
      socket.ws.binaryType = 'arraybuffer';
      const line = 'sockwire ♥ permessage-deflate: the quick brown fox jumps over the lazy dog. ';
      const text = line.repeat(Math.ceil(size / utf8(line).length)).slice(0, size);
      const bytes = new Uint8Array(size).map((_, i) => (i * 7) % 251);
      socket.ws.send(text);
      const textReply = await socket.next('compressed text');
      socket.ws.send(bytes);
      const binaryReply = await socket.next('compressed binary');
      const out = {
        extensions: socket.ws.extensions,
        textSame: textReply === text,
        textSha: await sha256(utf8(text)),
        binarySha: await sha256(bytes),
        binaryReplySha: await sha256(binaryReply)
      };
      socket.ws.close(1000);
      await socket.closed();
      return out;
    }, { url: server.wsUrl('/deflate'), size });
    assert.match(result.extensions, /^permessage-deflate(;|$)/);
    assert.equal(result.textSame, true);
    assert.equal(result.binaryReplySha, result.binarySha);
    assert.deepEqual(seen.deflate.map((m) => [m.isBinary, m.sha]), [[false, result.textSha], [true, result.binarySha]]);
    // Both directions were compressed: far fewer bytes crossed the socket than the ~2 × 2 MiB (+ text's UTF-8) sent.
    const [socket] = server.sockets['/deflate'];
    assert.ok(socket.bytesRead < size / 10, `read ${socket.bytesRead} bytes`);
    assert.ok(socket.bytesWritten < size / 10, `wrote ${socket.bytesWritten} bytes`);
  });
});
