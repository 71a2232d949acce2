// Issue 18 (hot path): the JS cost of one echoed message (16 bytes by default) on the server, without sockets or
// syscalls, so a busy machine distorts it little. A server-side WebSocket of each build runs over an in-memory
// Duplex; each round feeds it `--depth` masked frames as one socket read (a frame past 64 KiB as 64 KiB reads) and
// its 'message' handler echoes them. Prints CPU µs and heap bytes allocated per message, builds alternated round by
// round. The young generation is made large enough that a 20,000-message pass allocates without a collection, so
// the growth of the used heap is what the pass allocated:
// `node --expose-gc --min-semi-space-size=64 --max-semi-space-size=64 bench/hot-path-micro.mjs
//   --before /tmp/before/dist/cjs [--size 16] [--depth 1] [--messages 200000] [--rounds 5]`
import { createRequire } from 'node:module';
import { Duplex } from 'node:stream';
import { join } from 'node:path';
import v8 from 'node:v8';
import { rootDir } from './servers/impls.mjs';

const require = createRequire(import.meta.url);
const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : dflt;
};
const size = Number(opt('size', '16'));
const depth = Number(opt('depth', '1'));
const messages = Number(opt('messages', size > 65536 ? '400' : '200000'));
const rounds = Number(opt('rounds', '5'));
const builds = { before: opt('before', ''), after: join(rootDir, 'dist', 'cjs') };
if (builds.before === '') throw new Error('--before <dist/cjs of the before build> is needed');
if (typeof globalThis.gc !== 'function') throw new Error('run with node --expose-gc');

/** A masked binary frame of `length` payload bytes (RFC 6455 §5.2: 0x82, MASK | length, key, payload). */
function maskedFrame(length) {
  const header = Buffer.alloc(length < 126 ? 2 : length < 65536 ? 4 : 10);
  header[0] = 0x82;
  if (length < 126) header[1] = 0x80 | length;
  else if (length < 65536) (header[1] = 0x80 | 126), header.writeUInt16BE(length, 2);
  else (header[1] = 0x80 | 127), header.writeUInt32BE(length, 6);
  return Buffer.concat([header, Buffer.from([0x11, 0x22, 0x33, 0x44]), Buffer.alloc(length, 0x5a)]);
}
const READ_SIZE = 65536;
const wire = Buffer.concat(Array.from({ length: depth }, () => maskedFrame(size)));
// What one round delivers, as the socket would: reads of at most 64 KiB.
const reads = [];
for (let at = 0; at < wire.length; at += READ_SIZE) reads.push(wire.subarray(at, at + READ_SIZE));
/** Feed one round (fresh copies: the reader unmasks in place). */
function feed(duplex) {
  for (const read of reads) duplex.emit('data', Buffer.from(read));
}

/** A server-side socket of one build over a Duplex that accepts every write at once. */
function open(dist) {
  const { WebSocket } = require(join(dist, 'index.js'));
  const duplex = new Duplex({ read() {}, write(_chunk, _encoding, callback) { callback(); } });
  const ws = new WebSocket(null, undefined, undefined);
  ws.setSocket(duplex, Buffer.alloc(0), {});
  ws.on('message', function echo(data, isBinary) {
    this.send(data, { binary: isBinary });
  });
  return duplex;
}

const HEAP_PASS = 20000;

/** CPU µs per message over `messages` messages, then heap bytes allocated per message over a shorter pass. */
function measure(duplex) {
  for (let i = 0; i < Math.min(2000, messages / depth); i++) feed(duplex);
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < messages / depth; i++) feed(duplex);
  const cpu = process.cpuUsage(cpu0);
  globalThis.gc();
  const used0 = v8.getHeapStatistics().used_heap_size;
  for (let i = 0; i < Math.min(HEAP_PASS, messages) / depth; i++) feed(duplex);
  const used1 = v8.getHeapStatistics().used_heap_size;
  return { cpuUs: (cpu.user + cpu.system) / messages, heap: (used1 - used0) / Math.min(HEAP_PASS, messages) };
}

const duplexes = { before: open(builds.before), after: open(builds.after) };
const results = { before: [], after: [] };
for (let round = 0; round < rounds; round++) {
  for (const name of round % 2 === 0 ? ['before', 'after'] : ['after', 'before']) results[name].push(measure(duplexes[name]));
}
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
process.stdout.write(`${size} B, depth ${depth}, ${messages} messages per round, medians of ${rounds} (the harness's own Buffer.from per read included in both)\n`);
process.stdout.write('| build | CPU µs/msg | min | heap B allocated/msg |\n|---|--:|--:|--:|\n');
for (const name of ['before', 'after']) {
  const list = results[name];
  const cpu = list.map((r) => r.cpuUs);
  process.stdout.write(`| ${name} | ${median(cpu).toFixed(3)} | ${Math.min(...cpu).toFixed(3)} | ${median(list.map((r) => r.heap)).toFixed(0)} |\n`);
}
