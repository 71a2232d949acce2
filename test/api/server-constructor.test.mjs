// WebSocketServer construction (SPEC §3): mode validation, the listening callback, port/host/backlog, address(),
// the `options` object and its defaults, clientTracking and the WebSocket class option.
import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';

import impl, { WebSocket, WebSocketServer, implName } from '../helpers/impl.mjs';
import {
  onceEvent,
  startServer,
  startHttp,
  stopHttp,
  exitGuard,
  stopServer,
  upgradeRequest,
  openRaw,
  withTimeout,
} from '../helpers/server-helpers.mjs';

/** The one default that differs from ws on purpose (README: differences): 2^18 frames per message, ws 16384. */
const DEFAULT_MAX_FRAGMENTS = implName === 'ws' ? 16384 : 262144;
const MODE_MESSAGE = 'One and only one of the "port", "server", or "noServer" options must be specified';
const T = { timeout: 10000 };
exitGuard();

test('constructor throws TypeError unless exactly one of port/server/noServer is given', T, () => {
  const httpServer = http.createServer();
  const bad = [
    undefined,
    {},
    { port: null },
    { port: undefined },
    { server: null },
    { noServer: false },
    { port: 0, server: httpServer },
    { port: 0, noServer: true },
    { server: httpServer, noServer: true },
    { port: 0, server: httpServer, noServer: true },
  ];
  for (const options of bad) {
    assert.throws(
      () => new WebSocketServer(options),
      (err) => err instanceof TypeError && err.message === MODE_MESSAGE,
      `options ${JSON.stringify(options && Object.keys(options))}`,
    );
  }
  // Constructing with a bad mode must not have attached anything to the server.
  assert.equal(httpServer.listenerCount('upgrade'), 0);
});

test('noServer: false next to port is accepted (only a truthy noServer counts)', T, async (t) => {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', noServer: false });
  t.after(() => stopServer(wss));
  await onceEvent(wss, 'listening');
  assert.equal(typeof wss.address().port, 'number');
  await stopServer(wss);
});

test('callback is called once as a listening listener, after address() is available', T, async (t) => {
  let calls = 0;
  let seen;
  let wss;
  const listened = new Promise((resolve) => {
    wss = new WebSocketServer({ port: 0, host: '127.0.0.1' }, (...args) => {
      calls += 1;
      seen = { args, address: wss.address() };
      resolve();
    });
  });
  t.after(() => stopServer(wss));
  await withTimeout(listened, 'listening callback');
  assert.equal(calls, 1);
  assert.deepEqual(seen.args, []);
  assert.equal(seen.address.address, '127.0.0.1');
  assert.equal(seen.address.family, 'IPv4');
  assert.ok(seen.address.port > 0);
  await stopServer(wss);
  assert.equal(calls, 1);
});

test("port mode: the server emits 'listening' with no arguments", T, async (t) => {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  t.after(() => stopServer(wss));
  const args = await onceEvent(wss, 'listening');
  assert.deepEqual(args, []);
  await stopServer(wss);
});

test('port + host: listens on the given IPv4 and IPv6 loopback addresses', T, async (t) => {
  const v4 = await startServer(t, { host: '127.0.0.1' });
  assert.deepEqual(Object.keys(v4.address()).sort(), ['address', 'family', 'port']);
  assert.equal(v4.address().address, '127.0.0.1');
  assert.equal(v4.address().family, 'IPv4');
  await stopServer(v4);

  const v6 = await startServer(t, { host: '::1' });
  assert.equal(v6.address().address, '::1');
  assert.equal(v6.address().family, 'IPv6');
  await stopServer(v6);
});

test('port + backlog: the server listens, accepts upgrades and keeps the option', T, async (t) => {
  const wss = await startServer(t, { backlog: 7 });
  assert.equal(wss.options.backlog, 7);
  assert.equal(wss.options.port, 0);
  assert.equal(wss.options.host, '127.0.0.1');
  const connected = onceEvent(wss, 'connection');
  const { socket, head } = await openRaw(wss.address().port, upgradeRequest());
  assert.match(head, /^HTTP\/1\.1 101 Switching Protocols\r\n/);
  await connected;
  socket.destroy();
  await stopServer(wss);
});

test("address() throws in noServer mode with ws's message", T, () => {
  const wss = new WebSocketServer({ noServer: true });
  assert.throws(
    () => wss.address(),
    (err) => err instanceof Error && err.message === 'The server is operating in "noServer" mode',
  );
});

test('address() in server mode is the http server address', T, async (t) => {
  const server = http.createServer();
  const wss = new WebSocketServer({ server });
  await startHttp(t, server);
  assert.deepEqual(wss.address(), server.address());
  await stopServer(wss);
  await stopHttp(server);
});

test('options: key set and defaults match ws 8 (noServer mode)', T, () => {
  const wss = new WebSocketServer({ noServer: true });
  const expected = {
    allowSynchronousEvents: true,
    autoPong: true,
    maxBufferedChunks: 262144,
    maxFragments: DEFAULT_MAX_FRAGMENTS,
    maxPayload: 104857600,
    maxPendingAutoPongs: 60,
    skipUTF8Validation: false,
    perMessageDeflate: false,
    handleProtocols: null,
    clientTracking: true,
    closeTimeout: 30000,
    verifyClient: null,
    noServer: true,
    backlog: null,
    server: null,
    host: null,
    path: null,
    port: null,
  };
  const { WebSocket: wsClass, ...rest } = wss.options;
  assert.deepEqual(Object.keys(wss.options).sort(), [...Object.keys(expected), 'WebSocket'].sort());
  assert.deepEqual(rest, expected);
  assert.equal(wsClass, WebSocket);
  assert.equal(wsClass, impl);
});

test('options: given values override defaults and unknown keys are kept', T, () => {
  const verifyClient = () => true;
  const handleProtocols = () => false;
  class Sub extends WebSocket {}
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: 5,
    path: '/x',
    clientTracking: false,
    verifyClient,
    handleProtocols,
    closeTimeout: 10,
    autoPong: false,
    WebSocket: Sub,
    custom: 'kept',
  });
  assert.equal(wss.options.maxPayload, 5);
  assert.equal(wss.options.path, '/x');
  assert.equal(wss.options.clientTracking, false);
  assert.equal(wss.options.verifyClient, verifyClient);
  assert.equal(wss.options.handleProtocols, handleProtocols);
  assert.equal(wss.options.closeTimeout, 10);
  assert.equal(wss.options.autoPong, false);
  assert.equal(wss.options.WebSocket, Sub);
  assert.equal(wss.options.custom, 'kept');
  assert.equal(wss.options.maxFragments, DEFAULT_MAX_FRAGMENTS);
});

test('clientTracking: clients is a Set by default and undefined when disabled', T, () => {
  const tracked = new WebSocketServer({ noServer: true });
  assert.ok(tracked.clients instanceof Set);
  assert.equal(tracked.clients.size, 0);
  const untracked = new WebSocketServer({ noServer: true, clientTracking: false });
  assert.equal(untracked.clients, undefined);
});

test('WebSocket option: accepted connections are instances of the given subclass', T, async (t) => {
  const constructed = [];
  class Tagged extends WebSocket {
    constructor(...args) {
      super(...args);
      constructed.push(this);
    }
  }
  const wss = await startServer(t, { WebSocket: Tagged });
  const connected = onceEvent(wss, 'connection');
  const { socket } = await openRaw(wss.address().port, upgradeRequest());
  const [ws] = await connected;
  assert.ok(ws instanceof Tagged);
  assert.ok(ws instanceof WebSocket);
  assert.deepEqual(constructed, [ws]);
  assert.equal(ws.readyState, WebSocket.OPEN);
  socket.destroy();
  await stopServer(wss);
});

test("callback is ignored in server and noServer modes (it is not a 'listening' listener there)", T, async (t) => {
  let calls = 0;
  const callback = () => {
    calls += 1;
  };
  const server = http.createServer();
  const attached = new WebSocketServer({ server }, callback);
  t.after(() => stopServer(attached));
  const listening = onceEvent(attached, 'listening');
  await startHttp(t, server);
  await listening;
  const detached = new WebSocketServer({ noServer: true }, callback);
  assert.equal(detached.listenerCount('listening'), 0);
  detached.emit('listening');
  assert.equal(calls, 0);
  await stopServer(attached);
  await stopHttp(server);
});
