// SPEC §5 (EventTarget): the Event classes, addEventListener/removeEventListener and the on* attributes.
// Socket tests run on two targets: the WebSocket under test (impl: ws or sockwire), and a ws WebSocket subclass with
// sockwire's event-target functions installed, which checks src/api/event-target.ts on a known-good socket.
// Class unit tests run on both sockwire's classes (dist) and ws's, so every assertion is checked against ws.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import impl, { implName } from '../helpers/impl.mjs';
import { once, delay } from '../helpers/client-events.mjs';
import { startAcceptingServer } from '../helpers/client-raw-server.mjs';

const require = createRequire(import.meta.url);
const wsLib = require('ws');
const sockwireEvents = require('../../dist/cjs/api/event-target.js');
// ws does not export its event classes by name; load them from the installed package to compare behaviour.
const wsEvents = require(join(dirname(require.resolve('ws')), 'lib', 'event-target.js'));

const T = { timeout: 10000 };

/** ws's WebSocket with sockwire's EventTarget functions in place of its own. */
class Grafted extends wsLib.WebSocket {
  // ws keeps these two flags privately; together they are what kWasClean must report (RFC 6455 §7.1.4).
  get [sockwireEvents.kWasClean]() {
    return this._closeFrameReceived && this._closeFrameSent;
  }
}
Grafted.prototype.addEventListener = sockwireEvents.addEventListener;
Grafted.prototype.removeEventListener = sockwireEvents.removeEventListener;
sockwireEvents.defineEventHandlerAttributes(Grafted.prototype);

const targets = [
  { name: implName, WebSocket: impl.WebSocket, WebSocketServer: impl.WebSocketServer },
  { name: 'ws+sockwire-event-target', WebSocket: Grafted, WebSocketServer: wsLib.WebSocketServer }
];

/**
 * Starts a server on 127.0.0.1:0 whose connections go to `onConnection`, opens a client to it and runs
 * `body(ws)`. Whatever happens, every socket is terminated and the server closed afterwards, so a failing
 * assertion cannot keep the process alive.
 */
async function withPair(target, onConnection, body) {
  const wss = new target.WebSocketServer({ port: 0, host: '127.0.0.1' });
  await once(wss, 'listening');
  wss.on('connection', onConnection);
  const ws = new target.WebSocket(`ws://127.0.0.1:${wss.address().port}`);
  try {
    await body(ws);
  } finally {
    // terminate() while connecting emits 'error'; nobody may be listening any more.
    ws.on('error', () => {});
    ws.terminate();
    for (const client of wss.clients) client.terminate();
    await new Promise((resolve) => wss.close(() => resolve()));
  }
}

/** Describes an event as a plain array so whole sequences can be compared with deepEqual. */
function describe(event, ws, self) {
  const common = [event.constructor.name, event.type, event.target === ws, self === ws];
  switch (event.type) {
    case 'message':
      return [...common, event.data];
    case 'close':
      return [...common, event.code, event.reason, event.wasClean];
    case 'error':
      return [...common, event.message, event.error.code, event.error instanceof RangeError];
    default:
      return common;
  }
}

/** Resolves after the `'close'` emitter event of `ws` (bounded). */
function closed(ws) {
  return once(ws, 'close', 5000);
}

// ---- Event classes -------------------------------------------------------------------------------------------

const FIELDS = {
  Event: ['target', 'type'],
  MessageEvent: ['data'],
  CloseEvent: ['code', 'reason', 'wasClean'],
  ErrorEvent: ['error', 'message']
};

for (const [source, classes] of [
  ['sockwire', sockwireEvents],
  ['ws', wsEvents]
]) {
  const { Event, MessageEvent, CloseEvent, ErrorEvent } = classes;

  test(`${source} classes: names, arity, inheritance`, () => {
    for (const [name, C] of Object.entries({ Event, MessageEvent, CloseEvent, ErrorEvent })) {
      assert.equal(C.name, name);
      assert.equal(C.length, 1);
      assert.ok(new C('x') instanceof Event);
      assert.throws(() => C('x'), TypeError);
    }
    assert.equal(Object.getPrototypeOf(MessageEvent), Event);
    assert.equal(Object.getPrototypeOf(CloseEvent), Event);
    assert.equal(Object.getPrototypeOf(ErrorEvent), Event);
  });

  test(`${source} classes: fields are enumerable read-only getters on the prototype`, () => {
    for (const [name, fields] of Object.entries(FIELDS)) {
      const proto = classes[name].prototype;
      assert.deepEqual(Object.keys(proto), fields, name);
      for (const field of fields) {
        const d = Object.getOwnPropertyDescriptor(proto, field);
        assert.equal(typeof d.get, 'function', `${name}.${field}`);
        assert.equal(d.set, undefined);
        assert.equal(d.enumerable, true);
        assert.equal(d.configurable, true);
      }
      const instance = new classes[name]('t');
      assert.deepEqual(Object.keys(instance), []);
      // ESM is strict: assigning to a getter-only property throws.
      assert.throws(() => {
        instance.type = 'other';
      }, TypeError);
      assert.equal(instance.type, 't');
    }
  });

  test(`${source} classes: defaults`, () => {
    const e = new Event('open');
    assert.equal(e.type, 'open');
    assert.equal(e.target, null);
    assert.equal(new Event().type, undefined);
    assert.equal(new MessageEvent('message').data, null);
    const c = new CloseEvent('close');
    assert.deepEqual([c.type, c.code, c.reason, c.wasClean, c.target], ['close', 0, '', false, null]);
    const u = new CloseEvent('close', { code: undefined, reason: undefined, wasClean: undefined });
    assert.deepEqual([u.code, u.reason, u.wasClean], [0, '', false]);
    const r = new ErrorEvent('error');
    assert.deepEqual([r.error, r.message], [null, '']);
  });

  test(`${source} classes: given values are kept as they are`, () => {
    const data = Buffer.from([1, 2]);
    assert.equal(new MessageEvent('message', { data }).data, data);
    assert.equal(new MessageEvent('message', { data: 0 }).data, 0);
    const c = new CloseEvent('close', { code: 4000, reason: 'r', wasClean: true });
    assert.deepEqual([c.code, c.reason, c.wasClean], [4000, 'r', true]);
    // Only undefined selects a default: null and other types pass through.
    const n = new CloseEvent('close', { code: null, reason: null, wasClean: null });
    assert.deepEqual([n.code, n.reason, n.wasClean], [null, null, null]);
    assert.equal(new CloseEvent('close', { wasClean: 1 }).wasClean, 1);
    const error = new Error('e');
    const r = new ErrorEvent('error', { error, message: 'm' });
    assert.equal(r.error, error);
    assert.equal(r.message, 'm');
    assert.equal(new Event(123).type, 123);
    assert.throws(() => new CloseEvent('close', null), TypeError);
  });
}

test('sockwire exports kWasClean and the listener functions', () => {
  assert.equal(typeof sockwireEvents.kWasClean, 'symbol');
  assert.equal(typeof sockwireEvents.addEventListener, 'function');
  assert.equal(typeof sockwireEvents.removeEventListener, 'function');
  assert.equal(typeof sockwireEvents.defineEventHandlerAttributes, 'function');
});

// ---- Listeners on a live WebSocket ---------------------------------------------------------------------------

for (const target of targets) {
  const name = target.name;

  test(`${name}: open, message and close events in order with exact fields`, T, async () => {
    const log = [];
    const onConnection = (peer) => {
      peer.send('héllo');
      peer.send(Buffer.from([1, 2, 3]));
      peer.close(4000, 'bye');
    };
    await withPair(target, onConnection, async (ws) => {
      for (const type of ['open', 'message', 'error', 'close']) {
        ws.addEventListener(type, function (event) {
          log.push(describe(event, ws, this));
        });
      }
      ws.on('message', (data, isBinary) => log.push(['emitter message', isBinary]));
      await closed(ws);
    });
    assert.deepEqual(log, [
      ['Event', 'open', true, true],
      ['MessageEvent', 'message', true, true, 'héllo'],
      ['emitter message', false],
      ['MessageEvent', 'message', true, true, Buffer.from([1, 2, 3])],
      ['emitter message', true],
      ['CloseEvent', 'close', true, true, 4000, 'bye', true]
    ]);
  });

  test(`${name}: message data follows binaryType for binary and is a string for text`, T, async () => {
    const data = [];
    const log = [];
    const onConnection = (peer) => {
      peer.send(Buffer.from([7, 8]));
      peer.send('text');
      peer.close();
    };
    await withPair(target, onConnection, async (ws) => {
      ws.binaryType = 'arraybuffer';
      ws.addEventListener('message', (event) => data.push(event.data));
      ws.addEventListener('close', (event) => log.push([event.code, event.reason, event.wasClean]));
      await closed(ws);
    });
    assert.equal(data.length, 2);
    assert.ok(data[0] instanceof ArrayBuffer);
    assert.deepEqual([...new Uint8Array(data[0])], [7, 8]);
    assert.equal(data[1], 'text');
    assert.deepEqual(log, [[1005, '', true]]);
  });

  test(`${name}: handleEvent objects are called with themselves as this`, T, async () => {
    const calls = [];
    await withPair(
      target,
      (peer) => peer.close(1000),
      async (ws) => {
        const listener = {
          handleEvent(event) {
            calls.push([event.type, this === listener, event.target === ws]);
          }
        };
        ws.addEventListener('open', listener);
        ws.addEventListener('close', listener);
        await closed(ws);
      }
    );
    assert.deepEqual(calls, [
      ['open', true, true],
      ['close', true, true]
    ]);
  });

  test(`${name}: duplicates are ignored, once fires once, other types are ignored`, T, async () => {
    const calls = [];
    const onConnection = (peer) => {
      peer.send('a');
      peer.send('b');
      peer.close();
    };
    await withPair(target, onConnection, async (ws) => {
      const every = (event) => calls.push(['every', event.data]);
      const first = (event) => calls.push(['first', event.data]);
      ws.addEventListener('message', every);
      ws.addEventListener('message', every);
      ws.addEventListener('message', first, { once: true });
      ws.addEventListener('message', first, { once: true });
      ws.addEventListener('message', every, { once: true });
      assert.equal(ws.listenerCount('message'), 2);
      for (const type of ['ping', 'pong', 'upgrade', 'foo']) {
        ws.addEventListener(type, every);
        assert.equal(ws.listenerCount(type), 0, type);
      }
      // Options that are not an object with once: true add a plain listener.
      ws.addEventListener('open', () => calls.push(['third']), true);
      assert.equal(ws.listenerCount('open'), 1);
      await closed(ws);
      assert.equal(ws.listenerCount('message'), 1);
    });
    assert.deepEqual(calls, [['third'], ['every', 'a'], ['first', 'a'], ['every', 'b']]);
  });

  test(`${name}: removeEventListener removes only listeners added with addEventListener`, T, async () => {
    const calls = [];
    const onConnection = (peer) => {
      peer.send('m');
      peer.close();
    };
    await withPair(target, onConnection, async (ws) => {
      const f = function (event) {
        calls.push(['f', event.data, this === ws]);
      };
      const g = (data) => calls.push(['g', String(data)]);
      const object = { handleEvent: () => calls.push(['object']) };
      const early = () => calls.push(['early']);
      ws.addEventListener('message', f);
      ws.onmessage = f;
      ws.on('message', g);
      ws.addEventListener('message', object);
      ws.addEventListener('message', early, { once: true });
      assert.equal(ws.listenerCount('message'), 5);

      ws.removeEventListener('message', f);
      assert.equal(ws.listenerCount('message'), 4);
      assert.equal(ws.onmessage, f);
      ws.removeEventListener('message', f);
      ws.removeEventListener('message', g);
      assert.equal(ws.listenerCount('message'), 4);
      ws.removeEventListener('message', object);
      ws.removeEventListener('message', early);
      assert.equal(ws.listenerCount('message'), 2);
      ws.removeEventListener('bogus', f);
      ws.removeEventListener('close', f);
      await closed(ws);
    });
    assert.deepEqual(calls, [
      ['f', 'm', true],
      ['g', 'm']
    ]);
  });

  test(`${name}: removeEventListener only affects the type it is given`, T, async () => {
    const calls = [];
    const onConnection = (peer) => {
      peer.send('m');
      peer.close();
    };
    await withPair(target, onConnection, async (ws) => {
      const f = () => calls.push('f');
      ws.addEventListener('message', f);
      ws.addEventListener('close', f);
      ws.removeEventListener('message', f);
      assert.equal(ws.listenerCount('message'), 0);
      assert.equal(ws.listenerCount('close'), 1);
      await closed(ws);
    });
    assert.deepEqual(calls, ['f']);
  });

  test(`${name}: addEventListener and removeEventListener are enumerable prototype methods`, T, async () => {
    await withPair(
      target,
      () => {},
      async (ws) => {
        for (const key of ['addEventListener', 'removeEventListener']) {
          assert.equal(Object.hasOwn(ws, key), false, key);
          const d = Object.getOwnPropertyDescriptor(target.WebSocket.prototype, key);
          assert.equal(typeof d.value, 'function', key);
          assert.equal(d.enumerable, true, key);
        }
        await once(ws, 'open');
      }
    );
  });

  test(`${name}: on* attributes are enumerable accessors; setting replaces, non-functions remove`, T, async () => {
    const calls = [];
    const onConnection = (peer) => {
      peer.send('hi');
      peer.close(4321, 'done');
    };
    await withPair(target, onConnection, async (ws) => {
      let proto = Object.getPrototypeOf(ws);
      while (!Object.hasOwn(proto, 'onopen')) proto = Object.getPrototypeOf(proto);
      assert.deepEqual(
        Object.keys(proto).filter((key) => key.startsWith('on')),
        ['onclose', 'onerror', 'onopen', 'onmessage']
      );
      for (const key of ['onopen', 'onmessage', 'onerror', 'onclose']) {
        const d = Object.getOwnPropertyDescriptor(proto, key);
        assert.equal(typeof d.get, 'function', key);
        assert.equal(typeof d.set, 'function', key);
        assert.equal(d.enumerable, true);
        assert.equal(d.configurable, true);
        assert.equal(ws[key], null, key);
        assert.equal(Object.hasOwn(ws, key), false);
      }

      const f = function (event) {
        calls.push(['f', event.constructor.name, this === ws]);
      };
      const g = (event) => calls.push(['g', event.data]);
      ws.onerror = f;
      assert.equal(ws.onerror, f);
      ws.onerror = g;
      assert.equal(ws.onerror, g);
      assert.equal(ws.listenerCount('error'), 1);
      ws.onerror = 'not a function';
      assert.equal(ws.onerror, null);
      assert.equal(ws.listenerCount('error'), 0);
      ws.onerror = { handleEvent: f };
      assert.equal(ws.onerror, null);
      assert.equal(ws.listenerCount('error'), 0);

      // The attribute handler is separate from an addEventListener one with the same function: both run.
      ws.onopen = f;
      ws.addEventListener('open', f);
      ws.onopen = f;
      assert.equal(ws.listenerCount('open'), 2);
      ws.onmessage = g;
      ws.onclose = (event) => calls.push(['close', event.code, event.reason, event.wasClean]);
      await closed(ws);
    });
    assert.deepEqual(calls, [
      ['f', 'Event', true],
      ['f', 'Event', true],
      ['g', 'hi'],
      ['close', 4321, 'done', true]
    ]);
  });

  test(`${name}: close event after our own close carries the echoed code and reason`, T, async () => {
    const log = [];
    await withPair(
      target,
      () => {},
      async (ws) => {
        ws.onopen = () => ws.close(4005, 'client-bye');
        ws.addEventListener('close', (event) => log.push(describe(event, ws, ws)));
        await closed(ws);
      }
    );
    assert.deepEqual(log, [['CloseEvent', 'close', true, true, 4005, 'client-bye', true]]);
  });

  test(`${name}: wasClean is false when the peer drops the connection`, T, async () => {
    const log = [];
    await withPair(
      target,
      (peer) => peer.terminate(),
      async (ws) => {
        ws.addEventListener('close', (event) => log.push([event.code, event.reason, event.wasClean]));
        await closed(ws);
      }
    );
    assert.deepEqual(log, [[1006, '', false]]);
  });

  // A protocol error needs a hand-written peer: a frame with the reserved opcode 3 (RFC 6455 §5.2).
  test(`${name}: a protocol error gives an ErrorEvent, then an unclean CloseEvent`, T, async () => {
    const log = [];
    const raw = await startAcceptingServer(({ socket }) => {
      socket.write(Buffer.from([0x83, 0x00]));
      socket.on('end', () => socket.end());
    });
    const ws = new target.WebSocket(raw.url);
    try {
      ws.onerror = function (event) {
        log.push(describe(event, ws, this));
      };
      ws.addEventListener('error', (event) => log.push(['listener', event.message]));
      ws.addEventListener('close', (event) => log.push(describe(event, ws, ws)));
      await closed(ws);
      await delay(10);
    } finally {
      ws.terminate();
      await raw.close();
    }
    assert.deepEqual(log, [
      ['ErrorEvent', 'error', true, true, 'Invalid WebSocket frame: invalid opcode 3', 'WS_ERR_INVALID_OPCODE', true],
      ['listener', 'Invalid WebSocket frame: invalid opcode 3'],
      ['CloseEvent', 'close', true, true, 1006, '', false]
    ]);
  });
}
