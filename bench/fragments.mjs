// What a message of very many fragments costs the receiver (issue 12: the maxFragments default). Feeds masked
// frames in 64 KiB chunks, as a socket delivers them, to ws's Receiver and sockwire's, one run per case and impl;
// reports CPU time and the memory the partial message holds (JS heap and Buffers, input chunks included when the
// receiver keeps views of them) just before its last frame, after a full GC.
// `node --expose-gc bench/fragments.mjs` — about 15 s, each case in a fresh process; prints a Markdown table (copy it into RESULTS.md by hand).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadImpl } from './servers/impls.mjs';

if (typeof globalThis.gc !== 'function') throw new Error('run with node --expose-gc');
const CHUNK = 64 * 1024;
const KEY = Buffer.from([0x37, 0xfa, 0x21, 0x3d]);
const impls = { ws: loadImpl('ws'), sockwire: loadImpl('sockwire') };

/** One masked frame (RFC 6455 §5.2, §5.3) with a payload under 126 bytes. */
function smallFrame(opcode, fin, payload) {
  const out = Buffer.alloc(6 + payload.length);
  out[0] = (fin ? 0x80 : 0) | opcode;
  out[1] = 0x80 | payload.length;
  KEY.copy(out, 2);
  for (let i = 0; i < payload.length; i++) out[6 + i] = payload[i] ^ KEY[i & 3];
  return out;
}

/** `count` fragments of `size` bytes: all but the final frame in chunks, and the final frame apart. */
function message(count, size) {
  const body = Buffer.alloc(size, 0x61);
  const frames = [smallFrame(0x2, false, body)];
  const middle = smallFrame(0x0, false, body);
  for (let i = 2; i < count; i++) frames.push(middle);
  const all = Buffer.concat(frames);
  const chunks = [];
  for (let at = 0; at < all.length; at += CHUNK) chunks.push(all.subarray(at, at + CHUNK));
  return { chunks, last: smallFrame(0x0, true, body) };
}

/** JS heap plus Buffer memory (fragments live outside the V8 heap). */
function heldBytes() {
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return heapUsed + arrayBuffers;
}

function run(impl, maxFragments, { chunks, last }) {
  const receiver = new impls[impl].Receiver({ isServer: true, maxPayload: 0, maxFragments });
  const outcome = { result: 'pending' };
  receiver.on('message', (data) => (outcome.result = `message ${Array.isArray(data) ? data.length : data.length} B`));
  // A direct `_write` reports a protocol error through its callback (as the Writable would before 'error').
  const done = (err) => {
    if (err) outcome.result = `${err.code}`;
  };
  globalThis.gc();
  const heapBefore = heldBytes();
  const copies = chunks.map((c) => Buffer.from(c)); // receivers unmask in place
  const cpu = process.cpuUsage();
  for (const chunk of copies) {
    if (outcome.result !== 'pending') break; // a failed receiver takes no more input
    receiver._write(chunk, 'buffer', done);
  }
  const used = process.cpuUsage(cpu);
  copies.length = 0; // from here on, only what the receiver keeps (ws keeps views of them) is reachable
  globalThis.gc();
  globalThis.gc();
  const held = heldBytes() - heapBefore;
  if (outcome.result === 'pending') receiver._write(Buffer.from(last), 'buffer', done);
  return { ...outcome, cpuMs: (used.user + used.system) / 1000, heldMiB: held / 1048576 };
}

const cases = {
  empty: ['1,000,000 empty fragments', () => message(1000000, 0)],
  small: ['4 MiB in 64-byte fragments (65,536)', () => message(65536, 64)],
  bytes: ['1 MiB in 1-byte fragments', () => message(1048576, 1)]
};
const receivers = [
  ['ws', 16384, 'ws, 16384 (its default)'],
  ['ws', 0, 'ws, 0'],
  ['sockwire', 262144, 'sockwire, 262144 (its default)'],
  ['sockwire', 0, 'sockwire, 0']
];

if (process.argv[2] === '--one') {
  // Child: one case on a fresh heap, after an untimed warm-up run of the same case.
  const [, , , caseName, impl, maxFragments] = process.argv;
  const input = cases[caseName][1]();
  run(impl, Number(maxFragments), input);
  process.stdout.write(JSON.stringify(run(impl, Number(maxFragments), input)));
} else {
  const rows = ['| message | receiver, maxFragments | outcome | CPU | memory held before the last frame |', '|---|---|---|---|---|'];
  for (const [caseName, [title]] of Object.entries(cases)) {
    for (const [impl, maxFragments, label] of receivers) {
      const child = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), '--one', caseName, impl, String(maxFragments)], {
        encoding: 'utf8',
        timeout: 60000
      });
      if (child.status !== 0) throw new Error(`${caseName} ${impl}: ${child.stderr}`);
      const r = JSON.parse(child.stdout);
      rows.push(`| ${title} | ${label} | ${r.result} | ${r.cpuMs.toFixed(0)} ms | ${r.heldMiB.toFixed(1)} MiB |`);
    }
  }
  console.log(rows.join('\n'));
}
