// examples/prometheus.mjs as a real program: start it on a free port, drive traffic (two echoes, a refused upgrade,
// a 4000 close, an unmasked client frame, an open connection), scrape GET /metrics over HTTP, parse the Prometheus text format and compare
// every series with the scenario.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { get } from 'node:http';
import { fileURLToPath } from 'node:url';
import { openEchoClient, echoOnce, refusedUpgrade, unmaskedFrame } from '../helpers/echo-peer.mjs';
const EXAMPLE = fileURLToPath(new URL('../../examples/prometheus.mjs', import.meta.url));
const T = { timeout: 30000 };

/**
 * Parse the Prometheus text exposition format (version 0.0.4): `# HELP`, `# TYPE` and sample lines
 * `name{label="value",…} number`. Returns `{ types, samples }`, samples keyed by `name{sorted labels}`.
 */
function parseExposition(text) {
  const types = {};
  const samples = {};
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const type = /^# TYPE (\w+) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type) {
      types[type[1]] = type[2];
      continue;
    }
    if (line.startsWith('# HELP ')) continue;
    const sample = /^(\w+)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(sample, `not a sample line: ${line}`);
    const labels = sample[2] === undefined ? [] : [...sample[2].matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map(([, k, v]) => `${k}=${v}`);
    const key = labels.length === 0 ? sample[1] : `${sample[1]}{${labels.sort().join(',')}}`;
    samples[key] = Number(sample[3]);
  }
  return { types, samples };
}

function scrape(port) {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path: '/metrics', agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (text) => (body += text));
      res.on('end', () => resolve({ status: res.statusCode, type: res.headers['content-type'], body }));
    }).on('error', reject);
  });
}

test('examples/prometheus.mjs: /metrics mirrors wss.stats() in the Prometheus text format', T, async (t) => {
  const child = spawn(process.execPath, [EXAMPLE], { env: { ...process.env, PORT: '0' }, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise((resolve) => child.on('close', (code) => resolve(code)));
  t.after(() => child.kill('SIGKILL'));
  const port = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no port: ${out}`)), 10000);
    child.stdout.setEncoding('utf8').on('data', (text) => {
      out += text;
      const match = /metrics on http:\/\/127\.0\.0\.1:(\d+)\/metrics/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
  });

  const first = await openEchoClient(port);
  assert.equal(await echoOnce(first, 'hello'), 'hello');
  assert.equal(await echoOnce(first, Buffer.from([1, 2, 3])), '\x01\x02\x03');
  const closed = new Promise((resolve) => first.once('close', resolve));
  first.close(4000, 'done');
  assert.equal(await closed, 4000);
  // A protocol error: the server fails the connection with a close frame 1002 and counts WS_ERR_EXPECTED_MASK.
  const answer = await unmaskedFrame(port);
  assert.deepEqual([...answer], [0x88, 0x02, 0x03, 0xea]);
  assert.equal(await refusedUpgrade(port), 'HTTP/1.1 400 Bad Request');
  const second = await openEchoClient(port);
  t.after(() => second.terminate());

  const { status, type, body } = await scrape(port);
  assert.equal(status, 200);
  assert.match(type, /^text\/plain; version=0\.0\.4/);
  const { types, samples } = parseExposition(body);
  assert.equal(types.sockwire_connections_open, 'gauge');
  assert.equal(types.sockwire_messages_total, 'counter');
  assert.equal(types.sockwire_closes_total, 'counter');
  // Masked client frames: 'hello' 2+4+5, binary 2+4+3, close 4000 'done' 2+4+6, and the unmasked 'no mask' 2+7;
  // the server's: 2+5, 2+3, 2+6, and the close 1002 2+2. The failed connection never got a close frame: 1006.
  assert.deepEqual(samples, {
    sockwire_connections_accepted_total: 3,
    'sockwire_handshakes_refused_total{status=400}': 1,
    sockwire_handshakes_aborted_total: 0,
    'sockwire_messages_total{direction=in}': 2,
    'sockwire_messages_total{direction=out}': 2,
    'sockwire_bytes_total{direction=in,kind=wire}': 11 + 9 + 12 + 9,
    'sockwire_bytes_total{direction=out,kind=wire}': 7 + 5 + 8 + 4,
    'sockwire_bytes_total{direction=in,kind=payload}': 8,
    'sockwire_bytes_total{direction=out,kind=payload}': 8,
    'sockwire_closes_total{code=4000}': 1,
    'sockwire_closes_total{code=1006}': 1,
    'sockwire_errors_total{code=WS_ERR_EXPECTED_MASK}': 1,
    sockwire_backpressure_dropped_total: 0,
    sockwire_heartbeat_timeouts_total: 0,
    sockwire_pubsub_published_total: 0,
    sockwire_pubsub_delivered_total: 0,
    sockwire_pubsub_gaps_total: 0,
    sockwire_connections_open: 1,
    sockwire_handshakes_pending: 0,
    sockwire_topics: 0,
  });

  // A second scrape mirrors the totals again (not added on top of the first scrape).
  const again = parseExposition((await scrape(port)).body).samples;
  assert.equal(again['sockwire_messages_total{direction=in}'], 2);
  assert.equal(again.sockwire_connections_accepted_total, 3);
  assert.equal(again['sockwire_errors_total{code=WS_ERR_EXPECTED_MASK}'], 1);

  child.kill('SIGTERM');
  assert.equal(await exited, 0);
});
