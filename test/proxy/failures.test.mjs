// Proxies that misbehave, scripted on raw sockets: one that stalls (the time limit fires), one that closes or resets
// mid-CONNECT, one answering garbage, refusals by status, a SOCKS server speaking HTTP. Each gives its
// WS_ERR_PROXY_* code through 'error' then 'close' 1006, nothing is thrown, and the proxy sees every socket closed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { once, record, eventNames } from '../helpers/client-events.mjs';
import { readRequest, startRawServer } from '../helpers/client-raw-server.mjs';
import { waitFor } from '../helpers/proxies.mjs';
import { failOnce, startEchoServer, trustFixture, WebSocket } from '../helpers/proxy-targets.mjs';

/** A raw proxy running `script(socket, request)` after reading each CONNECT head; `requests` keeps those heads. */
async function scriptedProxy(t, script) {
  const requests = [];
  const server = await startRawServer(async (socket) => {
    let request;
    try {
      request = await readRequest(socket);
    } catch {
      return;
    }
    requests.push(request);
    socket.resume();
    script(socket, request);
  });
  t.after(() => server.close());
  return { ...server, requests, url: `http://u:pw-secret@127.0.0.1:${server.port}` };
}

/** The proxy saw every connection it accepted close: nothing leaked on the client side. */
const allClosed = (proxy) => waitFor(() => proxy.sockets.size === 0, 5000, 'the proxy-side sockets to close');

test('a proxy that accepts and stalls: handshakeTimeout fires as WS_ERR_PROXY_TIMEOUT, its socket is closed', async (t) => {
  const proxy = await scriptedProxy(t, () => {});
  const { names, error, code } = await failOnce('ws://127.0.0.1:9/', { proxy: proxy.url, handshakeTimeout: 300 });
  assert.deepEqual(names, ['error', 'close']);
  assert.equal(error.code, 'WS_ERR_PROXY_TIMEOUT');
  assert.equal(error.message, 'Opening handshake has timed out: no tunnel from the proxy within 300 ms');
  assert.equal(code, 1006);
  assert.equal(proxy.requests[0].requestLine, 'CONNECT 127.0.0.1:9 HTTP/1.1');
  await allClosed(proxy);
});

test('proxy.timeout bounds the tunnel without a handshakeTimeout, for SOCKS too', async (t) => {
  const stalled = await startRawServer((socket) => socket.resume());
  t.after(() => stalled.close());
  for (const scheme of ['http', 'socks5h', 'socks4a']) {
    const { names, error } = await failOnce('wss://localhost:9/', { proxy: { url: `${scheme}://127.0.0.1:${stalled.port}`, timeout: 200 } });
    assert.deepEqual(names, ['error', 'close'], scheme);
    assert.equal(error.code, 'WS_ERR_PROXY_TIMEOUT', scheme);
  }
  await waitFor(() => stalled.sockets.size === 0, 5000, 'the stalled sockets to close');
});

test('a proxy that closes mid-answer, hangs up at once, or resets → WS_ERR_PROXY_BAD_RESPONSE', async (t) => {
  const halfAnswer = await scriptedProxy(t, (socket) => socket.end('HTTP/1.1 200 Conn'));
  const half = await failOnce('ws://127.0.0.1:9/', { proxy: halfAnswer.url });
  assert.deepEqual(half.names, ['error', 'close']);
  assert.equal(half.error.code, 'WS_ERR_PROXY_BAD_RESPONSE');
  assert.equal(half.error.message, 'The proxy closed the connection before answering CONNECT');
  await allClosed(halfAnswer);
  const hangUp = await startRawServer((socket) => socket.end());
  t.after(() => hangUp.close());
  const early = await failOnce('ws://127.0.0.1:9/', { proxy: `http://127.0.0.1:${hangUp.port}` });
  assert.deepEqual(early.names, ['error', 'close']);
  assert.equal(early.error.code, 'WS_ERR_PROXY_BAD_RESPONSE');
  const reset = await scriptedProxy(t, (socket) => socket.resetAndDestroy?.() ?? socket.destroy());
  const rst = await failOnce('ws://127.0.0.1:9/', { proxy: reset.url });
  assert.equal(rst.error.code, 'WS_ERR_PROXY_BAD_RESPONSE');
  assert.match(rst.error.message, /^The (connection to the proxy failed before the tunnel opened: .*ECONNRESET|proxy closed the connection before answering CONNECT)/);
});

test('garbage, a malformed head, an oversized head → WS_ERR_PROXY_BAD_RESPONSE; nothing leaks', async (t) => {
  const cases = [
    ['SSH-2.0-OpenSSH_9.2\r\n', 'Invalid response from the proxy: it is not HTTP'],
    ['HTTP/1.1 2OO OK\r\n\r\n', 'Invalid response from the proxy: the status line is malformed'],
    [`HTTP/1.1 200 OK\r\nX-Big: ${'x'.repeat(20000)}\r\n\r\n`, 'Invalid response from the proxy: its head is too large']
  ];
  for (const [answer, message] of cases) {
    const proxy = await scriptedProxy(t, (socket) => socket.write(answer));
    const { names, error, code } = await failOnce('ws://127.0.0.1:9/', { proxy: proxy.url });
    assert.deepEqual(names, ['error', 'close']);
    assert.equal(error.code, 'WS_ERR_PROXY_BAD_RESPONSE');
    assert.equal(error.message, message);
    assert.equal(code, 1006);
    await allClosed(proxy);
  }
});

test('refusals by status: 403 refused, 502 unreachable, statusCode set; the URL credentials are nowhere', async (t) => {
  for (const [status, code] of [
    ['403 Forbidden', 'WS_ERR_PROXY_REFUSED'],
    ['502 Bad Gateway', 'WS_ERR_PROXY_UNREACHABLE'],
    ['302 Found', 'WS_ERR_PROXY_REFUSED']
  ]) {
    const proxy = await scriptedProxy(t, (socket) => socket.end(`HTTP/1.1 ${status}\r\nContent-Length: 0\r\n\r\n`));
    const { error } = await failOnce('ws://127.0.0.1:9/', { proxy: proxy.url });
    assert.equal(error.code, code, status);
    assert.equal(error.statusCode, Number(status.slice(0, 3)));
    assert.ok(!`${error.message}${error.stack}`.includes('pw-secret'));
    // The credentials went to the proxy, percent-decoded, as Basic.
    assert.equal(proxy.requests[0].headers['proxy-authorization'], `Basic ${Buffer.from('u:pw-secret').toString('base64')}`);
  }
});

test('any 2xx opens the tunnel: a forwarding proxy answering 204 carries the connection', async (t) => {
  const target = await startEchoServer({ secure: true });
  t.after(() => target.close());
  const { connect } = await import('node:net');
  const proxy = await scriptedProxy(t, (socket, request) => {
    const [host, port] = request.path.split(':');
    const upstream = connect(Number(port), host === 'localhost' ? '127.0.0.1' : host, () => {
      socket.write('HTTP/1.0 204 Tunnel Open\r\n\r\n');
      socket.pipe(upstream).pipe(socket);
    });
    upstream.on('error', () => socket.destroy());
    socket.on('close', () => upstream.destroy());
  });
  const ws = new WebSocket(target.url('localhost'), { proxy: proxy.url, ...trustFixture });
  await once(ws, 'open');
  ws.send('x');
  const [data] = await once(ws, 'message');
  assert.equal(data.toString(), 'x');
  assert.equal(proxy.requests[0].requestLine, `CONNECT localhost:${target.port} HTTP/1.1`);
  assert.equal(proxy.requests[0].headers.host, `localhost:${target.port}`);
  ws.close();
  await once(ws, 'close');
});

test('wss://: bytes from the proxy before our TLS hello → WS_ERR_PROXY_BAD_RESPONSE', async (t) => {
  const proxy = await scriptedProxy(t, (socket) => socket.write('HTTP/1.1 200 OK\r\n\r\nnot tls'));
  const { error } = await failOnce('wss://localhost:9/', { proxy: proxy.url });
  assert.equal(error.code, 'WS_ERR_PROXY_BAD_RESPONSE');
  assert.equal(error.message, 'The proxy sent data before the tunnel was used');
  await allClosed(proxy);
});

test('a SOCKS5 "proxy" that answers HTTP → WS_ERR_PROXY_BAD_RESPONSE; one that closes → the same', async (t) => {
  const http = await startRawServer((socket) => socket.once('data', () => socket.write('HTTP/1.1 400 Bad Request\r\n\r\n')));
  const closing = await startRawServer((socket) => socket.once('data', () => socket.end()));
  t.after(() => Promise.all([http.close(), closing.close()]));
  const a = await failOnce('ws://127.0.0.1:9/', { proxy: `socks5://127.0.0.1:${http.port}` });
  assert.equal(a.error.code, 'WS_ERR_PROXY_BAD_RESPONSE');
  assert.equal(a.error.message, 'the proxy does not speak SOCKS5');
  const b = await failOnce('ws://127.0.0.1:9/', { proxy: `socks5h://127.0.0.1:${closing.port}` });
  assert.equal(b.error.code, 'WS_ERR_PROXY_BAD_RESPONSE');
  assert.equal(b.error.message, 'The SOCKS proxy closed the connection before answering');
  await waitFor(() => http.sockets.size + closing.sockets.size === 0, 5000, 'SOCKS sockets to close');
});

test('nothing listening at the proxy address → WS_ERR_PROXY_UNREACHABLE with the cause, no credentials', async () => {
  const { names, error, code } = await failOnce('ws://127.0.0.1:9/', { proxy: 'http://user:pw-secret@127.0.0.1:1' });
  assert.deepEqual(names, ['error', 'close']);
  assert.equal(error.code, 'WS_ERR_PROXY_UNREACHABLE');
  assert.equal(error.cause.code, 'ECONNREFUSED');
  assert.equal(error.message, 'Could not connect to the proxy http://127.0.0.1:1: connect ECONNREFUSED 127.0.0.1:1');
  assert.equal(code, 1006);
  const socks = await failOnce('ws://127.0.0.1:9/', { proxy: 'socks5://user:pw-secret@127.0.0.1:1' });
  assert.equal(socks.error.code, 'WS_ERR_PROXY_UNREACHABLE');
  assert.ok(!socks.error.message.includes('pw-secret'));
});

test('terminate() while the proxy stalls: the usual abort error, close 1006, the tunnel socket closed', async (t) => {
  const proxy = await scriptedProxy(t, () => {});
  const ws = new WebSocket('ws://127.0.0.1:9/', { proxy: proxy.url });
  const { log, done } = record(ws, ['open', 'error', 'close']);
  await waitFor(() => proxy.requests.length === 1, 5000, 'the CONNECT');
  ws.terminate();
  await done;
  assert.deepEqual(eventNames(log), ['error', 'close']);
  assert.equal(log[0][1].message, 'WebSocket was closed before the connection was established');
  await allClosed(proxy);
});

test('no error listener: a refused tunnel throws nothing, close 1006 still comes', async (t) => {
  const proxy = await scriptedProxy(t, (socket) => socket.end('HTTP/1.1 407 Proxy Authentication Required\r\n\r\n'));
  const ws = new WebSocket('ws://127.0.0.1:9/', { proxy: proxy.url });
  const [code] = await once(ws, 'close');
  assert.equal(code, 1006);
});

test("an 'unexpected-response' listener that terminates at once: one error, one close", async (t) => {
  const proxy = await scriptedProxy(t, (socket) => socket.write('HTTP/1.1 403 Forbidden\r\nContent-Length: 5\r\n\r\nnope!'));
  const ws = new WebSocket('ws://127.0.0.1:9/', { proxy: proxy.url });
  ws.on('unexpected-response', (req, res) => {
    assert.equal(res.statusCode, 403);
    ws.terminate();
  });
  const { log, done } = record(ws, ['open', 'error', 'close']);
  await done;
  assert.deepEqual(eventNames(log), ['error', 'close']);
  assert.equal(log[0][1].message, 'WebSocket was closed before the connection was established');
  await allClosed(proxy);
});

test("a refusal taken by 'unexpected-response' and never aborted: handshakeTimeout ends an idle wait, as without a proxy", async (t) => {
  // 20 of the 100 announced body bytes, then silence: the answer never ends, the connection stays open.
  const answer = 'Content-Length: 100\r\n\r\n' + 'x'.repeat(20);
  const proxy = await scriptedProxy(t, (socket) => socket.write('HTTP/1.1 407 Proxy Authentication Required\r\n' + answer));
  const server = await startRawServer(async (socket) => {
    await readRequest(socket).catch(() => null);
    socket.write('HTTP/1.1 401 Unauthorized\r\n' + answer);
  });
  t.after(() => server.close());
  for (const [url, options, status] of [
    ['ws://127.0.0.1:9/', { proxy: proxy.url, handshakeTimeout: 300 }, 407],
    [`ws://127.0.0.1:${server.port}/`, { handshakeTimeout: 300 }, 401]
  ]) {
    const ws = new WebSocket(url, options);
    const { log, done } = record(ws, ['open', 'error', 'close'], { ms: 10000 });
    const [, res] = await once(ws, 'unexpected-response', 10000);
    assert.equal(res.statusCode, status);
    res.resume();
    await done;
    assert.deepEqual(eventNames(log), ['error', 'close'], url);
    assert.equal(log[0][1].message, 'Opening handshake has timed out', url);
    assert.equal(log[1][1], 1006, url);
  }
  await allClosed(proxy);
  await waitFor(() => server.sockets.size === 0, 5000, 'the server-side socket to close');
});

test("a refusal taken by 'unexpected-response', answered and hung up: CONNECTING until the app aborts, as without a proxy; nothing held", async (t) => {
  const answer = 'Content-Length: 5\r\nConnection: close\r\n\r\nnope!';
  const proxy = await scriptedProxy(t, (socket) => socket.end('HTTP/1.1 407 Proxy Authentication Required\r\n' + answer));
  const server = await startRawServer(async (socket) => {
    await readRequest(socket).catch(() => null);
    socket.end('HTTP/1.1 401 Unauthorized\r\n' + answer);
  });
  t.after(() => server.close());
  const serverClosed = () => waitFor(() => server.sockets.size === 0, 5000, 'the server-side socket to close');
  for (const [url, options, status, hungUp] of [
    ['ws://127.0.0.1:9/', { proxy: proxy.url, handshakeTimeout: 300 }, 407, () => allClosed(proxy)],
    [`ws://127.0.0.1:${server.port}/`, { handshakeTimeout: 300 }, 401, serverClosed]
  ]) {
    const ws = new WebSocket(url, options);
    const { log, done } = record(ws, ['open', 'error', 'close'], { ms: 10000 });
    const [, res] = await once(ws, 'unexpected-response', 10000);
    assert.equal(res.statusCode, status);
    res.resume();
    await once(res, 'end', 10000);
    await hungUp();
    // Well past handshakeTimeout: no timer is left to end the attempt, and the connection is gone.
    await new Promise((resolve) => setTimeout(resolve, 600));
    assert.deepEqual(log, [], url);
    assert.equal(ws.readyState, WebSocket.CONNECTING, url);
    ws.terminate();
    await done;
    assert.deepEqual(eventNames(log), ['error', 'close'], url);
    assert.equal(log[0][1].message, 'WebSocket was closed before the connection was established', url);
  }
  await waitFor(() => !process.getActiveResourcesInfo().includes('TCPSocketWrap'), 5000, 'no client socket left');
});
