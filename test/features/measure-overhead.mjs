// Not a test: measures what the sockwire features cost when they are OFF. Compares two builds of sockwire (e.g. a
// copy with the feature hooks stripped vs the current dist) on idle server RSS per connection and echo messages/s,
// alternating runs in one session. Loopback only, bounded.
//
//   node --expose-gc test/features/measure-overhead.mjs <distA>/index.js <distB>/index.js [connections] [rounds]
//
// The clients always use `ws` (in a child process), so only the server side differs.
import { fork } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';

const require = createRequire(import.meta.url);
const self = fileURLToPath(import.meta.url);

if (process.argv[2] === '--server') await serve(process.argv[3], Number(process.argv[4]));
else if (process.argv[2] === '--clients') await clients(Number(process.argv[3]), Number(process.argv[4]));
else await main();

async function main() {
  const [a, b] = [resolve(process.argv[2]), resolve(process.argv[3])];
  const connections = Number(process.argv[4] ?? 2000);
  const rounds = Number(process.argv[5] ?? 3);
  const results = { [a]: [], [b]: [] };
  for (let i = 0; i < rounds; i++) {
    for (const dist of i % 2 === 0 ? [a, b] : [b, a]) {
      const child = fork(self, ['--server', dist, String(connections)], { execArgv: ['--expose-gc'] });
      const result = await new Promise((done) => child.once('message', done));
      child.kill();
      results[dist].push(result);
      console.log(dist, JSON.stringify(result));
    }
  }
  const median = (list, key) => list.map((r) => r[key]).sort((x, y) => x - y)[Math.floor(list.length / 2)];
  for (const dist of [a, b]) {
    console.log(
      `${dist}: median RSS bytes/connection ${median(results[dist], 'bytesPerConnection')}, heap bytes/connection ` +
        `${median(results[dist], 'heapPerConnection')}, echo msgs/s ${median(results[dist], 'echoPerSecond')}`,
    );
  }
}

async function serve(dist, connections) {
  const { WebSocketServer } = require(dist);
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', backlog: 2048 });
  await new Promise((done) => wss.once('listening', done));
  wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
  globalThis.gc();
  const before = process.memoryUsage().rss;
  const heapBefore = process.memoryUsage().heapUsed;
  const child = fork(self, ['--clients', String(wss.address().port), String(connections)]);
  await new Promise((done) => child.once('message', done)); // connected
  for (let i = 0; i < 3; i++) globalThis.gc();
  await new Promise((done) => setTimeout(done, 200));
  globalThis.gc();
  const bytesPerConnection = Math.round((process.memoryUsage().rss - before) / connections);
  const heapPerConnection = Math.round((process.memoryUsage().heapUsed - heapBefore) / connections);
  child.send('echo');
  const { perSecond } = await new Promise((done) => child.once('message', done));
  child.kill();
  process.send({ bytesPerConnection, heapPerConnection, echoPerSecond: perSecond });
}

async function clients(port, count) {
  const WebSocket = require('ws');
  const sockets = [];
  for (let i = 0; i < count; i += 200) {
    const batch = [];
    for (let j = i; j < Math.min(count, i + 200); j++) {
      const ws = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: false });
      sockets.push(ws);
      batch.push(new Promise((done, fail) => (ws.once('open', done), ws.once('error', fail))));
    }
    await Promise.all(batch);
  }
  process.send('connected');
  await new Promise((done) => process.once('message', done));
  // Echo: 20 connections, 100 messages in flight each, 200,000 messages in total (bounded).
  const active = sockets.slice(0, 20);
  const perSocket = 10000;
  const payload = Buffer.alloc(32, 1);
  const start = process.hrtime.bigint();
  await Promise.all(
    active.map(
      (ws) =>
        new Promise((done) => {
          let received = 0;
          let sent = 0;
          ws.on('message', () => {
            received++;
            if (sent < perSocket) (ws.send(payload), sent++);
            if (received === perSocket) done();
          });
          for (; sent < 100; sent++) ws.send(payload);
        }),
    ),
  );
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  process.send({ perSecond: Math.round((active.length * perSocket) / seconds) });
}
