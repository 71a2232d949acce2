// bench/pubsub.mjs's ClusterPubSub setup: a cluster primary with `workers` workers running server.mjs (impl
// 'cluster'), sharing one port. It relays the parent's commands to every worker and sums their answers.
import cluster from 'node:cluster';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const { ClusterPubSub } = createRequire(import.meta.url)('../../dist/cjs/index.js');
const config = JSON.parse(process.env.BENCH_PUBSUB);
ClusterPubSub.setupPrimary();
cluster.setupPrimary({ exec: fileURLToPath(new URL('./server.mjs', import.meta.url)) });
const workers = [];
let port;
for (let i = 0; i < config.workers; i++) {
  // Every worker listens on port 0: node:cluster gives them all the same port, and spreads connections over them.
  const worker = cluster.fork({ BENCH_PUBSUB: JSON.stringify({ impl: 'cluster' }) });
  const up = await new Promise((resolve) => worker.on('message', (message) => message?.up && resolve(message)));
  port = up.port;
  workers.push(worker);
}

function ask(worker, message) {
  return new Promise((resolve) => {
    const onMessage = (reply) => {
      if (reply?.id !== message.id) return;
      worker.off('message', onMessage);
      resolve(reply);
    };
    worker.on('message', onMessage);
    worker.send(message);
  });
}

// The bench parent died: never outlive it.
process.on('disconnect', () => process.exit(1));
process.on('message', async (message) => {
  if (message?.cmd === 'rate') {
    // The parent's rate is the total: each worker publishes its share.
    const replies = await Promise.all(workers.map((worker) => ask(worker, { ...message, perSecond: message.perSecond / workers.length })));
    process.send({ id: message.id, sent: replies.reduce((n, r) => n + r.sent, 0), cpuMs: replies.map((r) => r.cpuMs), wallMs: Math.max(...replies.map((r) => r.wallMs)) });
  } else if (message?.cmd === 'close') {
    await Promise.all(workers.map((worker) => ask(worker, message)));
    process.send({ id: message.id });
    process.exit(0);
  }
});
process.send({ up: true, port });
