// Three server processes sharing one real redis-server (and then a 3-master Redis Cluster with sharded pub/sub),
// WebSocket clients on each: every one of 10,200 messages on 24 topics, text and binary, published on any server,
// reaches every subscriber exactly once and in per-publisher order, with and without permessage-deflate (server 0
// deflates per socket, server 1 once for all sockets, server 2 not at all; half the clients offer it).
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { REDIS_SKIP, startRedis } from './helpers/redis-server.mjs';
import { connectClients, forkNode, killAll, oracleRound, shutdownAll } from './helpers/server-nodes.mjs';
import { startRedisCluster } from './helpers/redis-cluster.mjs';

const TOPICS = 24;
const PER_SERVER = 3400;
const DEFLATE = ['takeover', 'shared', 'off'];
const ORIGINS = [0, 1, 2];

async function runOracle(t, config, checkChannels) {
  const nodes = await Promise.all(ORIGINS.map((index) => forkNode(index, { ...config, deflate: DEFLATE[index] })));
  const clients = await connectClients(nodes, { perServer: 4, topicCount: TOPICS });
  checkChannels(nodes);
  await oracleRound(t, nodes, clients, { topics: Array.from({ length: TOPICS }, (_, i) => i), perServer: PER_SERVER, label: 'three processes' });
  for (const result of await shutdownAll(nodes, clients)) {
    assert.deepEqual(result.exit, { code: 0, signal: null });
    assert.deepEqual(result.resources, [], `server ${result.index} left nothing open`);
  }
}

// A hang guard for both tests together: each takes ~10 s on a quiet machine and up to a minute at load average 15.
describe('RedisPubSub across 3 processes', { skip: REDIS_SKIP }, () => {
  after(killAll);
  test('one redis-server: exactly once, in order, text and binary, with and without deflate', async (t) => {
    const redis = await startRedis();
    after(() => redis.stop());
    await runOracle(t, { url: redis.url }, (nodes) => {
      assert.deepEqual(nodes.map((node) => node.sharded), [false, false, false]);
      // Every topic with a subscriber is a channel `sockwire:topic-N`.
      assert.equal(redis.cli('pubsub', 'channels', 'sockwire:topic-*').trim().split('\n').length, TOPICS);
    });
  });

  test('Redis Cluster of 3 masters, sharded pub/sub (SSUBSCRIBE/SPUBLISH): the same oracle', async (t) => {
    const redisCluster = await startRedisCluster(3);
    after(() => redisCluster.stop());
    await runOracle(t, { clusterUrls: redisCluster.urls }, (nodes) => {
      assert.deepEqual(nodes.map((node) => node.sharded), [true, true, true], "sharded: 'auto' is on for a cluster client");
      // Each shard channel lives on the one master that owns its slot; none is a classic channel.
      const perMaster = redisCluster.nodes.map((node) => node.cli('pubsub', 'shardchannels', 'sockwire:*').trim().split('\n').filter(Boolean).length);
      assert.equal(perMaster.reduce((a, b) => a + b, 0), TOPICS);
      assert.ok(perMaster.every((count) => count > 0), `channels spread over the masters: ${perMaster}`);
      assert.equal(redisCluster.nodes[0].cli('pubsub', 'channels').trim(), '');
    });
  });
});
