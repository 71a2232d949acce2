// Interop with an independent HTTP/2 WebSocket client: Python's `h2` + `wsproto` (Debian packages python3-h2 and
// python3-wsproto) against a sockwire server on node:http2, over TLS (ALPN h2, the test CA) and h2c. The client
// checks SETTINGS_ENABLE_CONNECT_PROTOCOL, sends the RFC 8441 extended CONNECT, echoes messages up to 1 MiB under
// HTTP/2 flow control, pings and closes; the server checks it saw an HTTP/2 stream.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { peer } from '../helpers/peers.mjs';
import { startH2 } from '../helpers/h2-fixture.mjs';

const CLIENT = fileURLToPath(new URL('./python/h2_ws_client.py', import.meta.url));
const CA = fileURLToPath(new URL('../fixtures/h2/ca.pem', import.meta.url));
const h2lib = peer('python3-h2');
const wsproto = peer('python3-wsproto');
const skip = h2lib.skip || wsproto.skip;
const SIZES = [0, 1, 125, 126, 65535, 65536, 300000, 1024 * 1024];

/** Run the client to completion (bounded) and return its JSON lines. */
function runClient(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(h2lib.path, [CLIENT, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines = [];
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    createInterface({ input: child.stdout }).on('line', (line) => lines.push(JSON.parse(line)));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30000);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(lines);
      else reject(new Error(`python client exited with ${code}: ${stderr}`));
    });
  });
}

for (const secure of [true, false]) {
  test(`Python h2 + wsproto client ↔ sockwire server over ${secure ? 'TLS' : 'h2c'}`, { skip, timeout: 60000 }, async () => {
    const h2 = await startH2({ secure, wss: { handleProtocols: (protocols) => (protocols.has('superchat') ? 'superchat' : false) } });
    const seen = [];
    h2.wss.on('connection', (ws, req) => {
      seen.push({ httpVersion: ws.httpVersion, method: req.method, origin: req.headers.origin, url: req.url });
      ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
      ws.on('close', (code, reason) => seen.push({ close: code, reason: reason.toString() }));
    });
    try {
      const lines = await runClient(['127.0.0.1', String(h2.port), secure ? 'tls' : 'h2c', CA, '/py?x=1', ...SIZES.map(String)]);
      const byEvent = (event) => lines.filter((line) => line.event === event);
      if (secure) assert.deepEqual(byEvent('alpn'), [{ event: 'alpn', protocol: 'h2' }]);
      assert.deepEqual(byEvent('settings'), [{ event: 'settings', enableConnectProtocol: 1 }]);
      assert.deepEqual(byEvent('response'), [{ event: 'response', status: '200', protocol: 'superchat', accept: null }]);
      assert.equal(byEvent('binary').length, SIZES.length);
      assert.ok(byEvent('binary').every((line) => line.same), JSON.stringify(byEvent('binary')));
      assert.equal(byEvent('text').length, SIZES.length);
      assert.ok(byEvent('text').every((line) => line.same), JSON.stringify(byEvent('text')));
      assert.deepEqual(byEvent('pong'), [{ event: 'pong', payload: 'py-ping' }]);
      assert.deepEqual(byEvent('close'), [{ event: 'close', code: 1000, reason: 'python done' }]);
      assert.deepEqual(seen[0], { httpVersion: '2.0', method: 'CONNECT', origin: 'https://python.example', url: '/py?x=1' });
    } finally {
      await h2.close();
    }
  });
}
