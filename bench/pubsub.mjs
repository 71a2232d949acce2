// Pub/sub across processes: 3 server processes on one redis-server, ≥ 1,000 subscribers spread over them,
// publishers on every process, fixed-rate steps. Per step: deliveries/s, p50/p99 publish→receipt latency, CPU per
// process (% of one core). Same harness, same run: sockwire + RedisPubSub and socket.io 4.8 +
// @socket.io/redis-adapter; then ClusterPubSub on 2 workers against one process alone (no pub/sub).
//
//   npm run build && node bench/pubsub.mjs [--clients 1000] [--rooms 10] [--seconds 4] [--steps 100,300,1000]
//
// Bounded: every step lasts --seconds, the whole run a couple of minutes. Writes bench/out/pubsub.json and prints a
// Markdown table. Loopback only; the redis-server is started here (free port, temp dir) and stopped by PID.
import { fork } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startRedis } from '../test/pubsub/helpers/redis-server.mjs';

const here = dirname(fileURLToPath(import.meta.url));
function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : process.argv[i + 1];
}
const CLIENTS = Number(arg('clients', 1000));
const ROOMS = Number(arg('rooms', 10));
const SECONDS = Number(arg('seconds', 4));
const STEPS = arg('steps', '100,300,1000').split(',').map(Number);
const CLUSTER_STEPS = arg('cluster-steps', '300,1000,2000').split(',').map(Number);

let nextId = 1;
function start(script, env) {
  const child = fork(join(here, 'pubsub', script), [], { env: { ...process.env, BENCH_PUBSUB: JSON.stringify(env) } });
  let exited = null;
  const gone = new Promise((resolve) => child.once('exit', (code, signal) => resolve((exited = `${script} exited (${signal ?? code})`))));
  child.on('error', () => {});
  const up = new Promise((resolve) => child.on('message', (message) => message?.up && resolve(message)));
  return Promise.race([up, gone.then((why) => Promise.reject(new Error(why)))]).then((message) => ({
    child,
    ...message,
    /** Send a command; rejects if the process dies first (a crash is reported, not hidden). */
    ask(cmd, args = {}) {
      if (exited !== null) return Promise.reject(new Error(exited));
      const id = nextId++;
      const reply = new Promise((resolve) => {
        const onMessage = (message) => {
          if (message?.id !== id) return;
          child.off('message', onMessage);
          resolve(message);
        };
        child.on('message', onMessage);
        child.send({ cmd, id, ...args });
      });
      return Promise.race([reply, gone.then((why) => Promise.reject(new Error(why)))]);
    },
    stop() {
      if (exited === null) child.kill('SIGKILL');
      return gone;
    }
  }));
}

/** Run the fixed-rate steps against `servers` (each publishing rate / servers.length) with one client process. */
async function measure(label, impl, servers, stepRates) {
  const clients = await start('clients.mjs', { impl, ports: servers.map((s) => s.port), count: CLIENTS, rooms: ROOMS });
  try {
    return await steps(label, servers, clients, stepRates);
  } finally {
    await clients.ask('close').catch(() => clients.stop());
  }
}

async function steps(label, servers, clients, stepRates) {
  await new Promise((resolve) => setTimeout(resolve, 1000)); // joins and broker subscriptions settle
  await Promise.all(servers.map((server) => server.ask('rate', { perSecond: stepRates[0] / servers.length, seconds: 1, rooms: ROOMS }))); // warm-up
  const rows = [];
  for (const rate of stepRates) {
    await clients.ask('start');
    const replies = await Promise.all(servers.map((server) => server.ask('rate', { perSecond: rate / servers.length, seconds: SECONDS, rooms: ROOMS })));
    await new Promise((resolve) => setTimeout(resolve, 300)); // in-flight deliveries land
    const seen = await clients.ask('stop');
    const wall = Math.max(...replies.map((r) => r.wallMs)) / 1000;
    const published = replies.reduce((n, r) => n + r.sent, 0);
    const row = {
      label,
      publishesPerSecond: rate,
      published,
      expected: published * (CLIENTS / ROOMS),
      deliveriesPerSecond: Math.round(seen.received / wall),
      deliveredShare: +(seen.received / (published * (CLIENTS / ROOMS))).toFixed(3),
      p50ms: +seen.p50.toFixed(2),
      p99ms: +seen.p99.toFixed(2),
      serverCpu: replies.flatMap((r) => (Array.isArray(r.cpuMs) ? r.cpuMs : [r.cpuMs])).map((ms) => Math.round((ms / (wall * 1000)) * 100)),
      clientCpu: Math.round((seen.cpuMs / (wall * 1000)) * 100),
      unhandledRejections: replies.reduce((n, r) => n + (r.unhandled ?? 0), 0)
    };
    console.log(JSON.stringify(row));
    rows.push(row);
  }
  return rows;
}

async function closeAll(servers) {
  await Promise.all(servers.map((server) => server.ask('close').catch(() => server.stop())));
}

/** Run one setup; a crash of any of its processes ends it with a row that says so. */
async function run(label, impl, servers, steps) {
  try {
    return await measure(label, impl, servers, steps);
  } catch (error) {
    console.log(`${label}: ${error.message}`);
    return [{ label, failed: error.message }];
  } finally {
    await closeAll(servers);
  }
}

const redis = await startRedis();
process.once('SIGINT', () => redis.stop().then(() => process.exit(130)));
const results = [];
try {
  for (const impl of ['sockwire', 'socketio']) {
    const servers = await Promise.all([0, 1, 2].map(() => start('server.mjs', { impl, url: redis.url })));
    results.push(...(await run(impl === 'sockwire' ? 'sockwire + RedisPubSub' : 'socket.io + redis-adapter', impl, servers, STEPS)));
  }
  results.push(...(await run('sockwire, one process', 'sockwire', [await start('server.mjs', { impl: 'local' })], CLUSTER_STEPS)));
  results.push(...(await run('sockwire + ClusterPubSub, 2 workers', 'sockwire', [await start('cluster-primary.mjs', { workers: 2 })], CLUSTER_STEPS)));
} finally {
  await redis.stop();
}

const summary = { date: new Date().toISOString(), node: process.version, clients: CLIENTS, rooms: ROOMS, seconds: SECONDS, results };
mkdirSync(join(here, 'out'), { recursive: true });
writeFileSync(join(here, 'out', 'pubsub.json'), `${JSON.stringify(summary, null, 2)}\n`);
console.log('\n| setup | publishes/s | deliveries/s | delivered | p50 ms | p99 ms | server CPU % | client CPU % |');
console.log('|---|---:|---:|---:|---:|---:|---|---:|');
for (const r of results) {
  if (r.failed !== undefined) {
    console.log(`| ${r.label} | ${r.failed} | | | | | | |`);
    continue;
  }
  console.log(`| ${r.label} | ${r.publishesPerSecond} | ${r.deliveriesPerSecond} | ${(r.deliveredShare * 100).toFixed(1)} % | ${r.p50ms} | ${r.p99ms} | ${r.serverCpu.join(' / ')} | ${r.clientCpu} |`);
}
