// The PubSubAdapter contract (src/pubsub/adapter.ts), as checks any adapter must pass. `suite(name, make)` registers
// them with node:test; `make(count)` resolves with `count` functions, each making an adapter on one shared broker.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { withTimeout } from '../../helpers/server-helpers.mjs';
import { resourcesSettle } from '../../helpers/resources.mjs';

const WAIT_MS = 8000;
const within = (promise, label, ms = WAIT_MS) => withTimeout(promise, label, ms);

/** Collect `message` events per topic; `next(topic, n)` waits for n of them. */
function recorder(adapter) {
  const seen = new Map();
  const waiters = [];
  adapter.on('message', (topic, envelope) => {
    assert.ok(Buffer.isBuffer(envelope), 'envelopes arrive as Buffers');
    if (!seen.has(topic)) seen.set(topic, []);
    seen.get(topic).push(envelope);
    for (const waiter of [...waiters]) waiter();
  });
  return {
    seen,
    next(topic, count) {
      return within(
        new Promise((resolve) => {
          const check = () => {
            if ((seen.get(topic)?.length ?? 0) >= count) {
              waiters.splice(waiters.indexOf(check), 1);
              resolve(seen.get(topic));
            }
          };
          waiters.push(check);
          check();
        }),
        `${count} messages on ${topic}`
      );
    }
  };
}

export function adapterContract(name, make, options = {}) {
  describe(`PubSubAdapter contract: ${name}`, { skip: options.skip }, () => {
    const open = async (count) => {
      // `make` prepares asynchronously and returns constructors, so that listeners are attached before 'ready'.
      const adapters = (await make(count)).map((create) => create());
      const ready = adapters.map((adapter) => within(new Promise((resolve) => adapter.once('ready', resolve)), 'ready'));
      for (const adapter of adapters) adapter.on('error', () => {});
      await Promise.all(ready);
      return adapters;
    };
    const closeAll = (adapters) => Promise.all(adapters.map((adapter) => adapter.close()));

    test('ready, then envelopes cross byte for byte and in publish order', async () => {
      const [a, b] = await open(2);
      const got = recorder(a);
      await a.subscribe('bytes');
      const all = Buffer.alloc(70000);
      for (let i = 0; i < all.length; i++) all[i] = (i * 7 + (i >> 8)) & 0xff;
      b.publish('bytes', all);
      for (let i = 0; i < 300; i++) b.publish('bytes', Buffer.from([i >> 8, i & 0xff, 0, 0xff]));
      const seen = await got.next('bytes', 301);
      assert.deepEqual(seen[0], all);
      assert.deepEqual(
        seen.slice(1).map((envelope) => envelope.readUInt16BE(0)),
        Array.from({ length: 300 }, (_, i) => i)
      );
      assert.deepEqual(seen[1].subarray(2), Buffer.from([0, 0xff]));
      await closeAll([a, b]);
    });

    test('only subscribed topics arrive; names are compared exactly (unicode included)', async () => {
      const [a, b] = await open(2);
      const got = recorder(a);
      await a.subscribe('чат/ü');
      await a.subscribe('end');
      for (const topic of ['чат/ü:more', 'чат', 'чат/ü', 'other', 'end']) b.publish(topic, Buffer.from(topic));
      await got.next('end', 1);
      await got.next('чат/ü', 1);
      assert.deepEqual([...got.seen.keys()].sort(), ['end', 'чат/ü']);
      await closeAll([a, b]);
    });

    test('subscribing twice is once; unsubscribe stops delivery', async () => {
      const [a, b] = await open(2);
      const got = recorder(a);
      await a.subscribe('t');
      await a.subscribe('t');
      b.publish('t', Buffer.from('1'));
      await got.next('t', 1);
      a.unsubscribe('t');
      // A subscription made after the unsubscribe is confirmed after it (one connection, in order).
      await a.subscribe('marker');
      b.publish('t', Buffer.from('2'));
      b.publish('marker', Buffer.from('m'));
      await got.next('marker', 1);
      assert.deepEqual(got.seen.get('t').map(String), ['1']);
      await closeAll([a, b]);
    });

    test('a third adapter receives as well; close() is idempotent, emits close, and leaves nothing behind', async () => {
      const before = process.getActiveResourcesInfo();
      const adapters = await open(3);
      const [a, b, c] = adapters;
      const gotA = recorder(a);
      const gotC = recorder(c);
      await Promise.all([a.subscribe('fan'), c.subscribe('fan')]);
      b.publish('fan', Buffer.from('x'));
      await Promise.all([gotA.next('fan', 1), gotC.next('fan', 1)]);
      let closes = 0;
      a.on('close', () => closes++);
      const first = a.close();
      assert.equal(a.close(), first);
      await first;
      assert.equal(closes, 1);
      // After close: no throw, no delivery.
      a.publish('fan', Buffer.from('late'));
      a.unsubscribe('fan');
      await a.subscribe('fan');
      b.publish('fan', Buffer.from('y'));
      await gotC.next('fan', 2);
      assert.equal(gotA.seen.get('fan').length, 1);
      await closeAll([b, c]);
      assert.deepEqual(await resourcesSettle(before), [], 'handles left behind');
    });
  });
}
