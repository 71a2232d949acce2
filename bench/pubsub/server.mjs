// One server process of bench/pubsub.mjs. BENCH_PUBSUB (JSON) names the implementation:
//   sockwire  WebSocketServer + RedisPubSub          socketio  socket.io 4.8 + @socket.io/redis-adapter
//   cluster   WebSocketServer + ClusterPubSub (a worker of cluster-primary.mjs)
//   local     WebSocketServer alone (one process, no pub/sub)
// Clients join a room with a text "sub <room>" (sockwire) or a 'join' event (socket.io). On a 'rate' command the
// process publishes `perSecond` messages per second for `seconds`, round robin over the rooms, each carrying its
// send time, and answers with its CPU time over the step.
import http from 'node:http';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';

const require = createRequire(import.meta.url);
const config = JSON.parse(process.env.BENCH_PUBSUB);
const PAD = 'x'.repeat(48);
const now = () => performance.timeOrigin + performance.now();

let publish;
let close;
const server = http.createServer();
let unhandled = 0;
if (config.impl === 'socketio') {
  // Under load @socket.io/redis-adapter (8.3, with node-redis 6) can leave a command TimeoutError unhandled, which
  // would end the process; count those instead, so that the run goes on and the table says so.
  process.on('unhandledRejection', () => unhandled++);
  const { Server } = require('socket.io');
  const { createAdapter } = require('@socket.io/redis-adapter');
  const { createClient } = require('redis');
  const pub = createClient({ url: config.url });
  const sub = pub.duplicate();
  for (const client of [pub, sub]) client.on('error', () => {});
  await Promise.all([pub.connect(), sub.connect()]);
  const io = new Server(server, { transports: ['websocket'], adapter: createAdapter(pub, sub) });
  io.on('connection', (socket) => socket.on('join', (room) => socket.join(room)));
  publish = (room, message) => io.to(room).emit('m', message);
  close = async () => {
    io.close();
    await Promise.all([pub.close(), sub.close()]);
  };
} else {
  const { WebSocketServer, ClusterPubSub } = require('../../dist/cjs/index.js');
  let pubsub;
  if (config.impl === 'sockwire') pubsub = new (require('../../dist/cjs/redis.js').RedisPubSub)({ url: config.url });
  if (config.impl === 'cluster') pubsub = new ClusterPubSub();
  const wss = new WebSocketServer({ server, pubsub, perMessageDeflate: false });
  wss.on('connection', (ws) => {
    ws.on('message', (data) => {
      const text = data.toString();
      if (text.startsWith('sub ')) ws.subscribe(text.slice(4));
    });
  });
  publish = (room, message) => wss.publish(room, message);
  close = () => wss.shutdown({ timeout: 1000 });
}
// In a cluster worker, listen(0) gives every worker the same port: the primary spreads connections over them.
await new Promise((resolve) => server.listen(config.port ?? 0, '127.0.0.1', resolve));

function runStep({ perSecond, seconds, rooms }) {
  return new Promise((resolve) => {
    const cpu = process.cpuUsage();
    const started = now();
    let sent = 0;
    let room = 0;
    const timer = setInterval(() => {
      const elapsed = now() - started;
      if (elapsed >= seconds * 1000) {
        clearInterval(timer);
        const used = process.cpuUsage(cpu);
        resolve({ sent, cpuMs: (used.user + used.system) / 1000, wallMs: now() - started, unhandled });
        return;
      }
      const due = Math.floor((elapsed / 1000) * perSecond);
      for (; sent < due; sent++) {
        publish(`room-${room}`, `${now()}|${PAD}`);
        room = (room + 1) % rooms;
      }
    }, 5);
  });
}

// The bench parent died: never outlive it.
process.on('disconnect', () => process.exit(1));
process.on('message', async (message) => {
  if (message?.cmd === 'rate') {
    const result = await runStep(message);
    if (process.connected) process.send({ id: message.id, ...result });
  }
  if (message?.cmd === 'close') {
    await close();
    process.send({ id: message.id });
    process.exit(0);
  }
});
process.send({ up: true, port: server.address().port });
