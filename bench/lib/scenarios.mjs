// The benchmark scenarios of issue 7, with their targets (ratio of sockwire to the named peer, same run).
// `args(t)` builds the load generator's arguments from the timing profile `t` (full or --quick).

/** Peers in the order they are first run; later repetitions rotate this order. */
export const ALL_PEERS = ['ws', 'sockwire', 'ws-addons', 'raw'];

/** Display names. */
export const PEER_LABEL = { ws: 'ws', 'ws-addons': 'ws + addons', sockwire: 'sockwire', raw: 'raw net' };

/**
 * @typedef {object} Scenario
 * @property {string} id
 * @property {string} title
 * @property {'wsload' | 'client'} kind  wsload drives a Node server; client runs Node clients against wsecho
 * @property {string} metric  key of the output line that is the result
 * @property {string} unit
 * @property {'higher' | 'lower'} better
 * @property {string[]} peers
 * @property {{ vs: string, ratio: number, text: string }[]} targets
 * @property {(t: Timing) => string[]} args
 */

/**
 * @typedef {object} Timing
 * @property {number} warmup  seconds
 * @property {number} duration  seconds
 * @property {number} holdConns
 * @property {number} holdSecs
 * @property {number} reps
 */

/** @type {Record<'full' | 'quick', Timing>} */
export const TIMING = {
  full: { warmup: 1, duration: 3, holdConns: 10000, holdSecs: 3, reps: 3 },
  quick: { warmup: 0.2, duration: 0.6, holdConns: 2000, holdSecs: 0.5, reps: 3 }
};

const echo = (size, conns, depth) => (t) => [
  '-m', 'echo', '-c', String(conns), '-d', String(depth), '-s', size, '-w', String(t.warmup), '-t', String(t.duration)
];

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
    targets: [{ vs: 'ws', ratio: 1.2, text: '≥ 1.20× ws' }],
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
    targets: [{ vs: 'ws', ratio: 3, text: '≥ 3× ws' }],
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
    targets: [{ vs: 'ws-addons', ratio: 1, text: '≥ ws + addons' }],
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
    targets: [{ vs: 'ws', ratio: 2, text: '≥ 2× ws' }],
    args: echo('1M', 10, 1)
  },
  {
    id: 'connect',
    title: 'handshake + WebSocket close, 50 in flight',
    kind: 'wsload',
    metric: 'cycles_per_s',
    unit: 'cycles/s',
    better: 'higher',
    peers: ['ws', 'sockwire', 'ws-addons'],
    targets: [{ vs: 'ws', ratio: 1.4, text: '≥ 1.40× ws' }],
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
    targets: [{ vs: 'ws', ratio: 0.8, text: '≤ 0.80× ws' }],
    args: (t) => ['-m', 'hold', '-c', String(t.holdConns), '--hold', String(t.holdSecs)]
  },
  {
    id: 'client-16',
    title: 'client: 100 clients, 16 B × 1, vs C echo server',
    kind: 'client',
    metric: 'msgs_per_s',
    unit: 'msgs/s',
    better: 'higher',
    peers: ['ws', 'sockwire', 'ws-addons'],
    targets: [{ vs: 'ws', ratio: 1.3, text: '≥ 1.30× ws client' }],
    args: (t) => ['100', '16', String(t.duration), String(t.warmup)]
  },
  {
    id: 'client-16k',
    title: 'client: 100 clients, 16 KiB × 1, vs C echo server',
    kind: 'client',
    metric: 'MiB_per_s',
    unit: 'MiB/s',
    better: 'higher',
    peers: ['ws', 'sockwire', 'ws-addons'],
    targets: [{ vs: 'ws', ratio: 1.3, text: '≥ 1.30× ws client' }],
    args: (t) => ['100', '16384', String(t.duration), String(t.warmup)]
  }
];
