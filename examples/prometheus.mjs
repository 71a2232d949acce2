// Prometheus metrics for a sockwire server: an echo WebSocket server and GET /metrics on one port, the metrics read
// from wss.stats() at every scrape through prom-client (a devDependency of this example, not of sockwire).
//
//   npm run build && PORT=8080 node examples/prometheus.mjs
//   curl http://127.0.0.1:8080/metrics
import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';
import client from 'prom-client';
import { WebSocketServer } from 'sockwire';

/** `{ '1000': 3 }` → rows of labels and values for one labelled metric. */
const byLabel = (label, counts) => Object.entries(counts).map(([key, value]) => [{ [label]: key }, value]);

/** [name, help, label names, rows from one stats() snapshot]; counters are totals since the server started. */
const COUNTERS = [
  ['sockwire_connections_accepted_total', 'WebSocket upgrades accepted', [], (s) => [[{}, s.connections.accepted]]],
  ['sockwire_handshakes_refused_total', 'WebSocket upgrades refused, by HTTP status', ['status'], (s) => byLabel('status', s.handshakes.refused)],
  ['sockwire_handshakes_aborted_total', 'Upgrades the client left before an answer', [], (s) => [[{}, s.handshakes.aborted]]],
  ['sockwire_messages_total', 'Complete messages', ['direction'], (s) => [[{ direction: 'in' }, s.messages.in], [{ direction: 'out' }, s.messages.out]]],
  ['sockwire_bytes_total', 'Bytes: frames on the wire, or message payloads', ['direction', 'kind'], (s) => [
    [{ direction: 'in', kind: 'wire' }, s.bytes.wireIn],
    [{ direction: 'out', kind: 'wire' }, s.bytes.wireOut],
    [{ direction: 'in', kind: 'payload' }, s.bytes.payloadIn],
    [{ direction: 'out', kind: 'payload' }, s.bytes.payloadOut]
  ]],
  ['sockwire_closes_total', 'Closed connections, by the close code reported', ['code'], (s) => byLabel('code', s.closes)],
  ['sockwire_errors_total', 'Socket errors, by error code', ['code'], (s) => byLabel('code', s.errors)],
  ['sockwire_backpressure_dropped_total', 'Sends dropped by maxBackpressure', [], (s) => [[{}, s.backpressure.dropped]]],
  ['sockwire_heartbeat_timeouts_total', 'Peers terminated by the heartbeat', [], (s) => [[{}, s.heartbeat.timeouts]]],
  ['sockwire_pubsub_published_total', 'Pub/sub envelopes sent to the broker', [], (s) => [[{}, s.pubsub.published]]],
  ['sockwire_pubsub_delivered_total', 'Pub/sub envelopes from the broker delivered here', [], (s) => [[{}, s.pubsub.delivered]]],
  ['sockwire_pubsub_gaps_total', 'Pub/sub sequence gaps seen', [], (s) => [[{}, s.pubsub.gaps]]]
];

/** Gauges: values of this moment. */
const GAUGES = [
  ['sockwire_connections_open', 'Open WebSocket connections', (s) => s.connections.open],
  ['sockwire_handshakes_pending', 'Upgrades waiting for authenticate', (s) => s.handshakes.pending],
  ['sockwire_topics', 'Topics with local subscribers', (s) => s.topics]
];

/** Register metrics on `registry` that read `wss.stats()` whenever they are collected. */
export function registerSockwireMetrics(wss, registry) {
  for (const [name, help, labelNames, rows] of COUNTERS) {
    new client.Counter({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        // The totals live in sockwire; mirror them (reset, then add the current value).
        this.reset();
        for (const [labels, value] of rows(wss.stats())) this.inc(labels, value);
      }
    });
  }
  for (const [name, help, read] of GAUGES) {
    new client.Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read(wss.stats()));
      }
    });
  }
}

/** Start the echo + metrics server on `port`; resolves with it once listening. */
export function startServer(port) {
  const registry = new client.Registry();
  const server = createServer(async (req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': registry.contentType });
    res.end(await registry.metrics());
  });
  const wss = new WebSocketServer({ server });
  registerSockwireMetrics(wss, registry);
  wss.on('connection', (ws) => {
    ws.on('error', () => {});
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve({ server, wss })));
}

// Run as a program (not when imported by a test or another module).
if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { server, wss } = await startServer(Number(process.env.PORT ?? 8080));
  console.log(`echo on ws://127.0.0.1:${server.address().port}/, metrics on http://127.0.0.1:${server.address().port}/metrics`);
  const stop = () => {
    for (const ws of wss.clients) ws.close(1001, 'server shutting down');
    wss.close();
    server.close(() => process.exit(0));
    server.closeAllConnections();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
