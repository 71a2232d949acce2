// Issue 8, seeded and bounded fuzzing: (1) the frame parser against a reference written for the test, on random and
// mutated streams split at random points; (2) the subprotocol / extension header parsers against reference grammars;
// (3) random and mutated frames over loopback against a real server. Every loop stops on a case count and a time
// budget; the seed is printed so a failure can be replayed with SOCKWIRE_FUZZ_SEED.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';

import { bounded, closePayload, frame, measurePeak, MiB, rawClient, requireDist, seeded, sockwire, startServer, tick } from '../helpers/hostile-peer.mjs';
import { normaliseExtensions, referenceEvents, referenceExtensions, referenceSubprotocols } from '../helpers/hostile-reference.mjs';

const { MessageReader } = requireDist('core/message-reader.js');
const LONG = process.env.SOCKWIRE_HOSTILE_LONG === '1';
const SEED = Number(process.env.SOCKWIRE_FUZZ_SEED ?? 0x5eed);
const MAX_PAYLOAD = 2048;

/** A random valid-looking conversation (client → server, masked) with its frames as objects. */
function randomFrames(random) {
  const frames = [];
  const count = random.int(1, 6);
  for (let m = 0; m < count; m++) {
    const isText = random.bool();
    const pieces = random.int(1, 4);
    for (let p = 0; p < pieces; p++) {
      if (p > 0 && random.bool(0.2)) frames.push({ opcode: random.pick([0x9, 0xa]), fin: true, payload: random.bytes(random.int(0, 8)) });
      const size = random.pick([0, 1, 2, 3, 5, 60, 125, 126, 300, random.int(0, 1200)]);
      const payload = isText ? randomUtf8(random, size) : random.bytes(size);
      frames.push({ opcode: p === 0 ? (isText ? 0x1 : 0x2) : 0x0, fin: p === pieces - 1, payload });
    }
  }
  if (random.bool(0.3)) {
    const code = random.pick([1000, 1001, 1005, 1006, 1015, 3000, 4999, 5000, 0]);
    frames.push({ opcode: 0x8, fin: true, payload: code === 1005 ? Buffer.alloc(0) : closePayload(code, randomUtf8(random, random.int(0, 20))) });
  }
  return frames;
}

const SNIPPETS = ['a', 'é', '€', '😀', '\u{10ffff}', '\u0000'].map((s) => Buffer.from(s));
/** Valid UTF-8 of about `size` bytes; one time in eight cut at `size` exactly (often mid-character). */
function randomUtf8(random, size) {
  const parts = [];
  let length = 0;
  while (length < size) {
    const piece = random.pick(SNIPPETS);
    parts.push(piece);
    length += piece.length;
  }
  const text = Buffer.concat(parts);
  return random.bool(0.125) ? text.subarray(0, size) : text;
}

/** Encode, then maybe mutate: bit flips, byte overwrites with edge values, truncation, insertion, header lies. */
function randomStream(random) {
  const frames = randomFrames(random);
  for (const f of frames) {
    if (random.bool(0.03)) f.rsv = random.int(1, 7);
    if (random.bool(0.03)) f.opcode = random.int(0, 15);
    if (random.bool(0.03)) f.fin = !f.fin;
  }
  let bytes = Buffer.concat(frames.map((f) => frame({ ...f, key: random.bool(0.2) ? Buffer.alloc(4) : random.bytes(4), mask: !random.bool(0.02) })));
  const mutations = random.bool(0.5) ? random.int(1, 4) : 0;
  for (let i = 0; i < mutations && bytes.length > 0; i++) {
    const at = random.int(0, bytes.length - 1);
    const roll = random.next();
    if (roll < 0.35) bytes[at] ^= 1 << random.int(0, 7);
    else if (roll < 0.6) bytes[at] = random.pick([0x00, 0x7e, 0x7f, 0x80, 0xff, 0xc0, 0xed, 0xf4, 0x88, 0x89]);
    else if (roll < 0.75) bytes = bytes.subarray(0, at);
    else if (roll < 0.9) bytes = Buffer.concat([bytes.subarray(0, at), random.bytes(random.int(1, 8)), bytes.subarray(at)]);
    else bytes = Buffer.concat([bytes.subarray(0, at), frame({ opcode: random.int(0, 15), length: random.pick([2 ** 32, 2 ** 53, 2 ** 63, 70000, 126]) }), bytes.subarray(at)]);
  }
  return bytes;
}

/** Run sockwire's frame parser over `bytes` cut into random chunks; events in the reference's format. */
function parse(bytes, random) {
  const events = [];
  let stopped = false;
  const sink = {
    onMessage: (data, isBinary) => events.push(`message:${isBinary ? 'binary' : 'text'}:${Buffer.from(data).toString('hex')}`),
    onPing: (data) => events.push(`ping:${data.toString('hex')}`),
    onPong: (data) => events.push(`pong:${data.toString('hex')}`),
    onClose: (code, reason) => {
      stopped = true;
      events.push(`close:${code}:${reason.toString('hex')}`);
    },
    onFailure: (failure) => {
      stopped = true;
      events.push(`error:${failure.code}`);
    },
    onIdle: () => {}
  };
  const reader = new MessageReader(sink, { isServer: true, maxPayload: MAX_PAYLOAD, maxFragments: 0, maxBufferedChunks: 0 });
  let at = 0;
  while (at < bytes.length && !stopped) {
    const size = random.bool(0.3) ? 1 : random.int(1, 64);
    // Fresh copies: the reader unmasks in place.
    reader.receive(Buffer.from(bytes.subarray(at, at + size)));
    at += size;
  }
  return events;
}

test('fuzz: the frame parser agrees with the reference on random and mutated streams, split anywhere', { timeout: 300000 }, async (t) => {
  const random = seeded(SEED);
  const cases = LONG ? 1000000 : 100000;
  // The default run always does all its cases (~12 s idle, ~40 s on a busy 2-core machine): a time budget there
  // made the case count depend on the machine's load. Only the long variant stops at a budget.
  const budgetMs = LONG ? 600000 : Infinity;
  const start = Date.now();
  const outcomes = new Map();
  let done = 0;
  for (; done < cases && Date.now() - start < budgetMs; done++) {
    const bytes = randomStream(random);
    const expected = referenceEvents(bytes, { maxPayload: MAX_PAYLOAD });
    let actual;
    try {
      actual = parse(bytes, random);
    } catch (error) {
      assert.fail(`case ${done} (seed ${SEED}) threw ${error.stack}\ninput ${bytes.toString('hex')}`);
    }
    if (!isDeepStrictEqual(actual, expected)) {
      assert.deepEqual(actual, expected, `case ${done} (seed ${SEED}) input ${bytes.toString('hex')}`);
    }
    const last = expected.at(-1) ?? 'none';
    const kind = last.startsWith('error:') ? last : last.split(':')[0];
    outcomes.set(kind, (outcomes.get(kind) ?? 0) + 1);
  }
  t.diagnostic(`${done} streams in ${Date.now() - start} ms (seed ${SEED}); outcomes ${JSON.stringify(Object.fromEntries(outcomes))}`);
  assert.ok(done >= Math.min(cases, 100000), `only ${done} cases ran in the time budget`);
  assert.ok(outcomes.size >= 8, 'the generator reaches many outcomes');
});

const ATOMS = ['a', 'b', 'x-y', '1', ',', ';', '=', ' ', '\t', '"', '\\', 'permessage-deflate', 'client_max_window_bits', '__proto__', 'constructor', 'é', '(', '""', '"a b"', '"v"', '\u0000', '\r\n'];

test('fuzz: subprotocol and extension header parsers agree with reference grammars; no prototype is touched', { timeout: 60000 }, async (t) => {
  const random = seeded(SEED + 1);
  const cases = LONG ? 1000000 : 100000;
  const start = Date.now();
  let done = 0;
  let accepted = 0;
  const run = (parseFn, header) => {
    try {
      return parseFn(header);
    } catch (error) {
      return error.constructor.name;
    }
  };
  for (; done < cases && Date.now() - start < 40000; done++) {
    let header = '';
    const length = random.int(1, 10);
    for (let i = 0; i < length; i++) header += random.pick(ATOMS);
    const protocols = run(sockwire.subprotocol.parse, header);
    const expectedProtocols = referenceSubprotocols(header);
    if (!isDeepStrictEqual(protocols, expectedProtocols)) assert.deepEqual(protocols, expectedProtocols, `subprotocol ${JSON.stringify(header)}`);
    const extensions = run(sockwire.extension.parse, header);
    const expectedExtensions = referenceExtensions(header);
    const shaped = typeof extensions === 'string' ? extensions : normaliseExtensions(extensions);
    if (!isDeepStrictEqual(shaped, expectedExtensions)) assert.deepEqual(shaped, expectedExtensions, `extension ${JSON.stringify(header)}`);
    if (typeof extensions !== 'string') {
      accepted++;
      // Round trip: format(parse(x)) parses back to the same value.
      assert.deepEqual(normaliseExtensions(sockwire.extension.parse(sockwire.extension.format(extensions))), shaped);
    }
  }
  assert.equal({}.__proto__, Object.prototype);
  assert.deepEqual(Object.keys(Object.prototype), []);
  t.diagnostic(`${done} headers in ${Date.now() - start} ms, ${accepted} valid extension headers (seed ${SEED + 1})`);
  assert.ok(done >= Math.min(cases, 100000));
});

/** Codes a server may put on the wire: echoes of codes a peer may send (RFC 6455 §7.4), or 1005 for an empty echo. */
const isValidWireCode = (code) => code === 1005 || (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);

test('fuzz: random and mutated frames against a real server over loopback: survives, valid close codes, one close, bounded memory', { timeout: 90000 }, async (t) => {
  const random = seeded(SEED + 2);
  const connections = LONG ? 5000 : 1000;
  // The heartbeat catches peers that stall mid-frame without a FIN (and puts its timers under the fuzz too).
  const server = await startServer(sockwire, { maxPayload: MAX_PAYLOAD, closeTimeout: 500, heartbeat: { interval: 300, timeout: 300 } }, {
    errorListener: false,
    onConnection: (socket) => socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }))
  });
  const start = Date.now();
  const codes = new Map();
  try {
    const { heapGrowth } = await measurePeak(async () => {
      for (let i = 0; i < connections && Date.now() - start < (LONG ? 600000 : 45000); i += 20) {
        // 20 hostile connections at a time.
        await Promise.all(Array.from({ length: Math.min(20, connections - i) }, async () => {
          const bytes = randomStream(random);
          const peer = await rawClient(server.port);
          const cut = random.bool(0.2) ? random.int(0, bytes.length) : bytes.length;
          peer.socket.write(bytes.subarray(0, cut));
          // Then: end cleanly, close properly, reset, or just wait for the server (closeTimeout bounds it).
          const ending = random.int(0, 3);
          if (ending === 0) peer.socket.end();
          else if (ending === 1) {
            // The close frame may land inside a truncated frame's payload; FIN follows so the stall ends.
            peer.socket.write(frame({ opcode: 0x8, payload: closePayload(1000) }));
            setTimeout(() => peer.socket.end(), 100);
          }
          else if (ending === 2) setTimeout(() => peer.socket.resetAndDestroy(), random.int(0, 5));
          else setTimeout(() => peer.socket.end(), 50);
          await peer.waitClosed(8000);
          const code = peer.closeCode();
          codes.set(code ?? 'none', (codes.get(code ?? 'none') ?? 0) + 1);
          if (code !== null) assert.ok(isValidWireCode(code), `invalid close code ${code} for ${bytes.toString('hex')}`);
        }));
      }
      // Every server-side socket emits 'close' exactly once.
      await bounded(Promise.all(server.peers.map((p) => p.closed)), 'all server sockets closed', 8000);
      await tick();
    });
    for (const record of server.peers) assert.equal(record.closes, 1);
    assert.equal(server.wss.clients.size, 0);
    t.diagnostic(`${server.peers.length} connections in ${Date.now() - start} ms; wire codes ${JSON.stringify(Object.fromEntries(codes))}; heap +${(heapGrowth / MiB).toFixed(1)} MiB`);
    assert.ok(heapGrowth < 64 * MiB, `heap grew ${heapGrowth}`);
  } finally {
    await server.stop();
  }
});
