// OpenTelemetry metrics from sockwire's diagnostics channels (any MeterProvider; @opentelemetry/api and
// @opentelemetry/sdk-metrics are devDependencies of this example, not of sockwire): a histogram of handshake times,
// closes by code and initiator, errors by code, and a gauge of open connections read from wss.stats().
//
//   npm run build && node examples/opentelemetry.mjs     (runs a short demo and prints what was recorded)
import diagnostics from 'node:diagnostics_channel';
import { once } from 'node:events';
import { pathToFileURL } from 'node:url';
import { metrics } from '@opentelemetry/api';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { WebSocket, WebSocketServer } from 'sockwire';

/** Record sockwire's events on `meter`; returns the function that stops recording. */
export function instrumentSockwire(wss, meter = metrics.getMeter('sockwire')) {
  const handshakes = meter.createHistogram('sockwire.handshake.duration', { unit: 'ms', description: 'Upgrade answered' });
  const closes = meter.createCounter('sockwire.closes', { description: 'Closed connections' });
  const errors = meter.createCounter('sockwire.errors', { description: 'Errors reported by sockets' });
  const open = meter.createObservableGauge('sockwire.connections.open', { description: 'Open connections' });
  const observeOpen = (result) => result.observe(wss.stats().connections.open);
  open.addCallback(observeOpen);
  const listeners = {
    'sockwire:server:upgrade': ({ server, status, duration }) => {
      if (server === wss && duration !== undefined) handshakes.record(duration, { status });
    },
    'sockwire:websocket:close': ({ isServer, code, closedBy }) => {
      if (isServer) closes.add(1, { code, closed_by: closedBy });
    },
    'sockwire:websocket:error': ({ isServer, code }) => {
      if (isServer) errors.add(1, { code: code ?? 'unknown' });
    }
  };
  for (const [name, listener] of Object.entries(listeners)) diagnostics.subscribe(name, listener);
  return () => {
    for (const [name, listener] of Object.entries(listeners)) diagnostics.unsubscribe(name, listener);
    open.removeCallback(observeOpen);
  };
}

/** A reader that collects on demand (a real app would use a PeriodicExportingMetricReader and an exporter). */
export class OnDemandReader extends MetricReader {
  async onForceFlush() {}
  async onShutdown() {}
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const reader = new OnDemandReader();
  const provider = new MeterProvider({ readers: [reader] });
  const wss = new WebSocketServer({ port: 0, verifyClient: ({ req }) => req.url !== '/private' });
  const stop = instrumentSockwire(wss, provider.getMeter('sockwire'));
  await once(wss, 'listening');
  const url = `ws://127.0.0.1:${wss.address().port}`;
  await once(new WebSocket(`${url}/private`), 'error').catch(() => {}); // refused: 401
  const client = new WebSocket(url);
  const [serverSide] = await once(wss, 'connection');
  await once(client, 'open');
  client.close(1000);
  await once(serverSide, 'close');
  const { resourceMetrics } = await reader.collect();
  for (const metric of resourceMetrics.scopeMetrics[0].metrics) {
    for (const point of metric.dataPoints) {
      const value = typeof point.value === 'number' ? point.value : `count ${point.value.count}`;
      console.log(metric.descriptor.name, JSON.stringify(point.attributes), value);
    }
  }
  stop();
  await provider.shutdown();
  wss.close();
}
