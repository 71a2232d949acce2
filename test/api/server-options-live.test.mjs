// A server reads its options at each upgrade, as ws does: a change to `wss.options` applies to the connections
// accepted after it. sockwire shares one configuration object between a server's connections, so this also checks
// that the shared object is rebuilt when the options change, and (sockwire only) that it is shared while they don't.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WebSocket, WebSocketServer, implName } from '../helpers/impl.mjs';
import { onceEvent, withTimeout } from '../helpers/server-helpers.mjs';

/** A text frame whose payload is not UTF-8 (a lone lead byte), sent as a client would send any text. */
const INVALID_TEXT = Buffer.from([0xc3]);

async function startServer(t) {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await onceEvent(wss, 'listening');
  t.after(() => new Promise((resolve) => wss.close(() => resolve())));
  return wss;
}

/** Connect, send the invalid text, and report what the server did: the message it got, or the close code. */
async function sendInvalidText(wss) {
  const accepted = onceEvent(wss, 'connection');
  const client = new WebSocket(`ws://127.0.0.1:${wss.address().port}`);
  client.on('error', () => {});
  await onceEvent(client, 'open');
  const [serverSocket] = await accepted;
  serverSocket.on('error', () => {});
  const outcome = new Promise((resolve) => {
    serverSocket.on('message', (data, isBinary) => resolve({ message: [...data], isBinary }));
    client.on('close', (code) => resolve({ close: code }));
  });
  client.send(INVALID_TEXT, { binary: false });
  const result = await withTimeout(outcome, 'server outcome');
  client.terminate();
  return { result, serverSocket };
}

test('skipUTF8Validation changed on wss.options applies to the next connections, both ways', async (t) => {
  const wss = await startServer(t);
  const first = await sendInvalidText(wss);
  assert.deepEqual(first.result, { close: 1007 });
  wss.options.skipUTF8Validation = true;
  const second = await sendInvalidText(wss);
  assert.deepEqual(second.result, { message: [0xc3], isBinary: false });
  wss.options.skipUTF8Validation = false;
  const third = await sendInvalidText(wss);
  assert.deepEqual(third.result, { close: 1007 });
});

test('connections of one server share one configuration object while its options stay the same', { skip: implName !== 'sockwire' }, async (t) => {
  const wss = await startServer(t);
  wss.options.skipUTF8Validation = true;
  const a = await sendInvalidText(wss);
  const b = await sendInvalidText(wss);
  assert.ok(a.serverSocket._connection.config !== undefined);
  assert.equal(a.serverSocket._connection.config, b.serverSocket._connection.config);
  wss.options.closeTimeout = 1234;
  const c = await sendInvalidText(wss);
  assert.notEqual(c.serverSocket._connection.config, a.serverSocket._connection.config);
  assert.equal(c.serverSocket._connection.config.closeTimeout, 1234);
});

test('the shared configuration follows every limit read at upgrade time, including how maxFragments is unset', { skip: implName !== 'sockwire' }, async (t) => {
  const wss = await startServer(t);
  const first = (await sendInvalidText(wss)).serverSocket._connection;
  assert.equal(first.config.maxFragments, 256 * 1024);
  assert.equal(first.maxPayload, 100 * 1024 * 1024);
  // Set to undefined, maxFragments is coerced (`| 0`: no limit), as ws does; deleted, it falls back to the default.
  wss.options.maxFragments = undefined;
  const second = (await sendInvalidText(wss)).serverSocket._connection;
  assert.equal(second.config.maxFragments, 0);
  delete wss.options.maxFragments;
  const third = (await sendInvalidText(wss)).serverSocket._connection;
  assert.equal(third.config.maxFragments, 256 * 1024);
  wss.options.maxPayload = 4096;
  const fourth = (await sendInvalidText(wss)).serverSocket._connection;
  assert.equal(fourth.maxPayload, 4096);
  const generateMask = () => {};
  wss.options.generateMask = generateMask;
  const fifth = (await sendInvalidText(wss)).serverSocket._connection;
  assert.notEqual(fifth.config, fourth.config);
  assert.equal(fifth.config.generateMask, generateMask);
});
