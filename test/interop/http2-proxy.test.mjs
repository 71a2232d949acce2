// sockwire behind real HTTP/2 reverse proxies (Debian's nghttpx and HAProxy): a sockwire client speaks RFC 8441 to
// the proxy's TLS frontend (ALPN h2, the test certificate), and the proxy forwards to a sockwire server either as an
// HTTP/1.1 upgrade (h2 → h1) or as an extended CONNECT over h2c (h2 → h2). Both ends check the HTTP version they
// saw, and messages up to 1 MiB echo byte-exact. Each proxy runs from a config written here, on a free loopback
// port, and is stopped by PID.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { peer } from '../helpers/peers.mjs';
import { cert, clientOptions, key, nextMessage, openClient, closed, sockwire } from '../helpers/h2-fixture.mjs';

const KEY_FILE = fileURLToPath(new URL('../fixtures/h2/key.pem', import.meta.url));
const CERT_FILE = fileURLToPath(new URL('../fixtures/h2/cert.pem', import.meta.url));
const nghttpx = peer('nghttpx');
const haproxy = peer('haproxy');
const workDir = mkdtempSync(join(tmpdir(), 'sockwire-h2-proxy-'));
after(() => rmSync(workDir, { recursive: true, force: true }));

async function freePort() {
  const probe = net.createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** Wait (bounded) until something accepts TCP connections on `port`. */
async function waitForPort(port, child) {
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`proxy exited with ${child.exitCode}`);
    const up = await new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (up) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`nothing listens on ${port}`);
}

function startProxy(path, args) {
  const child = spawn(path, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr = (stderr + chunk).slice(-4000)));
  return {
    child,
    get stderr() {
      return stderr;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await once(child, 'exit');
      clearTimeout(timer);
    }
  };
}

/** A sockwire echo server: HTTP/1.1 (h1) or h2c (port mode `http2: true`). */
async function startBackend(backendHttp2) {
  const wss = new sockwire.WebSocketServer({ port: 0, host: '127.0.0.1', ...(backendHttp2 ? { http2: true } : {}) });
  await once(wss, 'listening');
  const seen = [];
  wss.on('connection', (ws, req) => {
    seen.push({ httpVersion: ws.httpVersion, url: req.url });
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  });
  return { wss, seen, port: wss.address().port, close: () => new Promise((resolve) => wss.close(resolve)) };
}

/** Open a client through the proxy, echo a few sizes, close; returns what both ends saw. */
async function exercise(port, backend) {
  const ws = await openClient(`wss://localhost:${port}/through-proxy?x=1`, clientOptions(true));
  const clientVersion = ws.httpVersion;
  for (const size of [0, 125, 65536, 1024 * 1024]) {
    const data = Buffer.alloc(size, size & 0xff);
    ws.send(data);
    const [reply] = await nextMessage(ws, 15000);
    assert.ok(reply.equals(data), `echo of ${size} bytes`);
  }
  ws.send('text through the proxy');
  assert.equal((await nextMessage(ws))[0].toString(), 'text through the proxy');
  const closing = closed(ws);
  ws.close(4000, 'proxied bye');
  const [code, reason] = await closing;
  return { clientVersion, backend: backend.seen[0], code, reason };
}

const proxies = {
  nghttpx: {
    found: nghttpx,
    args: (port, backendPort, backendHttp2) => [
      '--conf=/dev/null',
      '--single-process',
      `--frontend=127.0.0.1,${port}`,
      `--backend=127.0.0.1,${backendPort}${backendHttp2 ? ';;proto=h2' : ''}`,
      '--no-ocsp',
      '--errorlog-file=/dev/stderr',
      '--accesslog-file=/dev/null',
      '--log-level=WARN',
      KEY_FILE,
      CERT_FILE
    ]
  },
  haproxy: {
    found: haproxy,
    args: (port, backendPort, backendHttp2, name) => {
      const pem = join(workDir, `${name}.pem`);
      writeFileSync(pem, Buffer.concat([cert, key]));
      const config = join(workDir, `${name}.cfg`);
      writeFileSync(
        config,
        [
          'global',
          '  log stderr format raw local0 warning',
          'defaults',
          '  mode http',
          '  timeout connect 5s',
          '  timeout client 30s',
          '  timeout server 30s',
          '  timeout tunnel 30s',
          'frontend fe',
          `  bind 127.0.0.1:${port} ssl crt ${pem} alpn h2,http/1.1`,
          '  default_backend be',
          'backend be',
          `  server s1 127.0.0.1:${backendPort}${backendHttp2 ? ' proto h2' : ''}`,
          ''
        ].join('\n')
      );
      return ['-db', '-f', config];
    }
  }
};

for (const [name, proxy] of Object.entries(proxies)) {
  describe(`${name} as an HTTP/2 reverse proxy in front of sockwire`, { skip: proxy.found.skip }, () => {
    for (const backendHttp2 of [false, true]) {
      test(`h2 → ${backendHttp2 ? 'h2 (extended CONNECT on h2c)' : 'h1 (HTTP/1.1 upgrade)'}`, async () => {
        const backend = await startBackend(backendHttp2);
        const port = await freePort();
        const running = startProxy(proxy.found.path, proxy.args(port, backend.port, backendHttp2, `${name}-${backendHttp2}`));
        try {
          await waitForPort(port, running.child);
          const result = await exercise(port, backend);
          assert.deepEqual(result, {
            clientVersion: '2.0',
            backend: { httpVersion: backendHttp2 ? '2.0' : '1.1', url: '/through-proxy?x=1' },
            code: 4000,
            reason: 'proxied bye'
          });
        } catch (error) {
          error.message += `\n${name} stderr: ${running.stderr}`;
          throw error;
        } finally {
          await running.stop();
          await backend.close();
        }
      });
    }
  });
}
