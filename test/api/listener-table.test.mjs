// The WebSocket's listener table (src/api/listener-table.ts): kept in V8's fast mode, so an idle socket does not
// carry a dictionary, and still a table with no inherited names, as Node's own is. Runs in a child with
// --allow-natives-syntax to ask V8 which mode the object is in.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const entry = fileURLToPath(new URL('../../dist/cjs/index.js', import.meta.url));

const probe = `
const { WebSocket, WebSocketServer } = require(${JSON.stringify(entry)});
const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' }, () => {
  const client = new WebSocket('ws://127.0.0.1:' + wss.address().port);
  client.on('error', () => {});
  client.on('close', () => wss.close());
});
wss.on('connection', (ws) => {
  ws.on('message', () => {});
  ws.on('error', () => {});
  ws.once('pong', () => {});
  const events = ws._events;
  console.log(JSON.stringify({
    fast: %HasFastProperties(events),
    prototype: Object.getPrototypeOf(events),
    names: ws.eventNames()
  }));
  ws.terminate();
});
`;

test('an accepted socket with the usual listeners keeps a fast-mode listener table with a null prototype', () => {
  const run = spawnSync(process.execPath, ['--allow-natives-syntax', '-e', probe], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(run.status, 0, run.stderr);
  assert.deepEqual(JSON.parse(run.stdout), { fast: true, prototype: null, names: ['close', 'message', 'error', 'pong'] });
});
