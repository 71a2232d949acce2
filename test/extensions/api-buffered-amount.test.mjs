// bufferedAmount while compressed sends wait behind one another, and after the socket dies mid-compression:
// the same numbers as ws, the reference (queued bytes count until they are written; a dead socket keeps them).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const sockwire = require('../../dist/cjs/index.js');
const ws = require('ws');

const MESSAGE = Buffer.alloc(100000, 'abcdefgh');

async function observe(lib) {
  const wss = new lib.WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: { threshold: 0 } });
  await new Promise((resolve) => wss.once('listening', resolve));
  const client = new lib.WebSocket(`ws://127.0.0.1:${wss.address().port}`);
  client.on('error', () => {});
  const [server] = await new Promise((resolve) => wss.once('connection', (...args) => resolve(args)));
  server.on('error', () => {});
  const seen = [];
  for (let i = 0; i < 3; i++) server.send(MESSAGE);
  seen.push(server.bufferedAmount);
  server.terminate();
  await new Promise((resolve) => server.once('close', resolve));
  await new Promise((resolve) => setTimeout(resolve, 50));
  seen.push(server.bufferedAmount);
  client.terminate();
  await new Promise((resolve) => wss.close(resolve));
  return seen;
}

test('bufferedAmount counts sends queued behind a compression, and keeps them after terminate (as ws)', async () => {
  const reference = await observe(ws);
  assert.deepEqual(reference, [3 * MESSAGE.length, 3 * MESSAGE.length]);
  assert.deepEqual(await observe(sockwire), reference);
});
