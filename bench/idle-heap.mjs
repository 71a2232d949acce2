// Issue 18 (per-connection objects): heap bytes per idle upgraded connection, and what each object type costs,
// for a 'before' build of sockwire, this build and ws. Each peer's server runs in its own process (this script
// with --serve), holds `--conns` idle upgraded connections from a client process, and reports the growth of the
// used heap after full collections, plus per-constructor self sizes from two heap snapshots (before and after):
// `node bench/idle-heap.mjs --before /tmp/before/dist/cjs [--conns 2000] [--peers before,after,ws]`
import { fork } from 'node:child_process';
import { connect } from 'node:net';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import v8 from 'node:v8';
import { rootDir } from './servers/impls.mjs';

const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : dflt;
};
const conns = Number(opt('conns', '2000'));
const UPGRADE = 'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n';

/** Self size and count per object kind in a heap snapshot file. */
function summarize(file) {
  const snapshot = JSON.parse(readFileSync(file, 'utf8'));
  rmSync(file);
  const fields = snapshot.snapshot.meta.node_fields;
  const types = snapshot.snapshot.meta.node_types[0];
  const [type, name, size] = ['type', 'name', 'self_size'].map((field) => fields.indexOf(field));
  const kinds = new Map();
  for (let i = 0; i < snapshot.nodes.length; i += fields.length) {
    const kind = types[snapshot.nodes[i + type]];
    const key = kind === 'object' || kind === 'closure' ? `${kind} ${snapshot.strings[snapshot.nodes[i + name]] || '(anonymous)'}` : kind;
    const entry = kinds.get(key) ?? { size: 0, count: 0 };
    entry.size += snapshot.nodes[i + size];
    entry.count++;
    kinds.set(key, entry);
  }
  return kinds;
}

/** --serve IMPL DIST: the measured server. Reports over IPC. */
async function serve(impl, dist) {
  const require = createRequire(import.meta.url);
  const lib = require(impl === 'ws' ? join(rootDir, 'node_modules', 'ws') : join(dist, 'index.js'));
  const wss = new lib.WebSocketServer({ port: 0, host: '127.0.0.1' });
  let open = 0;
  let allOpen;
  const opened = new Promise((resolve) => (allOpen = resolve));
  // Shared listeners, as a real server would have: no closure per connection from this script.
  const ignore = () => {};
  wss.on('connection', (ws) => {
    ws.on('error', ignore);
    ws.on('message', ignore);
    if (++open === conns) allOpen();
  });
  await new Promise((resolve) => wss.on('listening', resolve));
  const heap = () => {
    globalThis.gc();
    globalThis.gc();
    return process.memoryUsage().heapUsed;
  };
  const heap0 = heap();
  const kinds0 = summarize(v8.writeHeapSnapshot(join(tmpdir(), `idle-heap-${process.pid}-0.heapsnapshot`)));
  process.send({ port: wss.address().port });
  await opened;
  const heap1 = heap();
  const kinds1 = summarize(v8.writeHeapSnapshot(join(tmpdir(), `idle-heap-${process.pid}-1.heapsnapshot`)));
  const rows = [...kinds1]
    .map(([key, { size, count }]) => [key, size - (kinds0.get(key)?.size ?? 0), count - (kinds0.get(key)?.count ?? 0)])
    .filter(([, size, count]) => count >= conns * 0.9 && size >= conns * 8)
    .sort((a, b) => b[1] - a[1]);
  process.send({ perConn: (heap1 - heap0) / conns, rows: rows.map(([key, size, count]) => [key, size / conns, count / conns]) });
}

/** The client side: `conns` upgraded connections, 100 at a time; resolves with the sockets once all are open. */
async function openConnections(port) {
  const sockets = [];
  for (let i = 0; i < conns; i += 100) {
    await Promise.all(Array.from({ length: Math.min(100, conns - i) }, () => new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => socket.write(UPGRADE));
      socket.once('data', resolve);
      socket.once('error', reject);
      sockets.push(socket);
    })));
  }
  return sockets;
}

async function main() {
  if (argv[0] === '--serve') return serve(argv[1], argv[2]);
  const builds = { before: opt('before', ''), after: join(rootDir, 'dist', 'cjs'), ws: '' };
  const peers = opt('peers', 'before,after,ws').split(',');
  if (peers.includes('before') && builds.before === '') throw new Error('--before <dist/cjs of the before build> is needed');
  const results = {};
  for (const peer of peers) {
    const server = fork(new URL(import.meta.url).pathname, ['--serve', peer === 'ws' ? 'ws' : 'sockwire', builds[peer], ...argv],
      { execArgv: ['--expose-gc'] });
    const messages = [];
    let wake;
    server.on('message', (message) => {
      messages.push(message);
      wake?.();
    });
    const next = async () => {
      while (messages.length === 0) await new Promise((resolve) => (wake = resolve));
      return messages.shift();
    };
    const { port } = await next();
    const sockets = await openConnections(port);
    results[peer] = await next();
    for (const socket of sockets) socket.destroy();
    server.kill();
  }
  process.stdout.write(`${conns} idle upgraded connections: heap bytes per connection after full GCs\n`);
  process.stdout.write(`| ${peers.join(' | ')} |\n|${peers.map(() => '--:').join('|')}|\n`);
  process.stdout.write(`| ${peers.map((peer) => results[peer].perConn.toFixed(0)).join(' | ')} |\n`);
  for (const peer of peers) {
    process.stdout.write(`\n${peer}: objects per connection (self size from heap snapshots)\n| kind | B/conn | count/conn |\n|---|--:|--:|\n`);
    for (const [key, size, count] of results[peer].rows) process.stdout.write(`| ${key} | ${size.toFixed(0)} | ${count.toFixed(2)} |\n`);
  }
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
