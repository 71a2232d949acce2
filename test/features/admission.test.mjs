// Admission before the upgrade: async authenticate (401 / status / 500), ws.data and the third 'connection'
// argument, allowedOrigins (403), maxConnections (503). Checked with node:http requests and sockwire clients.
import test from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startServer, openClient, onceEvent, nextEvent, httpUpgrade, readToClose, delay, WebSocket } from './helpers.mjs';

const T = { timeout: 10000 };

/** The exact refusal bytes (ws's handshake-error format). */
function refusal(status, text) {
  return `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/html\r\nContent-Length: ${text.length}\r\n\r\n${text}`;
}

/** Raw upgrade request; resolves with the whole response (the server closes after a refusal). */
async function rawRefusal(t, port, headers = '') {
  const socket = net.connect(port, '127.0.0.1');
  t.after(() => socket.destroy());
  await onceEvent(socket, 'connect');
  socket.write(
    `GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${headers}\r\n`,
  );
  return (await readToClose(socket)).toString('latin1');
}

test('authenticate: the result is ws.data and the third connection argument', T, async (t) => {
  const seen = [];
  const wss = await startServer(t, {
    authenticate: async (req) => {
      await delay(10);
      seen.push(req.headers.authorization);
      return { user: 'ada' };
    },
  });
  const connection = onceEvent(wss, 'connection');
  await openClient(t, wss, { headers: { Authorization: 'Bearer good' } });
  const [ws, req, data] = await connection;
  assert.deepEqual(data, { user: 'ada' });
  assert.equal(ws.data, data);
  assert.equal(req.headers.authorization, 'Bearer good');
  assert.deepEqual(seen, ['Bearer good']);
});

test('authenticate: false → 401, a status code → that status, a throw → 500 and connectionError', T, async (t) => {
  const failure = new Error('database down');
  const wss = await startServer(t, {
    authenticate: (req) => {
      const token = req.headers.authorization;
      if (token === 'forbidden') return 403;
      if (token === 'crash') throw failure;
      if (token === 'reject') return Promise.reject(failure);
      return token === 'ok' ? { token } : false;
    },
  });
  const port = wss.address().port;
  const reported = [];
  wss.on('connectionError', (error, ws, req) => reported.push([error, ws, req.headers.authorization]));
  wss.on('connection', () => assert.fail('must not connect'));
  assert.equal(await rawRefusal(t, port), refusal(401, 'Unauthorized'));
  const forbidden = await httpUpgrade(port, { Authorization: 'forbidden' });
  assert.deepEqual([forbidden.status, forbidden.body], [403, 'Forbidden']);
  const crash = await httpUpgrade(port, { Authorization: 'crash' });
  assert.deepEqual([crash.status, crash.body], [500, 'Internal Server Error']);
  const rejected = await httpUpgrade(port, { Authorization: 'reject' });
  assert.equal(rejected.status, 500);
  assert.deepEqual(reported, [
    [failure, null, 'crash'],
    [failure, null, 'reject'],
  ]);
  // A sockwire client sees the status as ws reports it.
  const client = new WebSocket(`ws://127.0.0.1:${port}`);
  const [error] = await nextEvent(client, 'error');
  assert.equal(error.message, 'Unexpected server response: 401');
});

test('allowedOrigins: listed origins connect; others and a missing Origin get 403', T, async (t) => {
  const wss = await startServer(t, { allowedOrigins: ['https://app.example'] });
  const port = wss.address().port;
  const client = await openClient(t, wss, { origin: 'https://app.example' });
  assert.equal(client.readyState, WebSocket.OPEN);
  assert.equal(await rawRefusal(t, port, 'Origin: https://evil.example\r\n'), refusal(403, 'Forbidden'));
  assert.equal(await rawRefusal(t, port), refusal(403, 'Forbidden'));
  assert.equal(wss.clients.size, 1);
});

test('maxConnections: 503 past the cap, room again after a close', T, async (t) => {
  const wss = await startServer(t, { maxConnections: 2 });
  const port = wss.address().port;
  const first = await openClient(t, wss);
  await openClient(t, wss);
  assert.equal(await rawRefusal(t, port), refusal(503, 'Service Unavailable'));
  const refused = await httpUpgrade(port);
  assert.equal(refused.status, 503);
  const serverSide = [...wss.clients][0];
  const closed = nextEvent(serverSide, 'close');
  first.close();
  await closed;
  const third = await openClient(t, wss);
  assert.equal(third.readyState, WebSocket.OPEN);
  assert.equal(wss.clients.size, 2);
});

test('peer errors on a socket without an error listener go to connectionError, never throw', T, async (t) => {
  const wss = await startServer(t);
  const reported = [];
  wss.on('connectionError', (error, ws) => reported.push([error.code, ws]));
  const accepted = onceEvent(wss, 'connection');
  const socket = net.connect(wss.address().port, '127.0.0.1');
  t.after(() => socket.destroy());
  await onceEvent(socket, 'connect');
  socket.write(
    'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
  );
  const [ws] = await accepted;
  const closed = nextEvent(ws, 'close');
  // RFC 6455 §5.1: a client frame must be masked; this one is not.
  socket.write(Buffer.from([0x81, 0x02, 0x68, 0x69]));
  socket.resume();
  const [code] = await closed;
  assert.equal(code, 1006);
  assert.deepEqual(reported, [['WS_ERR_EXPECTED_MASK', ws]]);

  // With an 'error' listener on the socket, the server is not involved.
  const accepted2 = onceEvent(wss, 'connection');
  const client = await openClient(t, wss);
  const [ws2] = await accepted2;
  const own = [];
  ws2.on('error', (error) => own.push(error.code));
  const closed2 = nextEvent(ws2, 'close');
  client._socket.write(Buffer.from([0x81, 0x02, 0x68, 0x69]));
  await closed2;
  assert.deepEqual(own, ['WS_ERR_EXPECTED_MASK']);
  assert.equal(reported.length, 1);
});
