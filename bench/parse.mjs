// Parse-throughput micro-benchmark (issue 3), plus frame encoding: ws's Receiver / Sender.frame against
// sockwire's, in one process, interleaved (the order alternates every round), medians of the rounds.
// `node bench/parse.mjs [--quick]` — writes bench/out/parse.json and the `parse` section of bench/RESULTS.md.
// Input is what a server reads: masked binary frames, cut into 64 KiB chunks as a socket would deliver them.
import { randomFillSync } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderParse, median, replaceSection } from './lib/report.mjs';
import { benchDir, loadImpl, rootDir } from './servers/impls.mjs';

const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 3 : 7;
const ROUND_MS = quick ? 150 : 300;
const CHUNK = 64 * 1024;
const MAX_PAYLOAD = 100 * 1024 * 1024;
const impls = { ws: loadImpl('ws'), sockwire: loadImpl('sockwire') };

/** Concatenated masked binary frames (RFC 6455 §5.2) with `count` payloads of `size` bytes, cut into chunks. */
function buildStream(size, count) {
  const hl = size < 126 ? 2 : size < 65536 ? 4 : 10;
  const frameLen = hl + 4 + size;
  const stream = Buffer.alloc(frameLen * count);
  randomFillSync(stream);
  for (let i = 0, o = 0; i < count; i++, o += frameLen) {
    stream[o] = 0x82; // FIN + binary
    if (hl === 2) stream[o + 1] = 0x80 | size;
    else if (hl === 4) {
      stream[o + 1] = 0x80 | 126;
      stream.writeUInt16BE(size, o + 2);
    } else {
      stream[o + 1] = 0x80 | 127;
      stream.writeBigUInt64BE(BigInt(size), o + 2);
    }
  }
  const chunks = [];
  for (let o = 0; o < stream.length; o += CHUNK) chunks.push(stream.subarray(o, Math.min(o + CHUNK, stream.length)));
  return chunks;
}

const noop = () => {};

/** Feeds the whole stream `passes` times into a fresh Receiver; returns elapsed ns and messages seen. */
function timeParse(Receiver, chunks, minMs) {
  const r = new Receiver({ isServer: true, maxPayload: MAX_PAYLOAD });
  let msgs = 0;
  r.on('message', () => {
    msgs++;
  });
  r.on('error', (err) => {
    throw err;
  });
  // _write skips the Writable queue: both receivers get the same direct path a socket 'data' handler would use.
  const t0 = process.hrtime.bigint();
  let passes = 0;
  let elapsed = 0n;
  do {
    for (let i = 0; i < chunks.length; i++) r._write(chunks[i], 'buffer', noop);
    passes++;
    elapsed = process.hrtime.bigint() - t0;
  } while (elapsed < BigInt(minMs) * 1000000n && passes < 100000);
  return { ns: Number(elapsed), msgs, passes };
}

/** Encodes `data` as one frame repeatedly; returns elapsed ns and frames. */
function timeFrame(Sender, data, mask, minMs) {
  const opts = { fin: true, mask, opcode: 2, readOnly: true, rsv1: false };
  const batch = Math.max(1, Math.floor(65536 / data.length));
  let frames = 0;
  let sink = 0;
  const t0 = process.hrtime.bigint();
  let elapsed = 0n;
  do {
    for (let i = 0; i < batch; i++) {
      const out = Sender.frame(data, opts);
      sink += out.length + out[0].length;
    }
    frames += batch;
    elapsed = process.hrtime.bigint() - t0;
  } while (elapsed < BigInt(minMs) * 1000000n && frames < 1e9);
  if (sink === 0) throw new Error('frame produced nothing');
  return { ns: Number(elapsed), msgs: frames };
}

function bench(name, size, runOne) {
  const samples = { ws: [], sockwire: [] };
  for (const impl of ['ws', 'sockwire']) runOne(impl, ROUND_MS / 3); // warm-up, untimed
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 ? ['sockwire', 'ws'] : ['ws', 'sockwire'];
    for (const impl of order) {
      const { ns, msgs } = runOne(impl, ROUND_MS);
      samples[impl].push({ msgs: (msgs / ns) * 1e9, mbps: ((msgs * size) / ns) * 1e3 });
    }
  }
  const row = { name };
  for (const impl of ['ws', 'sockwire']) {
    row[impl] = { msgs: median(samples[impl].map((s) => s.msgs)), mbps: median(samples[impl].map((s) => s.mbps)) };
  }
  row.ratio = row.sockwire.msgs / row.ws.msgs;
  process.stderr.write(`${name}: ws ${row.ws.mbps.toFixed(1)} MB/s, sockwire ${row.sockwire.mbps.toFixed(1)} MB/s, ` +
    `ratio ${row.ratio.toFixed(2)}\n`);
  return row;
}

/**
 * Both receivers must deliver the exact unmasked payloads, or the timing compares different work: three frames
 * fed in 1000-byte pieces, and for small frames every two-piece split. Returns the impls that got it wrong.
 */
function verify(size) {
  const payload = randomFillSync(Buffer.alloc(size));
  const chunks = buildStream(size, 3);
  const frameLen = chunks.reduce((n, c) => n + c.length, 0) / 3;
  const whole = Buffer.concat(chunks);
  for (let f = 0; f < 3; f++) {
    const o = f * frameLen + frameLen - size;
    for (let i = 0; i < size; i++) whole[o + i] = payload[i] ^ whole[o - 4 + (i & 3)]; // RFC 6455 §5.3
  }
  // Each feed is a list of piece boundaries; ws unmasks in place, so every feed gets its own copy of the bytes.
  const feeds = [{ name: 'pieces of 1000 B', cuts: Array.from({ length: Math.ceil(whole.length / 1000) }, (_, i) => i * 1000) }];
  if (size < 1024) for (let cut = 1; cut < frameLen; cut++) feeds.push({ name: `split at byte ${cut}`, cuts: [0, cut] });
  const wrong = [];
  for (const impl of ['ws', 'sockwire']) {
    for (const feed of feeds) {
      const bytes = Buffer.from(whole);
      const got = [];
      const r = new impls[impl].Receiver({ isServer: true, maxPayload: MAX_PAYLOAD });
      r.on('message', (data, isBinary) => got.push(isBinary && Buffer.from(data).equals(payload)));
      r.on('error', () => got.push(false));
      const cuts = [...feed.cuts, bytes.length];
      for (let i = 0; i + 1 < cuts.length; i++) r._write(bytes.subarray(cuts[i], cuts[i + 1]), 'buffer', noop);
      if (got.length !== 3 || !got.every(Boolean)) {
        wrong.push(`${impl} (${feed.name})`);
        break;
      }
    }
  }
  if (wrong.length) process.stderr.write(`WARNING: wrong payloads for ${size} B frames from ${wrong.join(', ')}\n`);
  return wrong;
}

const rows = [];
for (const [size, label, count] of [[16, '16 B', 200000], [16384, '16 KiB', 1024], [1048576, '1 MiB', 16]]) {
  const wrong = verify(size);
  const streams = { ws: buildStream(size, count), sockwire: buildStream(size, count) };
  const note = wrong.length ? ` — WRONG OUTPUT: ${wrong.join(', ')}` : '';
  rows.push(bench(`parse ${label} (masked, 64 KiB chunks)${note}`, size, (impl, ms) => {
    const res = timeParse(impls[impl].Receiver, streams[impl], ms);
    if (res.msgs !== res.passes * count) throw new Error(`${impl} parsed ${res.msgs} of ${res.passes * count} messages`);
    return res;
  }));
}
for (const mask of [false, true]) {
  for (const [size, label] of [[16, '16 B'], [16384, '16 KiB'], [1048576, '1 MiB']]) {
    const data = randomFillSync(Buffer.alloc(size));
    rows.push(bench(`Sender.frame ${label} ${mask ? 'masked (client)' : 'unmasked (server)'}`, size,
      (impl, ms) => timeFrame(impls[impl].Sender, data, mask, ms)));
  }
}

const parse = {
  meta: {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    command: `node bench/parse.mjs${quick ? ' --quick' : ''}`,
    rounds: ROUNDS,
    node: process.version,
    ws: JSON.parse(readFileSync(join(rootDir, 'node_modules', 'ws', 'package.json'), 'utf8')).version
  },
  rows
};
mkdirSync(join(benchDir, 'out'), { recursive: true });
writeFileSync(join(benchDir, 'out', quick ? 'parse-quick.json' : 'parse.json'), JSON.stringify(parse, null, 2) + '\n');
const md = renderParse(parse);
process.stdout.write(md + '\n');
if (!quick) replaceSection(join(benchDir, 'RESULTS.md'), 'parse', md);
