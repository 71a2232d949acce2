// ClusterPubSub between 3 node:cluster workers (this test process is the primary and relays): the same oracle as
// the Redis tests (10,200 messages on 24 topics, text and binary, with and without deflate, exactly once, in order,
// no gap), then a worker SIGKILLed and a new one forked in its place, with the oracle again over all three.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import cluster from 'node:cluster';
import { createRequire } from 'node:module';
import { connectClients, forkWorker, killAll, oracleRound, shutdownAll } from './helpers/server-nodes.mjs';

after(killAll);

const { ClusterPubSub } = createRequire(import.meta.url)('../../dist/cjs/index.js');
const TOPICS = 24;
const ORIGINS = [0, 1, 2];
const DEFLATE = ['takeover', 'shared', 'off'];

/** One oracle round on topics firstTopic.. (fresh topics each round, so numbering starts at 1 everywhere). */
async function freshRound(t, nodes, perServer, firstTopic, label) {
  const clients = await connectClients(nodes, { perServer: 4, topicCount: TOPICS, firstTopic });
  await oracleRound(t, nodes, clients, { topics: Array.from({ length: TOPICS }, (_, i) => firstTopic + i), perServer, label });
  return clients;
}

test('ClusterPubSub: 3 workers, the oracle, then a worker killed and restarted', { timeout: 90000 }, async (t) => {
  const listenersBefore = cluster.listenerCount('message');
  const relay = ClusterPubSub.setupPrimary();
  assert.equal(ClusterPubSub.setupPrimary(), relay, 'set up once');
  let nodes = await Promise.all(ORIGINS.map((index) => forkWorker(index, { deflate: DEFLATE[index] })));
  const firstClients = await freshRound(t, nodes, 3400, 0, 'three workers');

  const victim = nodes[2];
  const closes = firstClients.filter((client) => client.node === victim).map((client) => new Promise((resolve) => client.ws.once('close', resolve)));
  const exit = await victim.kill();
  assert.equal(exit.signal, 'SIGKILL');
  assert.deepEqual(await Promise.all(closes), [1006, 1006, 1006, 1006]);
  for (const client of firstClients) client.ws.terminate();
  const replacement = await forkWorker(2, { deflate: DEFLATE[2] });
  assert.notEqual(replacement.nodeId, victim.nodeId);
  nodes = [nodes[0], nodes[1], replacement];
  const clients = await freshRound(t, nodes, 1000, TOPICS, 'after the restart');
  assert.equal(relay.dropped, 0);

  for (const result of await shutdownAll(nodes, clients)) {
    assert.deepEqual(result.exit, { code: 0, signal: null });
    assert.deepEqual(result.resources, [], `worker ${result.index} left nothing open`);
  }
  relay.close();
  assert.equal(cluster.listenerCount('message'), listenersBefore);
});
