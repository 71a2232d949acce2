// Issue 18 (small messages): the JS cost of one echoed 16-byte message on the server, without sockets or syscalls,
// so a busy machine distorts it little. A server-side WebSocket of each build runs over an in-memory Duplex; each
// round feeds it reads of `--depth` masked frames (as one socket read) and its 'message' handler echoes them.
// Prints CPU µs and heap bytes allocated per message, builds alternated round by round. The young generation is
// made large enough that a 20,000-message pass allocates without a collection, so the growth of the used heap is
// what the pass allocated:
// `node --expose-gc --min-semi-space-size=64 --max-semi-space-size=64 bench/hot-path-micro.mjs
//   --before /tmp/before/dist/cjs [--depth 1] [--messages 200000] [--rounds 5]`
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
const depth = Number(opt('depth', '1'));
const messages = Number(opt('messages', '200000'));
const rounds = Number(opt('rounds', '5'));
const builds = { before: opt('before', ''), after: join(rootDir, 'dist', 'cjs') };
if (builds.before === '') throw new Error('--before <dist/cjs of the before build> is needed');
if (typeof globalThis.gc !== 'function') throw new Error('run with node --expose-gc');

// One read's worth of masked 16-byte binary frames (RFC 6455 §5.2: 0x82, MASK | 16, key, payload).
const frame = Buffer.concat([Buffer.from([0x82, 0x80 | 16, 0x11, 0x22, 0x33, 0x44]), Buffer.alloc(16, 0x5a)]);
const read = Buffer.concat(Array.from({ length: depth }, () => frame));

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
  for (let i = 0; i < 2000; i++) duplex.emit('data', Buffer.from(read));
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < messages / depth; i++) duplex.emit('data', Buffer.from(read));
  const cpu = process.cpuUsage(cpu0);
  globalThis.gc();
  const used0 = v8.getHeapStatistics().used_heap_size;
  for (let i = 0; i < HEAP_PASS / depth; i++) duplex.emit('data', Buffer.from(read));
  const used1 = v8.getHeapStatistics().used_heap_size;
  return { cpuUs: (cpu.user + cpu.system) / messages, heap: (used1 - used0) / HEAP_PASS };
}

const duplexes = { before: open(builds.before), after: open(builds.after) };
const results = { before: [], after: [] };
for (let round = 0; round < rounds; round++) {
  for (const name of round % 2 === 0 ? ['before', 'after'] : ['after', 'before']) results[name].push(measure(duplexes[name]));
}
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
process.stdout.write(`depth ${depth}, ${messages} messages per round, medians of ${rounds} (the harness's own Buffer.from per read included in both)\n`);
process.stdout.write('| build | CPU µs/msg | min | heap B allocated/msg |\n|---|--:|--:|--:|\n');
for (const name of ['before', 'after']) {
  const list = results[name];
  const cpu = list.map((r) => r.cpuUs);
  process.stdout.write(`| ${name} | ${median(cpu).toFixed(3)} | ${Math.min(...cpu).toFixed(3)} | ${median(list.map((r) => r.heap)).toFixed(0)} |\n`);
}
