// The PubSubAdapter contract against every adapter: the in-memory one written here (helpers/memory-pubsub.mjs),
// ClusterPubSub (outside a cluster worker: the adapters of this process reach each other directly; the IPC path is
// covered by cluster-pubsub.test.mjs), and RedisPubSub on a real redis-server, made from a url and from an app's client.
import { after, before } from 'node:test';
import { createRequire } from 'node:module';
import { adapterContract } from './helpers/contract.mjs';
import { MemoryBus, MemoryPubSub } from './helpers/memory-pubsub.mjs';
import { REDIS_SKIP, startRedis } from './helpers/redis-server.mjs';

const require = createRequire(import.meta.url);
const { ClusterPubSub } = require('../../dist/cjs/index.js');
const { RedisPubSub } = require('../../dist/cjs/redis.js');
const { createClient } = require('redis');

adapterContract('MemoryPubSub (in the test)', async (count) => {
  const bus = new MemoryBus();
  return Array.from({ length: count }, () => () => new MemoryPubSub(bus));
});

adapterContract('ClusterPubSub (one process)', async (count) => Array.from({ length: count }, () => () => new ClusterPubSub()));

let redis;
before(async () => {
  if (!REDIS_SKIP) redis = await startRedis();
});
after(async () => {
  await redis?.stop();
});

adapterContract('RedisPubSub { url }', async (count) => Array.from({ length: count }, () => () => new RedisPubSub({ url: redis.url })), { skip: REDIS_SKIP });

adapterContract(
  'RedisPubSub { client } (sharded: true)',
  async (count) => {
    const adapters = [];
    for (let i = 0; i < count; i++) {
      const client = createClient({ url: redis.url });
      client.on('error', () => {});
      await client.connect();
      adapters.push(() => {
        const adapter = new RedisPubSub({ client, sharded: true, channelPrefix: 'app:' });
        // The app owns its client: it closes it after the adapter.
        const close = adapter.close.bind(adapter);
        let closing;
        adapter.close = () => (closing ??= close().then(() => client.close()));
        return adapter;
      });
    }
    return adapters;
  },
  { skip: REDIS_SKIP }
);
