// The subscribers of bench/pubsub.mjs, all in this one process: `count` connections spread round robin over the
// server ports, client i in room i % rooms, each recording publish→receipt latency. Uses each implementation's own
// client: sockwire's WebSocket, or socket.io-client (websocket transport only).
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';

const require = createRequire(import.meta.url);
const config = JSON.parse(process.env.BENCH_PUBSUB);
const now = () => performance.timeOrigin + performance.now();

const latencies = new Float64Array(4_000_000);
let received = 0;
let recording = false;
function onMessage(text) {
  if (!recording) return;
  const sentAt = Number(text.slice(0, text.indexOf('|')));
  if (received < latencies.length) latencies[received] = now() - sentAt;
  received++;
}

const sockets = [];
const opened = [];
for (let i = 0; i < config.count; i++) {
  const port = config.ports[i % config.ports.length];
  const room = `room-${i % config.rooms}`;
  if (config.impl === 'socketio') {
    const { io } = require('socket.io-client');
    const socket = io(`http://127.0.0.1:${port}`, { transports: ['websocket'], reconnection: false });
    socket.on('m', onMessage);
    opened.push(new Promise((resolve) => socket.once('connect', () => resolve(socket.emit('join', room)))));
    sockets.push(socket);
  } else {
    const { WebSocket } = require('../../dist/cjs/index.js');
    const ws = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: false });
    ws.on('message', (data) => onMessage(data.toString()));
    ws.on('error', () => {});
    opened.push(new Promise((resolve) => ws.once('open', () => resolve(ws.send(`sub ${room}`)))));
    sockets.push(ws);
  }
  if (i % 100 === 99) await Promise.all(opened.slice(-100));
}
await Promise.all(opened);

function percentile(sorted, p) {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

let cpu = process.cpuUsage();
// The bench parent died: never outlive it.
process.on('disconnect', () => process.exit(1));
process.on('message', (message) => {
  if (message?.cmd === 'start') {
    received = 0;
    recording = true;
    cpu = process.cpuUsage();
    process.send({ id: message.id });
  } else if (message?.cmd === 'stop') {
    recording = false;
    const used = process.cpuUsage(cpu);
    const sorted = latencies.slice(0, Math.min(received, latencies.length)).sort();
    process.send({ id: message.id, received, p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), cpuMs: (used.user + used.system) / 1000 });
  } else if (message?.cmd === 'close') {
    for (const socket of sockets) (socket.disconnect ?? socket.terminate).call(socket);
    process.send({ id: message.id });
    process.exit(0);
  }
});
process.send({ up: true });
