// Broker failures are events, never throws or unhandled rejections: a wrong password and an unreachable broker
// give 'pubsubError' (WS_ERR_PUBSUB_BROKER, the library's error as `cause`), local delivery still works, and
// shutdown leaves no connection or timer behind. Also: the options are checked, and `require('sockwire')` never
// loads the Redis client library.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { REDIS_SKIP, freePort, startRedis } from './helpers/redis-server.mjs';
import { WebSocketServer, openClient, onceEvent, withTimeout } from '../features/helpers.mjs';
import { resourcesSettle } from '../helpers/resources.mjs';

const require = createRequire(import.meta.url);
const { RedisPubSub } = require('../../dist/cjs/redis.js');

const unhandled = [];
process.on('unhandledRejection', (reason) => unhandled.push(reason));

/** A server on `pubsub` with one client subscribed to 'room'; resolves once the client is subscribed. */
async function serverWithClient(t, pubsub) {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', pubsub });
  const errors = [];
  wss.on('pubsubError', (error) => errors.push(error));
  const ready = new Promise((resolve) => wss.once('pubsubReady', resolve));
  wss.on('connection', (ws) => ws.subscribe('room'));
  await onceEvent(wss, 'listening');
  const accepted = onceEvent(wss, 'connection');
  const ws = await openClient(t, wss);
  await accepted;
  return { wss, ws, errors, ready };
}

async function errorsReported(errors) {
  await withTimeout(
    (async () => {
      while (errors.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    })(),
    'pubsubError',
    5000
  );
}

describe('RedisPubSub errors', { skip: REDIS_SKIP }, () => {
  test('a wrong password: one pubsubError per outage, local delivery goes on, shutdown leaves nothing', async (t) => {
    const redis = await startRedis({ config: ['requirepass s3cret'] });
    after(() => redis.stop());
    const before = process.getActiveResourcesInfo();
    const { wss, ws, errors } = await serverWithClient(t, new RedisPubSub({ url: `redis://:wrong@127.0.0.1:${redis.port}` }));
    await errorsReported(errors);
    const local = onceEvent(ws, 'message');
    assert.deepEqual(wss.publish('room', 'still here'), { written: 1, queued: 0, dropped: 0 });
    assert.equal(String((await local)[0]), 'still here');
    // Let it retry a few times: the same outage is reported once per connection (publisher, subscriber).
    await new Promise((resolve) => setTimeout(resolve, 400));
    assert.ok(errors.length >= 1 && errors.length <= 2, `${errors.length} errors`);
    for (const error of errors) {
      assert.equal(error.code, 'WS_ERR_PUBSUB_BROKER');
      assert.match(error.cause.message, /WRONGPASS|invalid username-password/);
    }
    ws.terminate();
    await wss.shutdown({ timeout: 500 });
    assert.deepEqual(await resourcesSettle(before), []);
    assert.deepEqual(unhandled, []);

    // The right password works.
    const good = await serverWithClient(t, new RedisPubSub({ url: `redis://:s3cret@127.0.0.1:${redis.port}` }));
    await withTimeout(good.ready, 'pubsubReady', 5000);
    assert.deepEqual(good.errors, []);
    good.ws.terminate();
    await good.wss.shutdown({ timeout: 500 });
  });

  test('no broker at all: pubsubError, no throw, and close() stops the retries', async (t) => {
    const port = await freePort();
    const before = process.getActiveResourcesInfo();
    const pubsub = new RedisPubSub({ url: `redis://127.0.0.1:${port}` });
    const { wss, ws, errors } = await serverWithClient(t, pubsub);
    await errorsReported(errors);
    assert.match(errors[0].message, /^Redis (publisher|subscriber) connection: .*ECONNREFUSED/);
    wss.publish('room', 'x');
    ws.terminate();
    await pubsub.close();
    await wss.shutdown({ timeout: 500 });
    assert.deepEqual(await resourcesSettle(before), []);
    assert.deepEqual(unhandled, []);
  });

  test('options are checked', () => {
    assert.throws(() => new RedisPubSub({}), { name: 'TypeError', message: 'RedisPubSub needs exactly one of the "url" and "client" options' });
    assert.throws(() => new RedisPubSub({ url: 'redis://x', client: {} }), { name: 'TypeError' });
    assert.throws(() => new RedisPubSub({ client: {} }), { message: 'The "client" option must be a node-redis client or cluster client' });
    assert.throws(() => new RedisPubSub({ url: 'redis://x', sharded: 'yes' }), { message: 'The "sharded" option must be true, false or "auto"' });
    assert.throws(() => new RedisPubSub({ url: 'redis://x', channelPrefix: 1 }), { message: 'The "channelPrefix" option must be a string' });
    assert.throws(() => new RedisPubSub({ url: 'redis://x', maxPendingBytes: -1 }), { message: 'The "maxPendingBytes" option must be a non-negative number of bytes' });
    const defaults = new RedisPubSub({ url: 'redis://127.0.0.1:1' });
    assert.equal(defaults.channelPrefix, 'sockwire:');
    assert.equal(defaults.sharded, false);
    defaults.on('error', () => {});
    return defaults.close();
  });
});

test("require('sockwire') never loads the Redis client; require('sockwire/redis') loads it only for a url", () => {
  const script = `
    const loaded = () => Object.keys(require.cache).some((path) => /node_modules[\\\\/](redis|@redis)[\\\\/]/.test(path));
    const sockwire = require('sockwire');
    const a = loaded();
    const { RedisPubSub } = require('sockwire/redis');
    const b = loaded();
    new RedisPubSub({ url: 'redis://127.0.0.1:1' }).close();
    console.log(JSON.stringify([typeof sockwire.ClusterPubSub, a, typeof RedisPubSub, b, loaded()]));
  `;
  const result = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 10000 });
  assert.equal(result.status, 0, result.stderr);
  assert.deepEqual(JSON.parse(result.stdout), ['function', false, 'function', false, true]);
  const esm = spawnSync(process.execPath, ['--input-type=module', '-e', "import { RedisPubSub } from 'sockwire/redis'; import { ClusterPubSub } from 'sockwire'; const cjs = (await import('node:module')).createRequire(import.meta.url)('sockwire/redis'); console.log(RedisPubSub === cjs.RedisPubSub, typeof ClusterPubSub);"], { encoding: 'utf8', timeout: 10000 });
  assert.equal(esm.stdout.trim(), 'true function', esm.stderr);
});
