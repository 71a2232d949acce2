// Client-side load: N WebSocket clients of one library, each keeping D binary messages of S bytes in flight
// against an echo server (bench/wsecho.c, which is far faster than any Node client, so the client is measured).
// `node client-load.mjs IMPL PORT CONNS SIZE DURATION_S WARMUP_S [DEPTH] [SERVER_PID]` prints one key=value
// line like wsload (with srv_cpu and sys_busy when the server pid is given, so the runner can spot noisy runs).
// Every echo is compared byte for byte with what was sent; a mismatch or an early close counts as an error.
import { loadImpl } from '../servers/impls.mjs';
import { createLoad, makePayload, parseLoadArgs } from './load-harness.mjs';

const cfg = parseLoadArgs(process.argv.slice(2));
const { WebSocket } = loadImpl(cfg.impl);
const payload = makePayload(cfg.size);
const sockets = [];
const load = createLoad(cfg, {
  sendFirst: () => {
    for (const ws of sockets) for (let d = 0; d < cfg.depth; d++) ws.send(payload);
  },
  closeAll: () => {
    for (const ws of sockets) ws.terminate();
  }
});
const { stats } = load;

// Shared listeners (no closure per client), so the harness costs the same for both libraries.
function onMessage(data, isBinary) {
  if (!isBinary || !Buffer.isBuffer(data) || !payload.equals(data)) stats.errors++;
  stats.msgs++;
  if (stats.phase !== 'done') this.send(payload);
}
function onClose() {
  if (stats.phase !== 'done') stats.errors++;
}
function onError() {
  stats.errors++;
}

for (let i = 0; i < cfg.conns; i++) {
  const ws = new WebSocket(`ws://127.0.0.1:${cfg.port}/`);
  ws.on('open', load.opened);
  ws.on('message', onMessage);
  ws.on('close', onClose);
  ws.on('error', onError);
  sockets.push(ws);
}
