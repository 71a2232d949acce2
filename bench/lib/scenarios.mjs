// The benchmark scenarios of issue 18 (first added in issue 7), with the targets: each a ratio of sockwire
// to one named peer of the same run. `args(t)` builds the load's arguments from the timing profile `t` (full or
// --quick); the runner (run-once.mjs) starts the server and the load that `kind` names.

/** Peers in the order they are first run; later repetitions rotate this order. */
export const ALL_PEERS = ['ws', 'sockwire', 'ws-addons', 'raw'];

/** Display names. `raw` is the plain-`net` floor of each scenario (see `rawLabel`). */
export const PEER_LABEL = { ws: 'ws', 'ws-addons': 'ws + addons', sockwire: 'sockwire', raw: 'raw net' };

/**
 * @typedef {object} Scenario
 * @property {string} id
 * @property {string} title  also the key that `--compare` finds the row of RESULTS.md by: keep it stable
 * @property {'wsload' | 'client' | 'broadcast' | 'deflate-hold'} kind
 *   wsload drives a Node server with bench/wsload; client runs Node clients against bench/wsecho; broadcast runs
 *   bench/broadcast.mjs for one peer; deflate-hold runs `bench/deflate.mjs hold-run`
 * @property {'deflate'} [server]  wsload rows: the echo server of bench/deflate.mjs (perMessageDeflate on) instead
 *   of servers/ws-api-echo.mjs
 * @property {string} metric  key of the output line that is the result
 * @property {string} unit
 * @property {'higher' | 'lower'} better
 * @property {string[]} peers
 * @property {string} [rawLabel]  what the `raw` peer is in this scenario, when it is not a byte echo server
 * @property {string} [rawServer]  wsload rows: the `raw` peer's server script in bench/servers, when it is not
 *   raw-echo.mjs (one that speaks WebSocket, so wsload runs without --raw)
 * @property {{ vs: string, ratio: number, text: string }[]} targets  issue 18's target (none: a regression guard)
 * @property {(t: Timing) => string[]} args
 */

/**
 * @typedef {object} Timing
 * @property {number} warmup  seconds
 * @property {number} duration  seconds
 * @property {number} holdConns  idle upgraded connections of the `hold` row
 * @property {number} holdSecs
 * @property {number} broadcastClients
 * @property {number} broadcastRounds
 * @property {number} deflateHoldConns  idle permessage-deflate connections of the `deflate-hold` row
 * @property {number} reps
 */

/** @type {Record<'full' | 'quick', Timing>} */
export const TIMING = {
  full: { warmup: 1, duration: 3, holdConns: 10000, holdSecs: 3, broadcastClients: 10000, broadcastRounds: 15,
    deflateHoldConns: 1000, reps: 3 },
  quick: { warmup: 0.2, duration: 0.5, holdConns: 2000, holdSecs: 0.5, broadcastClients: 2000, broadcastRounds: 5,
    deflateHoldConns: 200, reps: 1 }
};

const echo = (size, conns, depth) => (t) => [
  '-m', 'echo', '-c', String(conns), '-d', String(depth), '-s', size, '-w', String(t.warmup), '-t', String(t.duration)
];
const clients = (size) => (t) => ['100', String(size), String(t.duration), String(t.warmup)];

/**
 * A target of issue 18: sockwire's median at `ratio` × the median of peer `vs`, or better.
 * @param {'higher' | 'lower'} better
 * @param {string} vs
 * @param {number} ratio
 * @param {string} [what] names the peer when PEER_LABEL does not say enough
 */
const target = (better, vs, ratio, what = PEER_LABEL[vs]) =>
  ({ vs, ratio, text: `${better === 'lower' ? '≤' : '≥'} ${ratio.toFixed(2)}× ${what}` });

/** @type {Scenario[]} */
export const SCENARIOS = [
  {
    id: 'echo-16-d1',
    title: 'echo 16 B, 100 conns × 1 in flight',
    kind: 'wsload',
    metric: 'msgs_per_s',
    unit: 'msgs/s',
    better: 'higher',
    peers: ['ws', 'sockwire', 'ws-addons', 'raw'],
    targets: [target('higher', 'raw', 0.95, 'raw net echo')],
    args: echo('16', 100, 1)
  },
  {
    id: 'echo-16-d8',
    title: 'echo 16 B, 100 conns × 8 in flight',
    kind: 'wsload',
    metric: 'msgs_per_s',
    unit: 'msgs/s',
    better: 'higher',
    peers: ['ws', 'sockwire', 'ws-addons', 'raw'],
    targets: [target('higher', 'raw', 0.85, 'raw net echo')],
    args: echo('16', 100, 8)
  },
  {
    id: 'echo-16k',
    title: 'echo 16 KiB, 100 conns × 1',
    kind: 'wsload',
    metric: 'MiB_per_s',
    unit: 'MiB/s',
    better: 'higher',
    peers: ['ws', 'sockwire', 'ws-addons', 'raw'],
    targets: [],
    args: echo('16K', 100, 1)
  },
  {
    id: 'echo-1m',
    title: 'echo 1 MiB, 10 conns × 1',
    kind: 'wsload',
    metric: 'MiB_per_s',
    unit: 'MiB/s',
    better: 'higher',
    peers: ['ws', 'sockwire', 'ws-addons', 'raw'],
    targets: [target('higher', 'ws-addons', 1)],
    args: echo('1M', 10, 1)
  },
  {
    id: 'connect',
    title: 'handshake + WebSocket close, 50 in flight',
    kind: 'wsload',
    metric: 'cycles_per_s',
    unit: 'cycles/s',
    better: 'higher',
    peers: ['ws', 'sockwire', 'ws-addons', 'raw'],
    rawLabel: 'a plain `net` server that finds the key, answers 101 with the SHA-1 accept and answers the close frame (servers/raw-handshake.mjs)',
    rawServer: 'raw-handshake.mjs',
    targets: [target('higher', 'ws', 2)],
    args: (t) => ['-m', 'connect', '-c', '50', '--close', 'ws', '-w', String(t.warmup), '-t', String(t.duration)]
  },
  {
    id: 'hold',
    title: 'RSS per idle upgraded connection',
    kind: 'wsload',
    metric: 'bytes_per_conn',
    unit: 'B/conn',
    better: 'lower',
    peers: ['ws', 'sockwire', 'ws-addons', 'raw'],
    rawLabel: 'TCP connections held by a plain `net` server, no upgrade',
    targets: [target('lower', 'ws', 0.8)],
    args: (t) => ['-m', 'hold', '-c', String(t.holdConns), '--hold', String(t.holdSecs)]
  },
  {
    id: 'client-16',
    title: 'client: 100 clients, 16 B × 1, vs C echo server',
    kind: 'client',
    metric: 'msgs_per_s',
    unit: 'msgs/s',
    better: 'higher',
    peers: ['ws', 'sockwire', 'ws-addons', 'raw'],
    rawLabel: 'a plain `net` client writing pre-built masked frames (bench/clients/raw-client-load.mjs)',
    targets: [target('higher', 'raw', 0.95, 'raw net client')],
    args: clients(16)
  },
  {
    id: 'client-16k',
    title: 'client: 100 clients, 16 KiB × 1, vs C echo server',
    kind: 'client',
    metric: 'MiB_per_s',
    unit: 'MiB/s',
    better: 'higher',
    peers: ['ws', 'sockwire', 'ws-addons'],
    targets: [],
    args: clients(16384)
  },
  {
    id: 'broadcast',
    title: 'broadcast 100 B to every socket (10,000 held), no compression',
    kind: 'broadcast',
    metric: 'deliveries_per_s',
    unit: 'deliveries/s',
    better: 'higher',
    peers: ['ws', 'sockwire', 'raw'],
    rawLabel: 'one `socket.write` of a pre-built frame per upgraded socket',
    targets: [target('higher', 'raw', 0.95, 'raw socket.write floor')],
    args: (t) => ['--clients', String(t.broadcastClients), '--rounds', String(t.broadcastRounds), '--size', '100']
  },
  {
    id: 'deflate-1k',
    title: 'permessage-deflate echo 1 KiB, 100 conns × 1',
    kind: 'wsload',
    server: 'deflate',
    metric: 'msgs_per_s',
    unit: 'msgs/s',
    better: 'higher',
    peers: ['ws', 'sockwire'],
    targets: [target('higher', 'ws', 1.15)],
    args: (t) => [...echo('1K', 100, 1)(t), '--deflate']
  },
  {
    id: 'deflate-64k',
    title: 'permessage-deflate echo 64 KiB, 100 conns × 1',
    kind: 'wsload',
    server: 'deflate',
    metric: 'msgs_per_s',
    unit: 'msgs/s',
    better: 'higher',
    peers: ['ws', 'sockwire'],
    targets: [target('higher', 'ws', 1.15)],
    args: (t) => [...echo('64K', 100, 1)(t), '--deflate']
  },
  {
    // Server RSS per connection 11.5 s after one compressed round trip: idle, past the default zlibIdleTimeout (10 s).
    id: 'deflate-hold',
    title: 'RSS per idle deflate connection (window bits 15)',
    kind: 'deflate-hold',
    metric: 'bytes_per_conn',
    unit: 'B/conn',
    better: 'lower',
    peers: ['ws', 'sockwire'],
    targets: [target('lower', 'ws', 0.85)],
    args: (t) => [String(t.deflateHoldConns)]
  }
];
