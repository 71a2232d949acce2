// examples/opentelemetry.mjs: the diagnostics-channel subscriber records into a real OpenTelemetry MeterProvider
// (sdk-metrics); a scenario with a refusal, an accepted client, a protocol error and closes is collected and every
// data point compared. The example also runs as a program and prints what it recorded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { instrumentSockwire, OnDemandReader } from '../../examples/opentelemetry.mjs';
import { buildFrame } from '../helpers/frame-bytes.mjs';
import { WebSocket, startServer, rawUpgrade, nextEvent } from '../features/helpers.mjs';

const EXAMPLE = fileURLToPath(new URL('../../examples/opentelemetry.mjs', import.meta.url));
const T = { timeout: 20000 };

/** Data points by metric name: `[attributes, value or histogram count]`. */
async function collect(reader) {
  const { resourceMetrics } = await reader.collect();
  const out = {};
  for (const metric of resourceMetrics.scopeMetrics[0].metrics) {
    out[metric.descriptor.name] = metric.dataPoints
      .map((point) => [point.attributes, typeof point.value === 'number' ? point.value : point.value.count])
      .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  }
  return out;
}

test('instrumentSockwire: handshakes by status, closes by code and initiator, errors by code, open connections', T, async (t) => {
  const reader = new OnDemandReader();
  const provider = new MeterProvider({ readers: [reader] });
  t.after(() => provider.shutdown());
  const wss = await startServer(t, { verifyClient: ({ req }) => req.url !== '/private' });
  const stop = instrumentSockwire(wss, provider.getMeter('test'));
  t.after(stop);
  const url = `ws://127.0.0.1:${wss.address().port}`;

  const refused = new WebSocket(`${url}/private`);
  assert.match((await nextEvent(refused, 'error'))[0].message, /401/);
  const client = new WebSocket(url);
  const [first] = await once(wss, 'connection');
  await once(client, 'open');
  const firstClosed = nextEvent(first, 'close');
  client.close(4001);
  await firstClosed;
  const accepted = once(wss, 'connection');
  const { socket } = await rawUpgrade(t, wss.address().port);
  const [second] = await accepted;
  second.on('error', () => {});
  const secondClosed = nextEvent(second, 'close');
  socket.resume();
  socket.write(buildFrame({ opcode: 1, payload: 'unmasked' }));
  await secondClosed;
  const third = new WebSocket(url);
  await once(third, 'open');
  t.after(() => third.terminate());

  const data = await collect(reader);
  assert.deepEqual(data['sockwire.handshake.duration'], [[{ status: 101 }, 3], [{ status: 401 }, 1]]);
  assert.deepEqual(data['sockwire.closes'], [[{ code: 1006, closed_by: 'local' }, 1], [{ code: 4001, closed_by: 'remote' }, 1]]);
  assert.deepEqual(data['sockwire.errors'], [[{ code: 'WS_ERR_EXPECTED_MASK' }, 1]]);
  assert.deepEqual(data['sockwire.connections.open'], [[{}, 1]]);
});

test('examples/opentelemetry.mjs runs as a program and prints the recorded data points', T, () => {
  const result = spawnSync(process.execPath, [EXAMPLE], { encoding: 'utf8', timeout: 15000 });
  assert.equal(result.status, 0, result.stderr);
  assert.equal(
    result.stdout,
    'sockwire.handshake.duration {"status":401} count 1\n' +
      'sockwire.handshake.duration {"status":101} count 1\n' +
      'sockwire.closes {"code":1000,"closed_by":"remote"} 1\n' +
      'sockwire.connections.open {} 0\n',
  );
});
