// The broker connection's state, as RedisPubSub really goes through it against a real redis-server that is
// SIGKILLed and restarted: the exact sequence on `sockwire:pubsub:state` and `wss.stats().pubsub.state` at each
// step. Every wait is for an event (a state published), never a fixed deadline; the guards are only hang guards.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import diagnostics from 'node:diagnostics_channel';
import { createRequire } from 'node:module';
import { REDIS_SKIP, startRedis } from './helpers/redis-server.mjs';
import { WebSocketServer, openClient, onceEvent, withTimeout } from '../features/helpers.mjs';

const require = createRequire(import.meta.url);
const { RedisPubSub } = require('../../dist/cjs/redis.js');

const HANG_GUARD_MS = 60000;

/** Records the states published for one server; `reach(n)` resolves once `n` of them have been published. */
function stateRecorder(t) {
  const messages = [];
  let waiter = null;
  let server = null;
  const listener = (message) => {
    if (server !== null && message.server !== server) return;
    messages.push(message);
    if (waiter !== null && messages.length >= waiter.count) waiter.resolve();
  };
  diagnostics.subscribe('sockwire:pubsub:state', listener);
  t.after(() => diagnostics.unsubscribe('sockwire:pubsub:state', listener));
  return {
    messages,
    states: () => messages.map((message) => message.state),
    only(wss) {
      server = wss;
    },
    reach(count, label) {
      if (messages.length >= count) return Promise.resolve();
      return withTimeout(new Promise((resolve) => (waiter = { count, resolve })), label, HANG_GUARD_MS);
    }
  };
}

describe('RedisPubSub connection state', { skip: REDIS_SKIP }, () => {
  test('redis-server SIGKILLed and restarted: connecting → ready → error → reconnecting → ready → closed', { timeout: 180000 }, async (t) => {
    const redis = await startRedis();
    t.after(() => redis.stop());
    const recorder = stateRecorder(t);
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', pubsub: new RedisPubSub({ url: redis.url }) });
    recorder.only(wss);
    const errors = [];
    wss.on('pubsubError', (error) => errors.push(error));
    wss.on('connection', (ws) => ws.subscribe('room'));
    await onceEvent(wss, 'listening');
    assert.deepEqual(recorder.states(), ['connecting']);
    assert.equal(wss.stats().pubsub.state, 'connecting');
    await openClient(t, wss);

    await recorder.reach(2, 'ready');
    assert.deepEqual(recorder.states(), ['connecting', 'ready']);
    assert.equal(wss.stats().pubsub.state, 'ready');

    await redis.kill();
    await recorder.reach(4, 'reconnecting');
    assert.deepEqual(recorder.states(), ['connecting', 'ready', 'error', 'reconnecting']);
    assert.equal(wss.stats().pubsub.state, 'reconnecting');
    const failed = recorder.messages[2];
    assert.equal(failed.server, wss);
    assert.equal(failed.error.code, 'WS_ERR_PUBSUB_BROKER');
    assert.match(failed.error.message, /^Redis (publisher|subscriber) connection: /);
    assert.deepEqual(errors, [failed.error], 'one pubsubError for the outage, the one the state carries');
    assert.equal(recorder.messages[3].error, undefined);

    await redis.start();
    await recorder.reach(5, 'ready after the restart');
    // Retries that failed while the broker was down added nothing: the outage was one error and one reconnecting.
    assert.deepEqual(recorder.states(), ['connecting', 'ready', 'error', 'reconnecting', 'ready']);
    assert.equal(wss.stats().pubsub.state, 'ready');
    assert.equal(errors.length, 1);
    // 'ready' means subscribed again: the broker lists the topic's channel.
    assert.match(redis.cli('PUBSUB', 'CHANNELS'), /^sockwire:room$/m);

    await withTimeout(wss.shutdown(), 'shutdown', HANG_GUARD_MS);
    await recorder.reach(6, 'closed');
    assert.deepEqual(recorder.states(), ['connecting', 'ready', 'error', 'reconnecting', 'ready', 'closed']);
    assert.equal(wss.stats().pubsub.state, 'closed');
  });
});
