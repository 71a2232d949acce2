// WebSocket targets for the proxy tests: echo servers (ws:// and wss:// with the committed localhost certificate,
// permessage-deflate on) that record each upgrade request's headers, and a client helper that runs one echo
// round trip through whatever proxy the options name.
import { randomBytes } from 'node:crypto';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createRequire } from 'node:module';
import { once, record, eventNames, within } from './client-events.mjs';
import { cert, key } from './tls-fixture.mjs';

// Proxies are a sockwire feature (ws has no `proxy` option): always the built package, never SOCKWIRE_TEST_IMPL.
const require = createRequire(import.meta.url);
export const { WebSocket, WebSocketServer, createWebSocketStream } = require('../../dist/cjs/index.js');

/**
 * An echo server on port 0 of `listen` (127.0.0.1 unless told). `requests` holds the headers of every upgrade it accepted, `servernames` the TLS
 * server name (SNI) each wss:// connection asked for.
 */
export async function startEchoServer({ secure = false, listen = '127.0.0.1' } = {}) {
  const server = secure ? createHttpsServer({ cert, key }) : createHttpServer();
  const wss = new WebSocketServer({ server, perMessageDeflate: true });
  const requests = [];
  const servernames = [];
  wss.on('connection', (ws, req) => {
    requests.push(req.headers);
    if (secure) servernames.push(req.socket.servername);
    ws.on('error', () => {});
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  });
  await new Promise((resolve) => server.listen(0, listen, resolve));
  const { port } = server.address();
  return {
    port,
    requests,
    servernames,
    /** The URL with `host` (default: the listening address; 'localhost' for SNI checks). */
    url: (host = listen.includes(':') ? `[${listen}]` : listen, path = '/') => `${secure ? 'wss' : 'ws'}://${host}:${port}${path}`,
    close() {
      for (const client of wss.clients) client.terminate();
      wss.close();
      server.closeAllConnections?.();
      return new Promise((resolve) => server.close(resolve));
    }
  };
}

/** Options that trust the fixture certificate of a wss:// echo server. */
export const trustFixture = { ca: cert };

/** Opens `url` with `options`, sends `message`, waits for the echo, closes with 1000; resolves with what came back. */
export async function echoOnce(url, options, message = 'hello through the proxy', ms = 10000) {
  const ws = new WebSocket(url, options);
  const failed = new Promise((_, reject) => ws.once('error', reject));
  await Promise.race([once(ws, 'open', ms), failed]);
  ws.send(message);
  const [data, isBinary] = await Promise.race([once(ws, 'message', ms), failed]);
  ws.close(1000);
  const [code] = await once(ws, 'close', ms);
  return { ws, data, isBinary, code };
}

/** Opens `url` expecting the handshake to fail; resolves with the recorded events (error then close). */
export async function failOnce(url, options, ms = 10000) {
  const ws = new WebSocket(url, options);
  const { log, done } = record(ws, ['upgrade', 'open', 'error', 'close'], { ms });
  await done;
  return { ws, log, names: eventNames(log), error: log.find(([name]) => name === 'error')?.[1], code: log.at(-1)[1] };
}

/**
 * The data path through a tunnel: permessage-deflate negotiated, a large random binary message and a compressible
 * text message echoed byte-exact, then `createWebSocketStream` carrying 1 MiB in 64 KiB writes, byte-exact.
 */
export async function checkDataPath(url, options, { large = 4 * 1024 * 1024 } = {}) {
  const ws = new WebSocket(url, options);
  const failed = new Promise((_, reject) => ws.once('error', reject));
  const guard = (promise) => Promise.race([promise, failed]);
  await guard(once(ws, 'open', 15000));
  const extensions = ws.extensions;
  const payload = randomBytes(large);
  ws.send(payload);
  const [echoed, isBinary] = await guard(once(ws, 'message', 30000));
  const text = 'compressible '.repeat(20000);
  ws.send(text);
  const [echoedText] = await guard(once(ws, 'message', 15000));
  const stream = createWebSocketStream(ws);
  const streamed = randomBytes(1024 * 1024);
  const received = [];
  let length = 0;
  const all = new Promise((resolve, reject) => {
    stream.on('data', (chunk) => {
      received.push(chunk);
      length += chunk.length;
      if (length >= streamed.length) resolve();
    });
    stream.on('error', reject);
  });
  for (let at = 0; at < streamed.length; at += 64 * 1024) stream.write(streamed.subarray(at, at + 64 * 1024));
  await guard(within(all, 30000, 'the streamed echo'));
  ws.close(1000);
  const [code] = await once(ws, 'close', 15000);
  return {
    extensions,
    largeExact: isBinary && Buffer.compare(echoed, payload) === 0,
    textExact: echoedText.toString() === text,
    streamExact: Buffer.compare(Buffer.concat(received), streamed) === 0,
    code
  };
}
