// The multi-process side of the pub/sub tests: server processes (fixtures/pubsub-server.mjs) as child processes
// or cluster workers, WebSocket clients on each of them, and the oracle that checks what every client received.
import { fork } from 'node:child_process';
import cluster from 'node:cluster';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { parsePayload } from './oracle-payload.mjs';
import { withTimeout } from '../../helpers/server-helpers.mjs';

const require = createRequire(import.meta.url);
const { WebSocket, ClusterPubSub } = require('../../../dist/cjs/index.js');
const FIXTURE = fileURLToPath(new URL('../fixtures/pubsub-server.mjs', import.meta.url));
const WAIT_MS = 20000;
const within = (promise, label, ms = WAIT_MS) => withTimeout(promise, label, ms);

const running = new Set();

/** SIGKILL every server process still running (an `after` hook: a failed test must not leave any behind). */
export async function killAll() {
  await Promise.all([...running].map((node) => node.kill()));
}

/** Wrap a child process or cluster worker running the fixture. */
function wrap(channel, pid, index) {
  let nextId = 1;
  const waiting = new Map();
  const node = {
    index,
    pid,
    exited: new Promise((resolve) => channel.once('exit', (code, signal) => resolve({ code, signal }))),
    command(cmd, args = {}) {
      const id = nextId++;
      return within(
        new Promise((resolve) => {
          waiting.set(id, resolve);
          channel.send({ cmd, id, ...args });
        }),
        `${cmd} on server ${index}`
      );
    },
    kill() {
      if (running.has(node)) process.kill(pid, 'SIGKILL');
      return node.exited;
    }
  };
  running.add(node);
  node.exited.then(() => running.delete(node));
  const up = new Promise((resolve) => {
    channel.on('message', (message) => {
      if (message?.up) resolve(message);
      else if (message?.id !== undefined) waiting.get(message.id)?.(message);
    });
  });
  return within(up, `server ${index} up`).then(({ port, nodeId, sharded }) => Object.assign(node, { port, nodeId, sharded }));
}

/** Start server process `index` as a child process. */
export function forkNode(index, config) {
  const child = fork(FIXTURE, [], { env: { ...process.env, SOCKWIRE_PUBSUB: JSON.stringify({ index, ...config }) }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return wrap(child, child.pid, index);
}

/** Start server `index` as a worker of this process (the primary relays ClusterPubSub). */
export function forkWorker(index, config) {
  ClusterPubSub.setupPrimary();
  cluster.setupPrimary({ exec: FIXTURE, silent: false });
  const worker = cluster.fork({ SOCKWIRE_PUBSUB: JSON.stringify({ index, adapter: 'cluster', ...config }) });
  return wrap(worker, worker.process.pid, index);
}

/** One WebSocket client on `node`, subscribed to `topics` (confirmed by the broker), recording what arrives. */
export async function connectClient(node, topics, { deflate }) {
  const ws = new WebSocket(`ws://127.0.0.1:${node.port}`, { perMessageDeflate: deflate });
  ws.on('error', () => {});
  await within(new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('close', () => reject(new Error('closed before open')));
  }), 'client open');
  // lastAt: when the newest message of each `${origin}:${topic}` arrived.
  const client = { ws, node, topics, received: new Map(), lastAt: new Map(), localTimes: [], remoteTimes: [], total: 0, problems: [] };
  const confirmed = new Set();
  let onConfirmed;
  const allConfirmed = new Promise((resolve) => {
    onConfirmed = resolve;
  });
  ws.on('message', (data, isBinary) => {
    if (!isBinary && data.length < 40 && data.toString().startsWith('subscribed ')) {
      confirmed.add(data.toString().slice(11));
      if (confirmed.size === topics.length) onConfirmed();
      return;
    }
    try {
      const { o, t, k } = parsePayload(data, isBinary);
      const key = `${o}:${t}`;
      if (!client.received.has(key)) client.received.set(key, []);
      client.received.get(key).push(k);
      client.lastAt.set(key, Date.now());
      client.total++;
      (o === node.index ? client.localTimes : client.remoteTimes).push(Date.now());
    } catch (error) {
      client.problems.push(error.message);
    }
  });
  for (const topic of topics) ws.send(`sub topic-${topic}`);
  await within(allConfirmed, 'subscriptions confirmed');
  return client;
}

/**
 * `perServer` clients on every node; client j of node s subscribes to the topics t (of `topicCount` from
 * `firstTopic`) with (t + s + j) % 3 === 0,
 * and every other client offers permessage-deflate.
 */
export async function connectClients(nodes, { perServer, topicCount, firstTopic = 0 }) {
  const clients = [];
  for (const node of nodes) {
    for (let j = 0; j < perServer; j++) {
      const topics = [];
      for (let t = firstTopic; t < firstTopic + topicCount; t++) if ((t + node.index + j) % 3 === 0) topics.push(t);
      clients.push(await connectClient(node, topics, { deflate: j % 2 === 0 }));
    }
  }
  return clients;
}

/** `published[o][t]` = how many messages origin o published on topic t → how many each client must receive. */
export function expectedTotal(client, published, origins) {
  let total = 0;
  for (const o of origins) for (const t of client.topics) total += published[o]?.[t] ?? 0;
  return total;
}

/**
 * Wait until every client has received `expected(client)` messages; fail with how far each got once nothing has
 * arrived for `ms` (a lost message stalls the count; a busy machine only slows it, so there is no overall deadline
 * here beyond the test's own timeout).
 */
export async function waitForDeliveries(clients, expected, ms = WAIT_MS) {
  const delivered = () => clients.reduce((sum, client) => sum + client.total, 0);
  let last = delivered();
  let lastProgress = Date.now();
  while (Date.now() - lastProgress < ms) {
    if (clients.every((client) => client.total >= expected(client))) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
    const now = delivered();
    if (now !== last) {
      last = now;
      lastProgress = Date.now();
    }
  }
  assert.fail(`deliveries incomplete, none for ${ms} ms: ${clients.map((client) => `${client.total}/${expected(client)}`).join(' ')}`);
}

/**
 * Check every client: no corrupted message, per (origin, topic) strictly increasing numbers (no duplicate, no
 * reordering). `complete(o, s)`: at server s, messages of origin o must be exactly 1..published (nothing lost).
 * Returns `losses[s][o][t]`: numbers missing at server s (the same for all its clients on that topic), for the
 * origins whose published counts are known.
 */
export function checkOracle(clients, published, { complete = () => true, origins }) {
  const losses = {};
  for (const client of clients) {
    assert.deepEqual(client.problems, [], 'no corrupted message');
    const s = client.node.index;
    losses[s] ??= {};
    for (const o of origins) {
      losses[s][o] ??= {};
      for (const t of client.topics) {
        const got = client.received.get(`${o}:${t}`) ?? [];
        for (let i = 1; i < got.length; i++) {
          if (got[i] <= got[i - 1]) assert.fail(`server ${s} client: origin ${o} topic ${t}: ${got[i]} after ${got[i - 1]} (duplicate or reordered)`);
        }
        if (published[o] === undefined) continue;
        const count = published[o][t] ?? 0;
        if (complete(o, s)) assert.equal(got.length, count, `server ${s}: origin ${o} topic ${t}: ${got.length} of ${count}`);
        const missing = count - got.length;
        if (losses[s][o][t] !== undefined) assert.equal(missing, losses[s][o][t], `clients of server ${s} agree on topic ${t}`);
        losses[s][o][t] = missing;
      }
    }
  }
  return losses;
}

/**
 * Wait until every client has the last message of every (known origin, topic): the stream's tail arrived. Like
 * {@link waitForDeliveries}, it fails only once no message at all has arrived for `ms` (a backlog flushed after a
 * broker outage takes long on a loaded machine; a lost tail stalls) and then names the tails still missing.
 */
export async function waitForTails(clients, published, origins, ms = WAIT_MS) {
  const missing = () =>
    clients.flatMap((client, c) =>
      origins.flatMap((o) =>
        published[o] === undefined
          ? []
          : client.topics
              .map((t) => ({ t, last: (client.received.get(`${o}:${t}`) ?? []).at(-1) }))
              .filter(({ t, last }) => last !== published[o][t])
              .map(({ t, last }) => `client ${c} origin ${o} topic ${t}: ${last ?? 'none'}/${published[o][t]}`)
      )
    );
  const delivered = () => clients.reduce((sum, client) => sum + client.total, 0);
  let last = delivered();
  let lastProgress = Date.now();
  while (missing().length > 0) {
    if (Date.now() - lastProgress >= ms) assert.fail(`the last messages never arrived (none for ${ms} ms): ${missing().slice(0, 8).join('; ')}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const now = delivered();
    if (now !== last) {
      last = now;
      lastProgress = Date.now();
    }
  }
}

/** Sum the `'pubsubGap'` counts a server reported, as `[o][t]` by origin index. */
export function gapsByOrigin(report, nodes) {
  const byNode = new Map(nodes.map((node) => [node.nodeId, node.index]));
  const sums = {};
  for (const gap of report.gaps) {
    const o = byNode.get(gap.node);
    const t = Number(gap.topic.slice('topic-'.length));
    sums[o] ??= {};
    sums[o][t] = (sums[o][t] ?? 0) + gap.missed;
  }
  return sums;
}

/** Close every client and shut every live node down; each must exit 0 with nothing left open. */
export async function shutdownAll(nodes, clients) {
  for (const client of clients) client.ws.terminate();
  const results = [];
  for (const node of nodes) {
    const { resources } = await node.command('shutdown');
    results.push({ index: node.index, resources, exit: await within(node.exited, `server ${node.index} exit`) });
  }
  return results;
}

/**
 * One clean oracle round: every node publishes `perServer` messages round robin over `topics`; every client must
 * receive exactly what it subscribed to, in order, with no gap, error or duplicate reported anywhere.
 */
export async function oracleRound(t, nodes, clients, { topics, perServer, label }) {
  const origins = nodes.map((node) => node.index);
  const started = Date.now();
  await Promise.all(nodes.map((node) => node.command('publish', { topics, count: perServer })));
  const published = {};
  for (const node of nodes) published[node.index] = (await node.command('report')).counts;
  await waitForDeliveries(clients, (client) => expectedTotal(client, published, origins));
  const elapsed = Date.now() - started;
  checkOracle(clients, published, { origins });
  for (const node of nodes) {
    const report = await node.command('report');
    assert.deepEqual(report.gaps, []);
    assert.deepEqual(report.errors, []);
    assert.equal(report.counters.duplicates, 0);
  }
  const deliveries = clients.reduce((sum, client) => sum + client.total, 0);
  t.diagnostic(`${label}: ${nodes.length * perServer} messages, ${deliveries} client deliveries in ${elapsed} ms`);
}
