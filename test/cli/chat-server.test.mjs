// The chat room's rules, in process: validation, length caps, nickname clean-up and uniqueness, history, the rate
// limit (with an injected clock, so nothing waits), binary refusal, and the heartbeat dropping silent clients.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { startServer, closeServer, urlOf, sockwire } from './run-cli.mjs';

const require = createRequire(import.meta.url);
const { ChatRoom, cleanNick, cleanText, CHAT_DEFAULTS } = require('../../dist/cjs/cli/chat-server.js');
const { WebSocket } = sockwire;

async function room(options, now) {
  const wss = await startServer();
  const chat = new ChatRoom({ heartbeatMs: 0, ...options }, now);
  chat.attach(wss);
  return { wss, chat };
}

/** A client whose JSON messages can be awaited one by one. */
function client(url, options) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options);
    const inbox = [];
    const waiters = [];
    ws.on('message', (data) => {
      const message = JSON.parse(data.toString());
      const waiter = waiters.shift();
      if (waiter) waiter(message);
      else inbox.push(message);
    });
    ws.next = () => (inbox.length > 0 ? Promise.resolve(inbox.shift()) : new Promise((r) => waiters.push(r)));
    ws.json = (value) => ws.send(typeof value === 'string' ? value : JSON.stringify(value));
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

async function joined(url, nick, options) {
  const ws = await client(url, options);
  ws.json({ type: 'join', nick });
  const welcome = await ws.next();
  assert.equal(welcome.type, 'welcome');
  await ws.next(); // its own 'online' update
  return { ws, welcome };
}

test('invalid requests get an error reply and the connection stays usable', async () => {
  const { wss } = await room();
  try {
    const ws = await client(urlOf(wss));
    const cases = [
      ['not json', 'messages must be JSON objects'],
      ['[1,2]', 'messages must be JSON objects'],
      ['null', 'messages must be JSON objects'],
      [{ type: 'dance' }, 'unknown message type (expected "join" or "say")'],
      [{ type: 'say', text: 'early' }, 'join first'],
      [{ type: 'join', nick: 42 }, '"nick" must be a string'],
      [{ type: 'join', nick: ' \u0007\t ' }, 'nickname is empty'],
      [{ type: 'join', nick: 'x'.repeat(25) }, 'nickname too long (max 24 characters)']
    ];
    for (const [request, error] of cases) {
      ws.json(request);
      assert.deepEqual(await ws.next(), { type: 'error', error }, JSON.stringify(request));
    }
    ws.json({ type: 'join', nick: '  Zoë \u202e  the\nfirst ' });
    assert.deepEqual(await ws.next(), { type: 'welcome', nick: 'Zoë the first', online: ['Zoë the first'], history: [] });
    await ws.next();
    ws.json({ type: 'join', nick: 'again' });
    assert.deepEqual(await ws.next(), { type: 'error', error: 'already joined' });
    ws.json({ type: 'say', text: 42 });
    assert.deepEqual(await ws.next(), { type: 'error', error: '"text" must be a string' });
    ws.json({ type: 'say', text: '   ' });
    assert.deepEqual(await ws.next(), { type: 'error', error: 'empty message' });
    ws.json({ type: 'say', text: '😀'.repeat(CHAT_DEFAULTS.maxTextLength + 1) });
    assert.deepEqual(await ws.next(), { type: 'error', error: 'message too long (max 500 characters)' });
    ws.json({ type: 'say', text: '😀'.repeat(CHAT_DEFAULTS.maxTextLength) }); // 500 code points is allowed
    const accepted = await ws.next();
    assert.equal(accepted.type, 'message');
    assert.equal(accepted.text, '😀'.repeat(500));
    ws.close();
  } finally {
    await closeServer(wss);
  }
});

test('nicknames are made unique case-insensitively; newcomers get the recent history', async () => {
  const { wss } = await room({ historySize: 2 });
  try {
    const first = await joined(urlOf(wss), 'Sam');
    for (const text of ['one', 'two', 'three']) {
      first.ws.json({ type: 'say', text });
      assert.equal((await first.ws.next()).text, text);
    }
    const second = await joined(urlOf(wss), 'sam');
    assert.equal(second.welcome.nick, 'sam (2)');
    assert.deepEqual(second.welcome.online, ['Sam', 'sam (2)']);
    assert.deepEqual(second.welcome.history.map((m) => [m.from, m.text]), [['Sam', 'two'], ['Sam', 'three']]);
    const third = await joined(urlOf(wss), 'SAM');
    assert.equal(third.welcome.nick, 'SAM (3)');
    for (const { ws } of [first, second, third]) ws.close();
  } finally {
    await closeServer(wss);
  }
});

test('a client over the rate limit is told to slow down until the bucket refills', async () => {
  let clock = 1_000_000;
  const { wss } = await room({ burst: 3, ratePerSecond: 1 }, () => clock);
  try {
    const { ws } = await joined(urlOf(wss), 'fast'); // the join used 1 of 3 tokens
    ws.json({ type: 'say', text: 'a' });
    ws.json({ type: 'say', text: 'b' });
    ws.json({ type: 'say', text: 'c' });
    assert.equal((await ws.next()).text, 'a');
    assert.equal((await ws.next()).text, 'b');
    assert.deepEqual(await ws.next(), { type: 'error', error: 'slow down: too many messages' });
    clock += 1000; // one token back
    ws.json({ type: 'say', text: 'd' });
    assert.equal((await ws.next()).text, 'd');
    ws.close();
  } finally {
    await closeServer(wss);
  }
});

test('a binary message closes the connection with 1003', async () => {
  const { wss } = await room();
  try {
    const ws = await client(urlOf(wss));
    const closed = new Promise((resolve) => ws.once('close', (code, reason) => resolve([code, reason.toString()])));
    ws.send(Buffer.from([1, 2, 3]));
    assert.deepEqual(await closed, [1003, 'text messages only']);
  } finally {
    await closeServer(wss);
  }
});

test('the heartbeat drops a client that stopped answering pings', async () => {
  const wss = await startServer();
  const chat = new ChatRoom({ heartbeatMs: 50 });
  chat.attach(wss);
  try {
    // A client that never pongs: the first tick pings, the second finds no pong and terminates.
    const serverSide = new Promise((resolve) => wss.once('connection', resolve));
    const { ws } = await joined(urlOf(wss), 'ghost', { autoPong: false });
    const serverClosed = new Promise((resolve) => serverSide.then((peer) => peer.once('close', resolve)));
    assert.deepEqual(chat.online, ['ghost']);
    let pings = 0;
    ws.on('ping', () => pings++);
    const closed = new Promise((resolve) => ws.once('close', (code) => resolve(code)));
    assert.equal(await closed, 1006);
    assert.equal(pings, 1);
    await serverClosed; // the room's own 'close' listener ran first

    assert.deepEqual(chat.online, []);
  } finally {
    chat.stop();
    await closeServer(wss);
  }
});

test('cleanNick and cleanText', () => {
  assert.equal(cleanNick('  a\u0000b\u200b  c\n'), 'ab c');
  assert.equal(cleanText(' line\r\nnext\u0007\n\n\n\n\nend '), 'line\nnext\n\n\nend');
  assert.equal(cleanText('tab\tkept'), 'tab\tkept');
});
