// Client-side load: N WebSocket clients of one library, each keeping D binary messages of S bytes in flight
// against an echo server (bench/wsecho.c, which is far faster than any Node client, so the client is measured).
// `node client-load.mjs IMPL PORT CONNS SIZE DURATION_S WARMUP_S [DEPTH] [SERVER_PID]` prints one key=value
// line like wsload (with srv_cpu and sys_busy when the server pid is given, so the runner can spot noisy runs).
// Every echo is compared byte for byte with what was sent; a mismatch or an early close counts as an error.
import { HZ, cpuJiffies, processJiffies } from '../lib/proc.mjs';
import { loadImpl } from '../servers/impls.mjs';

const [impl, portArg, connsArg, sizeArg, durArg, warmArg, depthArg, serverPidArg] = process.argv.slice(2);
const port = Number(portArg);
const conns = Number(connsArg);
const size = Number(sizeArg);
const duration = Number(durArg);
const warmup = Number(warmArg);
const depth = Number(depthArg || 1);
const { WebSocket } = loadImpl(impl);

const payload = Buffer.alloc(size);
for (let i = 0; i < size; i++) payload[i] = 0x41 + (i % 26);

let phase = 'setup';
let opened = 0;
let msgs = 0;
let errors = 0;
const sockets = [];

// Shared listeners (no closure per client), so the harness costs the same for both libraries.
function onMessage(data, isBinary) {
  if (!isBinary || !Buffer.isBuffer(data) || !payload.equals(data)) errors++;
  msgs++;
  if (phase !== 'done') this.send(payload);
}
function onOpen() {
  opened++;
  if (opened === conns) start();
}
function onClose() {
  if (phase !== 'done') errors++;
}
function onError() {
  errors++;
}

/** Jiffies: all CPUs busy, and the server's user+system (fields 14 and 15 of /proc/PID/stat). */
function sample() {
  return { busy: cpuJiffies().busy, srv: serverPidArg ? processJiffies(serverPidArg) : null };
}

function report(secs, count, cpuMicros, s0) {
  let extra = '';
  if (s0) {
    const s1 = sample();
    extra = `sys_busy=${(((s1.busy - s0.busy) / HZ / secs) * 100).toFixed(1)} `;
    if (s0.srv !== null) extra += `srv_cpu=${(((s1.srv - s0.srv) / HZ / secs) * 100).toFixed(1)} `;
  }
  const line =
    `mode=client impl=${impl} conns=${conns} open=${opened} size=${size} depth=${depth} secs=${secs.toFixed(3)} ` +
    `msgs=${count} msgs_per_s=${(count / secs).toFixed(0)} MiB_per_s=${((count * size) / secs / 1048576).toFixed(2)} ` +
    `cli_cpu=${((cpuMicros / 1e6 / secs) * 100).toFixed(1)} ${extra}errors=${errors}`;
  process.stdout.write(line + '\n');
}

function finish(code) {
  phase = 'done';
  for (const ws of sockets) ws.terminate();
  process.exit(code);
}

function start() {
  clearTimeout(setupTimer);
  phase = 'warmup';
  for (const ws of sockets) for (let d = 0; d < depth; d++) ws.send(payload);
  setTimeout(() => {
    phase = 'measure';
    const m0 = msgs;
    const t0 = process.hrtime.bigint();
    const c0 = process.cpuUsage();
    const s0 = sample();
    setTimeout(() => {
      const secs = Number(process.hrtime.bigint() - t0) / 1e9;
      const cpu = process.cpuUsage(c0);
      report(secs, msgs - m0, cpu.user + cpu.system, s0);
      finish(0);
    }, duration * 1000);
  }, warmup * 1000);
}

const setupTimer = setTimeout(() => {
  errors++;
  report(1, 0, 0);
  finish(1);
}, 30000);
setTimeout(() => finish(3), (duration + warmup + 60) * 1000).unref();

for (let i = 0; i < conns; i++) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
  ws.on('open', onOpen);
  ws.on('message', onMessage);
  ws.on('close', onClose);
  ws.on('error', onError);
  sockets.push(ws);
}
