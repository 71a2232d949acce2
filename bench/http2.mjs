// WebSockets over HTTP/2 (RFC 8441) against HTTP/1.1 (issue 14): N WebSockets on ONE HTTP/2 connection vs N
// HTTP/1.1 connections, echo of 16 B and 16 KiB (1 message in flight per socket), msgs/s and memory (RSS) per
// WebSocket on the server and on the client. Cleartext (h2c vs ws://) and TLS (h2 vs wss://); ws 8 serves the
// HTTP/1.1 reference row (it has no HTTP/2). The server runs pinned to CPU 0, the client (sockwire) to CPU 1.
//
//   node bench/http2.mjs [--sockets 500] [--seconds 3] [--reps 3] [--only h2c,h1]
//   SOCKWIRE_BENCH_WINDOWS=65535,65535 node bench/http2.mjs …   (HTTP/2 windows in bytes: per stream, per session)
//
// Memory: each side measures its own RSS after gc() with 1 WebSocket open and again with all N open; the
// difference over N−1 is the cost of one more WebSocket (for HTTP/2: one more stream on the shared session).
// Prints a Markdown table; nothing else is written.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import os from 'node:os';

const require = createRequire(import.meta.url);
const SELF = fileURLToPath(import.meta.url);
const FIXTURES = fileURLToPath(new URL('../test/fixtures/h2/', import.meta.url));

const CONFIGS = {
  h1: { label: 'HTTP/1.1 ws:// (sockwire server)', impl: 'sockwire', transport: 'h1', tls: false },
  'h1-ws': { label: 'HTTP/1.1 ws:// (ws server)', impl: 'ws', transport: 'h1', tls: false },
  h2c: { label: 'HTTP/2 h2c, one session (sockwire server)', impl: 'sockwire', transport: 'h2', tls: false },
  'h1-tls': { label: 'HTTP/1.1 wss:// (sockwire server)', impl: 'sockwire', transport: 'h1', tls: true },
  'h2-tls': { label: 'HTTP/2 over TLS, one session (sockwire server)', impl: 'sockwire', transport: 'h2', tls: true }
};

function arg(name, fallback) {
  const index = process.argv.indexOf(`--${name}`);
  return index === -1 ? fallback : process.argv[index + 1];
}

function rss() {
  globalThis.gc?.();
  globalThis.gc?.();
  return process.memoryUsage.rss();
}

/** CPU time (user + system) this process has used, in µs. */
function cpuMicros() {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
}

/** JS heap plus Buffers after gc: finer-grained than RSS, which grows in whole pages and heap chunks. */
function heap() {
  globalThis.gc?.();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.external;
}

/** `SOCKWIRE_BENCH_WINDOWS=stream,session` (bytes) overrides the default HTTP/2 windows on both sides. */
function windowsOption() {
  const value = process.env.SOCKWIRE_BENCH_WINDOWS;
  if (!value) return {};
  const [stream, session] = value.split(',').map(Number);
  return { http2Windows: { stream, session } };
}

// ---- server role ---------------------------------------------------------------------------------------------
async function serve(config) {
  const fs = require('node:fs');
  const tlsOptions = { key: fs.readFileSync(FIXTURES + 'key.pem'), cert: fs.readFileSync(FIXTURES + 'cert.pem') };
  let server;
  if (config.transport === 'h2') {
    const http2 = require('node:http2');
    server = config.tls ? http2.createSecureServer(tlsOptions) : http2.createServer();
  } else {
    server = config.tls ? require('node:https').createServer(tlsOptions) : require('node:http').createServer();
  }
  const { WebSocketServer } = config.impl === 'ws' ? require('ws') : require('../dist/cjs/index.js');
  const wss = new WebSocketServer({ server, perMessageDeflate: false, ...windowsOption() });
  wss.on('connection', (ws) => {
    ws.on('message', (data, isBinary) => {
      // In-band control: the client asks for this process's RSS.
      if (!isBinary && data.length === 4 && data.toString() === 'rss?') ws.send(`rss=${rss()},${heap()}`);
      else if (!isBinary && data.length === 4 && data.toString() === 'cpu?') ws.send(`cpu=${cpuMicros()}`);
      else ws.send(data, { binary: isBinary });
    });
  });
  server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })));
}

// ---- client role ---------------------------------------------------------------------------------------------
async function load(config, port, sockets, seconds) {
  const fs = require('node:fs');
  const { WebSocket } = require('../dist/cjs/index.js');
  const url = `${config.tls ? 'wss' : 'ws'}://127.0.0.1:${port}/`;
  const options = { perMessageDeflate: false, ca: fs.readFileSync(FIXTURES + 'ca.pem') };
  if (config.transport === 'h2') Object.assign(options, { http2: config.tls ? true : 'prior-knowledge', ...windowsOption() });
  const open = () =>
    new Promise((resolve, reject) => {
      const ws = new WebSocket(url, options);
      ws.once('open', () => resolve(ws));
      ws.once('error', reject);
    });
  const ask = (ws) =>
    new Promise((resolve) => {
      ws.once('message', (data) => resolve(data.toString().slice(4).split(',').map(Number)));
      ws.send('rss?');
    });
  const first = await open();
  const clientBase = [rss(), heap()];
  const serverBase = await ask(first);
  const rest = [];
  for (let i = 1; i < sockets; i += 50) {
    const batch = Math.min(50, sockets - i);
    rest.push(...(await Promise.all(Array.from({ length: batch }, open))));
  }
  const all = [first, ...rest];
  const clientLoaded = [rss(), heap()];
  const serverLoaded = await ask(first);
  const versions = new Set(all.map((ws) => ws.httpVersion));
  const sessions = new Set(all.map((ws) => ws._socket.session ?? ws._socket));
  const results = { httpVersion: [...versions].join(','), connections: sessions.size };
  const perSocket = (loaded, base, i) => Math.round((loaded[i] - base[i]) / (sockets - 1));
  results.serverBytesPerSocket = perSocket(serverLoaded, serverBase, 0);
  results.serverHeapPerSocket = perSocket(serverLoaded, serverBase, 1);
  results.clientBytesPerSocket = perSocket(clientLoaded, clientBase, 0);
  results.clientHeapPerSocket = perSocket(clientLoaded, clientBase, 1);
  for (const size of [16, 16 * 1024]) {
    const payload = Buffer.alloc(size, 0x61);
    let counting = false;
    let count = 0;
    let stop = false;
    let answer = null;
    for (const ws of all) {
      ws.removeAllListeners('message');
      ws.on('message', (data, isBinary) => {
        // Text is the server's answer to 'cpu?'; the echo load is binary.
        if (!isBinary) return answer?.(Number(data.toString().slice(4)));
        if (counting) count++;
        if (!stop) ws.send(payload);
      });
    }
    const serverCpu = () =>
      new Promise((resolve) => {
        answer = resolve;
        first.send('cpu?');
      });
    for (const ws of all) ws.send(payload);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const serverBefore = await serverCpu();
    const clientBefore = cpuMicros();
    counting = true;
    const started = process.hrtime.bigint();
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
    counting = false;
    const clientUsed = cpuMicros() - clientBefore;
    const serverUsed = (await serverCpu()) - serverBefore;
    stop = true;
    results[`msgs${size}`] = Math.round(count / elapsed);
    // CPU per message is what contention from other processes disturbs least (wall-clock rates suffer first).
    results[`serverCpu${size}`] = Number((serverUsed / count).toFixed(2));
    results[`clientCpu${size}`] = Number((clientUsed / count).toFixed(2));
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  for (const ws of all) ws.terminate();
  console.log(JSON.stringify(results));
}

// ---- orchestration -------------------------------------------------------------------------------------------
function spawnRole(cpu, args) {
  const pinned = os.cpus().length > 1;
  const command = pinned ? 'taskset' : process.execPath;
  const full = [...(pinned ? ['-c', cpu, process.execPath] : []), '--expose-gc', SELF, ...args];
  return spawn(command, full, { stdio: ['ignore', 'pipe', 'inherit'] });
}

async function firstJsonLine(child, limitMs) {
  const lines = createInterface({ input: child.stdout });
  const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
  for await (const line of lines) {
    if (line.startsWith('{')) {
      clearTimeout(timer);
      return JSON.parse(line);
    }
  }
  clearTimeout(timer);
  throw new Error(`no result (exit ${child.exitCode})`);
}

async function main() {
  const sockets = Number(arg('sockets', 500));
  const seconds = Number(arg('seconds', 3));
  const only = arg('only', Object.keys(CONFIGS).join(',')).split(',');
  const reps = Number(arg('reps', 3));
  const runs = Object.fromEntries(only.map((name) => [name, []]));
  // Repetitions interleave the transports (and rotate their order), so a burst of foreign load hits all alike.
  for (let rep = 0; rep < reps; rep++) {
    const order = only.map((_, i) => only[(i + rep) % only.length]);
    for (const name of order) {
      const server = spawnRole('0', ['server', name]);
      try {
        const { port } = await firstJsonLine(server, 15000);
        const client = spawnRole('1', ['client', name, String(port), String(sockets), String(seconds)]);
        const result = await firstJsonLine(client, (seconds * 2 + 120) * 1000);
        await once(client, 'exit');
        runs[name].push(result);
        console.error(`${name} #${rep + 1}: ${JSON.stringify(result)}`);
      } catch (error) {
        // A run that did not finish is no result (and is reported); the others still count.
        console.error(`${name} #${rep + 1}: no result: ${error.message}`);
      } finally {
        server.kill('SIGTERM');
      }
    }
  }
  const median = (values) => values.slice().sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const rows = only.filter((name) => runs[name].length > 0).map((name) => {
    const row = { name, ...CONFIGS[name], ...runs[name][0] };
    for (const field of Object.keys(runs[name][0]).filter((key) => typeof runs[name][0][key] === 'number' && key !== 'connections')) {
      row[field] = median(runs[name].map((run) => run[field]));
    }
    return row;
  });
  const fmt = (n) => n.toLocaleString('en-US');
  const byName = Object.fromEntries(rows.map((row) => [row.name, row]));
  console.log(
    `Run: ${new Date().toISOString()} · \`node bench/http2.mjs --sockets ${sockets} --seconds ${seconds} --reps ${reps}\` · ` +
      `medians of ${reps} interleaved runs · Node ${process.version} · load average at the end ${os.loadavg()[0].toFixed(1)}`
  );
  console.log('');
  console.log('| transport | TCP conns | server RSS B / WS | server heap B / WS | client RSS B / WS | client heap B / WS |');
  console.log('|---|--:|--:|--:|--:|--:|');
  for (const row of rows) {
    const cells = [row.serverBytesPerSocket, row.serverHeapPerSocket, row.clientBytesPerSocket, row.clientHeapPerSocket];
    console.log(`| ${row.label} | ${row.connections} | ${cells.map(fmt).join(' | ')} |`);
  }
  console.log('');
  console.log('| transport | 16 B msgs/s | 16 B server µs/msg | 16 B client µs/msg | 16 KiB msgs/s | 16 KiB MiB/s | 16 KiB server µs/msg | 16 KiB client µs/msg |');
  console.log('|---|--:|--:|--:|--:|--:|--:|--:|');
  for (const row of rows) {
    const mib = ((row.msgs16384 * 16384) / 1048576).toFixed(0);
    const cells = [fmt(row.msgs16), row.serverCpu16, row.clientCpu16, fmt(row.msgs16384), mib, row.serverCpu16384, row.clientCpu16384];
    console.log(`| ${row.label} | ${cells.join(' | ')} |`);
  }
  for (const [h2, h1] of [['h2c', 'h1'], ['h2-tls', 'h1-tls']]) {
    if (!byName[h2] || !byName[h1]) continue;
    const a = byName[h2];
    const b = byName[h1];
    console.log('');
    console.log(
      `${h2} / ${h1}: server RSS per WebSocket ${(a.serverBytesPerSocket / b.serverBytesPerSocket).toFixed(2)}× (target ≤ 0.5×), ` +
        `server heap ${(a.serverHeapPerSocket / b.serverHeapPerSocket).toFixed(2)}×, ` +
        `client ${(a.clientBytesPerSocket / b.clientBytesPerSocket).toFixed(2)}×; msgs/s 16 B ${(a.msgs16 / b.msgs16).toFixed(2)}×, ` +
        `16 KiB ${(a.msgs16384 / b.msgs16384).toFixed(2)}× (target ≥ 0.8×); server CPU per 16 KiB message ` +
        `${(a.serverCpu16384 / b.serverCpu16384).toFixed(2)}×, client ${(a.clientCpu16384 / b.clientCpu16384).toFixed(2)}×`
    );
  }
}

const [role, name, ...rest] = process.argv.slice(2);
if (role === 'server') await serve(CONFIGS[name]);
else if (role === 'client') await load(CONFIGS[name], Number(rest[0]), Number(rest[1]), Number(rest[2]));
else await main();
