// Broadcast benchmark: one message to N connections, sockwire `wss.broadcast(msg)` against ws
// `wss.clients.forEach((c) => c.send(msg))`, in the same run, loopback only, bounded.
//
//   cd /work/main && npm run build && node bench/broadcast.mjs [--clients 10000] [--rounds 15] [--size 128] [--deflate]
//
// Needs file descriptors for N sockets in this process and N in the client child: `ulimit -n` ≥ N + 200 (raise it
// with `ulimit -n 20000` in the shell first if needed). Writes bench/out/broadcast.json.
//
// `--peer ws|sockwire|raw [--load-cpu 1]` measures one peer only (`raw`: the socket.write floor, below) and prints
// one `key=value` line; that is how bench/run.mjs runs it, this process pinned to the server CPU, the client child
// pinned to --load-cpu.
//
// Per round it measures (a) the server's synchronous send loop (what blocks the event loop) and (b) the time until
// the child has received the message on every connection (end to end). Clients are raw TCP sockets in a child
// process, identical for both libraries, that only count frames.
import { fork, spawn } from 'node:child_process';
import { writeFileSync, mkdirSync } from 'node:fs';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { HZ, cpuJiffies, processJiffies } from './lib/proc.mjs';
import { loadImpl } from './servers/impls.mjs';

const here = dirname(fileURLToPath(import.meta.url));

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : process.argv[i + 1];
}

if (process.argv[2] === '--child') runClients();
else if (process.argv.includes('--peer')) await runPeer();
else await runParent();

/** The broadcast message: JSON text of exactly `size` bytes. */
function makeMessage(size) {
  return JSON.stringify({ type: 'tick', pad: 'x'.repeat(Math.max(0, size - 24)) }).slice(0, size);
}

// ---- one peer, for bench/run.mjs ---------------------------------------------------------------------------
async function runPeer() {
  const peer = arg('peer');
  const clients = Number(arg('clients', 10000));
  const rounds = Number(arg('rounds', 15));
  const message = makeMessage(Number(arg('size', 100)));
  if (peer === 'raw' && Buffer.byteLength(message) >= 126) throw new Error('the raw floor needs a message < 126 B');
  const name = peer === 'raw' ? 'floor' : peer;
  const lib = loadImpl(peer === 'raw' ? 'sockwire' : peer);
  const r = await measure(name, lib, { clients, rounds, message, serverOptions: {}, deflate: false,
    loadCpu: arg('load-cpu') });
  // One delivery is one message arriving on one connection; the rate is over the median round, end to end.
  console.log(`mode=broadcast impl=${peer} conns=${clients} open=${clients} rounds=${rounds} ` +
    `size=${Buffer.byteLength(message)} send_loop_ms=${r.sendLoopMs} end_to_end_ms=${r.endToEndMs} ` +
    `deliveries_per_s=${Math.round((clients * 1000) / r.endToEndMs)} sys_busy=${r.cpu.sys_busy} ` +
    `srv_cpu=${r.cpu.srv_cpu} cli_cpu=${r.cpu.cli_cpu} errors=0`);
}

// ---- parent: the servers -----------------------------------------------------------------------------------
async function runParent() {
  const clients = Number(arg('clients', 10000));
  const rounds = Number(arg('rounds', 15));
  const size = Number(arg('size', 128));
  const deflate = process.argv.includes('--deflate');
  const message = makeMessage(size);
  const libs = { ws: loadImpl('ws'), sockwire: loadImpl('sockwire') };
  const serverOptions = deflate ? { perMessageDeflate: { serverNoContextTakeover: true, threshold: 0 } } : {};
  const results = {};
  // ws first, then sockwire, then ws again: a drift in the machine shows up as a ws-vs-ws difference.
  const order = process.argv.includes('--floor') && !deflate && Buffer.byteLength(message) < 126 ? ['ws', 'sockwire', 'ws', 'floor'] : ['ws', 'sockwire', 'ws'];
  for (const name of order) {
    const label = results[name] ? `${name} (again)` : name;
    results[label] = await measure(name, libs[name] ?? libs.sockwire, { clients, rounds, message, serverOptions, deflate });
    console.log(label, JSON.stringify(results[label]));
  }
  const ratio = (key) => +(median2(results.ws[key], results['ws (again)'][key]) / results.sockwire[key]).toFixed(2);
  const summary = {
    date: new Date().toISOString(),
    node: process.version,
    clients,
    rounds,
    messageBytes: Buffer.byteLength(message),
    deflate,
    results,
    speedup: { sendLoop: ratio('sendLoopMs'), endToEnd: ratio('endToEndMs') },
  };
  console.log('speedup (ws / sockwire):', JSON.stringify(summary.speedup));
  mkdirSync(join(here, 'out'), { recursive: true });
  const file = join(here, 'out', deflate ? 'broadcast-deflate.json' : 'broadcast.json');
  writeFileSync(file, JSON.stringify(summary, null, 2) + '\n');
  console.log('wrote', file);
}

function median2(a, b) {
  return (a + b) / 2;
}

function median(values) {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length / 2)];
}

async function measure(name, lib, { clients, rounds, message, serverOptions, deflate, loadCpu }) {
  const wss = new lib.WebSocketServer({ port: 0, host: '127.0.0.1', backlog: 4096, ...serverOptions });
  await new Promise((resolve) => wss.once('listening', resolve));
  const port = wss.address().port;
  const childArgs = [fileURLToPath(import.meta.url), '--child', String(port), String(clients), deflate ? '1' : '0'];
  const stdio = ['ignore', 'inherit', 'inherit', 'ipc'];
  // taskset execs node, which finds the IPC channel that spawn opened (NODE_CHANNEL_FD) as fork's child would.
  const child = loadCpu
    ? spawn('taskset', ['-c', loadCpu, process.execPath, ...childArgs], { stdio })
    : fork(childArgs[0], childArgs.slice(1), { stdio });
  const fromChild = messages(child);
  const ready = await fromChild.next(120000);
  if (ready.type !== 'ready' || wss.clients.size !== clients) throw new Error(`${name}: only ${wss.clients.size} clients connected`);
  // 'floor': the same prebuilt frame written straight to each raw socket — the kernel's share, no library at all.
  const frame = Buffer.concat([Buffer.from([0x81, Buffer.byteLength(message)]), Buffer.from(message)]);
  const send =
    name === 'sockwire'
      ? () => wss.broadcast(message)
      : name === 'floor'
        ? () => wss.clients.forEach((client) => client._socket.write(frame))
        : () => wss.clients.forEach((client) => client.send(message));
  const loop = [];
  const total = [];
  const warmup = 3;
  let cpu0 = null;
  for (let round = 0; round < warmup + rounds; round++) {
    if (round === warmup) cpu0 = cpuSample(child.pid);
    child.send({ type: 'expect', round });
    await fromChild.next(10000); // armed
    const start = performance.now();
    send();
    const looped = performance.now();
    const done = await fromChild.next(60000);
    if (done.type !== 'received' || done.round !== round) throw new Error(`${name}: bad report ${JSON.stringify(done)}`);
    const end = performance.now();
    if (round >= warmup) {
      loop.push(looped - start);
      total.push(end - start);
    }
  }
  const cpu = cpuShares(cpu0, cpuSample(child.pid));
  child.send({ type: 'exit' });
  await new Promise((resolve) => child.once('exit', resolve));
  for (const client of wss.clients) client.terminate();
  await new Promise((resolve) => wss.close(resolve));
  return { sendLoopMs: +median(loop).toFixed(2), endToEndMs: +median(total).toFixed(2), cpu };
}

/** Jiffies of all CPUs, of this process (the server) and of the client child, and the time. */
function cpuSample(childPid) {
  return { at: performance.now(), busy: cpuJiffies().busy, srv: processJiffies(process.pid), cli: processJiffies(childPid) };
}

/** % of one CPU used over the measured rounds by everything, the server and the clients (bench/run.mjs's noise gauge). */
function cpuShares(a, b) {
  const pct = (j) => +((j / HZ / ((b.at - a.at) / 1000)) * 100).toFixed(1);
  return { sys_busy: pct(b.busy - a.busy), srv_cpu: pct(b.srv - a.srv), cli_cpu: pct(b.cli - a.cli) };
}

/** Pull IPC messages one at a time with a bounded wait. */
function messages(child) {
  const queue = [];
  const waiters = [];
  child.on('message', (msg) => (waiters.length > 0 ? waiters.shift()(msg) : queue.push(msg)));
  return {
    next(ms) {
      if (queue.length > 0) return Promise.resolve(queue.shift());
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('child did not answer in time')), ms);
        waiters.push((msg) => {
          clearTimeout(timer);
          resolve(msg);
        });
      });
    },
  };
}

// ---- child: N raw clients that count frames ----------------------------------------------------------------
async function runClients() {
  const [port, count, deflate] = process.argv.slice(3).map(Number);
  const request =
    'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n' +
    (deflate ? 'Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover\r\n' : '') +
    '\r\n';
  let pendingFrames = 0;
  let round = -1;
  const sockets = [];
  function onFrames(n) {
    pendingFrames -= n;
    if (pendingFrames === 0) process.send({ type: 'received', round });
  }
  function connectOne() {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1');
      let buffer = Buffer.alloc(0);
      let upgraded = false;
      socket.setNoDelay(true);
      socket.on('error', reject);
      socket.on('data', (chunk) => {
        buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
        if (!upgraded) {
          const end = buffer.indexOf('\r\n\r\n');
          if (end === -1) return;
          upgraded = true;
          buffer = buffer.subarray(end + 4);
          resolve(socket);
        }
        // Count whole frames (server frames are unmasked, RFC 6455 §5.1).
        let frames = 0;
        let offset = 0;
        while (buffer.length - offset >= 2) {
          let length = buffer[offset + 1] & 0x7f;
          let start = offset + 2;
          if (length === 126) {
            if (buffer.length - offset < 4) break;
            length = buffer.readUInt16BE(offset + 2);
            start += 2;
          } else if (length === 127) {
            if (buffer.length - offset < 10) break;
            length = Number(buffer.readBigUInt64BE(offset + 2));
            start += 8;
          }
          if (buffer.length < start + length) break;
          offset = start + length;
          frames++;
        }
        buffer = offset === buffer.length ? Buffer.alloc(0) : buffer.subarray(offset);
        if (frames > 0) onFrames(frames);
      });
      socket.write(request);
    });
  }
  // Connect in bounded batches so the listen backlog never overflows.
  const BATCH = 500;
  for (let i = 0; i < count; i += BATCH) {
    const batch = [];
    for (let j = i; j < Math.min(count, i + BATCH); j++) batch.push(connectOne());
    sockets.push(...(await Promise.all(batch)));
  }
  process.on('message', (msg) => {
    if (msg.type === 'expect') {
      round = msg.round;
      pendingFrames = count;
      process.send({ type: 'armed' });
    } else if (msg.type === 'exit') {
      for (const socket of sockets) socket.destroy();
      process.exit(0);
    }
  });
  process.send({ type: 'ready' });
}
