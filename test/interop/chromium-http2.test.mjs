// Interop with a real browser over HTTP/2 (RFC 8441): headless Chromium loads a page from a sockwire-served
// node:http2 TLS server (an app 'request' listener included, nodejs/node#36977), then opens WebSockets from it. The
// server asserts that each socket arrived as an extended CONNECT stream on the very session that served the page,
// and echo, subprotocols, permessage-deflate and close codes work as on HTTP/1.1. Chromium trusts the test
// certificate through an SPKI pin flag.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import http2 from 'node:http2';
import { CHROMIUM_SKIP, launchChromium } from './helpers/chromium-browser.mjs';
import { installPageHelpers } from './helpers/chromium-page.mjs';
import { cert, key, sockwire } from '../helpers/h2-fixture.mjs';

const PAGE = '<!doctype html><meta charset="utf-8"><title>sockwire h2</title><p>sockwire over HTTP/2</p>';
const SIZES = [0, 1, 125, 126, 65535, 65536, 1024 * 1024];

/** `--ignore-certificate-errors-spki-list` takes base64(SHA-256(SubjectPublicKeyInfo)). */
function spkiPin(pem) {
  const spki = new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('base64');
}

describe('Chromium WebSocket over HTTP/2 ↔ sockwire server', { skip: CHROMIUM_SKIP }, () => {
  let server;
  let wss;
  let browser;
  let page;
  let origin;
  const pageSessions = new Set();
  const accepted = [];

  before(async () => {
    server = http2.createSecureServer({ key, cert, allowHTTP1: true });
    server.on('request', (req, res) => {
      pageSessions.add(req.stream.session);
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(PAGE);
    });
    wss = new sockwire.WebSocketServer({ server, perMessageDeflate: true, handleProtocols: (set) => (set.has('chat.v2') ? 'chat.v2' : false) });
    wss.on('connection', (ws, req) => {
      accepted.push({ ws, req, session: req.stream.session, httpVersion: ws.httpVersion });
      if (req.url.startsWith('/echo')) ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
      if (req.url.startsWith('/close')) ws.on('message', (data) => ws.close(...JSON.parse(data.toString())));
      if (req.url.startsWith('/terminate')) ws.on('message', () => ws.terminate());
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    origin = `https://localhost:${server.address().port}`;
    browser = await launchChromium({ args: [`--ignore-certificate-errors-spki-list=${spkiPin(cert)}`] });
    page = await browser.newPage();
    await page.goto(`${origin}/`);
    await page.evaluate(installPageHelpers);
  });

  after(async () => {
    await browser?.close();
    for (const { ws } of accepted) ws.terminate();
    wss?.close();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve()));
  });

  test('the page came over h2 and the WebSocket rides the same HTTP/2 session', async () => {
    const protocol = await page.evaluate(() => performance.getEntriesByType('navigation')[0].nextHopProtocol);
    assert.equal(protocol, 'h2');
    const result = await page.evaluate(async (url) => {
      const socket = await window.sw.connect(url, ['chat.v1', 'chat.v2']);
      socket.ws.send('hello over h2');
      const reply = await socket.next();
      const out = { reply, protocol: socket.ws.protocol, extensions: socket.ws.extensions, events: socket.events.slice() };
      socket.ws.close(1000, 'done');
      out.close = await socket.closed();
      return out;
    }, `${origin.replace('https', 'wss')}/echo`);
    assert.equal(result.reply, 'hello over h2');
    assert.equal(result.protocol, 'chat.v2');
    assert.match(result.extensions, /^permessage-deflate/);
    assert.deepEqual(result.close, { code: 1000, reason: 'done', wasClean: true });
    const [first] = accepted;
    assert.equal(first.httpVersion, '2.0');
    assert.equal(first.req.httpVersion, '2.0');
    assert.equal(first.req.method, 'CONNECT');
    assert.equal(first.req.headers[':protocol'], 'websocket');
    assert.equal(first.req.headers.host, `localhost:${server.address().port}`);
    assert.equal(first.req.headers['sec-websocket-key'], undefined);
    assert.equal(pageSessions.size, 1);
    assert.equal(first.session, [...pageSessions][0]);
  });

  test('binary and text echo of 0 B … 1 MiB, byte-exact, on several sockets of one session', async () => {
    const results = await page.evaluate(
      async ({ url, sizes }) => {
        const { connect, sha256, randomBytes, randomText, utf8 } = window.sw;
        const sockets = await Promise.all([connect(url), connect(url), connect(url)]);
        const out = [];
        for (const [i, socket] of sockets.entries()) {
          socket.ws.binaryType = 'arraybuffer';
          for (const size of sizes) {
            const bytes = randomBytes(size);
            socket.ws.send(bytes);
            const reply = await socket.next(`binary ${size} on ${i}`);
            out.push({ size, same: (await sha256(bytes)) === (await sha256(reply)) });
            const text = randomText(size);
            socket.ws.send(text);
            const echoed = await socket.next(`text ${size} on ${i}`);
            out.push({ size, same: echoed === text && (await sha256(utf8(echoed))) === (await sha256(utf8(text))) });
          }
          socket.ws.close();
        }
        return out;
      },
      { url: `${origin.replace('https', 'wss')}/echo`, sizes: SIZES }
    );
    assert.equal(results.length, 3 * 2 * SIZES.length);
    assert.ok(results.every((r) => r.same), JSON.stringify(results.filter((r) => !r.same)));
    const echoSockets = accepted.filter(({ req }) => req.url === '/echo');
    assert.ok(echoSockets.length >= 4);
    assert.equal(new Set(echoSockets.map(({ session }) => session)).size, 1);
    assert.ok(echoSockets.every(({ httpVersion }) => httpVersion === '2.0'));
  });

  test('server-initiated close codes reach the browser; a terminated socket is 1006', async () => {
    const result = await page.evaluate(async (url) => {
      const { connect } = window.sw;
      const a = await connect(url);
      a.ws.send(JSON.stringify([4000, 'server chose']));
      const first = await a.closed();
      const b = await connect(url);
      b.ws.send(JSON.stringify([1001, 'going']));
      const second = await b.closed();
      return [first, second];
    }, `${origin.replace('https', 'wss')}/close`);
    assert.deepEqual(result, [
      { code: 4000, reason: 'server chose', wasClean: true },
      { code: 1001, reason: 'going', wasClean: true }
    ]);
    const closers = accepted.filter(({ req }) => req.url === '/close');
    const serverSide = await Promise.all(closers.map(({ ws }) => (ws.readyState === 3 ? null : once(ws, 'close'))));
    assert.equal(serverSide.length, 2);
    // ws.terminate() resets the stream with CANCEL (RFC 8441 §6): the browser reports an unclean 1006, and the
    // session's other WebSocket is untouched.
    const terminated = await page.evaluate(async (urls) => {
      const { connect } = window.sw;
      const bystander = await connect(urls.echo);
      const doomed = await connect(urls.terminate);
      doomed.ws.send('terminate me');
      const closedBy = await doomed.closed();
      bystander.ws.send('still here');
      const reply = await bystander.next();
      bystander.ws.close();
      return { closedBy, reply };
    }, { echo: `${origin.replace('https', 'wss')}/echo`, terminate: `${origin.replace('https', 'wss')}/terminate` });
    assert.deepEqual(terminated, { closedBy: { code: 1006, reason: '', wasClean: false }, reply: 'still here' });
    const [doomedServer] = accepted.filter(({ req }) => req.url === '/terminate');
    assert.equal(doomedServer.session, [...pageSessions][0]);
    assert.equal(doomedServer.ws._socket.rstCode, http2.constants.NGHTTP2_CANCEL);
    // After the page's sockets closed, the browser's session still serves new WebSockets.
    const again = await page.evaluate(async (url) => {
      const socket = await window.sw.connect(url);
      socket.ws.send('again');
      const reply = await socket.next();
      socket.ws.close();
      return reply;
    }, `${origin.replace('https', 'wss')}/echo`);
    assert.equal(again, 'again');
  });
});
