// SPEC §4 followRedirects / maxRedirects: following 3xx, the 'redirect' event, "Maximum redirects exceeded", and
// credentials dropped on a redirect to another host (unless the app listens to 'redirect' and decides itself).
import assert from 'node:assert/strict';
import { ClientRequest } from 'node:http';
import { test } from 'node:test';
import { WebSocket } from '../helpers/impl.mjs';
import { record, eventNames } from '../helpers/client-events.mjs';
import { readRequest, startRawServer, writeSwitching } from '../helpers/client-raw-server.mjs';

/**
 * Two raw servers: `a` answers by path (redirects or upgrades), `b` always upgrades. Host names differ
 * (127.0.0.1 vs localhost) so a redirect from a to b crosses hosts. Every request is logged in `seen`.
 */
async function servers(t) {
  const seen = [];
  const b = await startRawServer(async (socket) => {
    const request = await readRequest(socket);
    seen.push(['b', request]);
    writeSwitching(socket, request);
    socket.resume();
  });
  const redirect = (status, location) =>
    `HTTP/1.1 ${status} Redirect\r\n${location === undefined ? '' : `Location: ${location}\r\n`}Content-Length: 0\r\n\r\n`;
  const a = await startRawServer(async (socket) => {
    const request = await readRequest(socket);
    seen.push(['a', request]);
    socket.resume();
    const routes = {
      '/same': () => redirect(302, '/final'),
      '/cross': () => redirect(301, `ws://localhost:${b.port}/there`),
      '/http': () => redirect(307, `http://127.0.0.1:${a.port}/final`),
      '/loop': () => redirect(302, '/loop'),
      '/bad': () => redirect(302, 'ftp://example.invalid/'),
      '/none': () => redirect(302)
    };
    const route = routes[request.path];
    if (route) socket.write(route());
    else writeSwitching(socket, request);
  });
  t.after(() => Promise.all([a.close(), b.close()]));
  return { a, b, seen };
}

/** Opens a client, terminates it on 'open', and resolves with the recorded events. */
async function run(url, options, names = ['redirect', 'upgrade', 'open', 'error', 'close']) {
  const ws = new WebSocket(url, options);
  ws.on('open', () => ws.terminate());
  const { log, done } = record(ws, names);
  await done;
  return { ws, log };
}

test('followRedirects off (default): a 302 is an unexpected response', async (t) => {
  const { a, seen } = await servers(t);
  const { log } = await run(a.url + '/same');
  assert.deepEqual(eventNames(log), ['error', 'close']);
  assert.equal(log[0][1].message, 'Unexpected server response: 302');
  assert.equal(log[1][1], 1006);
  assert.equal(seen.length, 1);
});

test("same-host redirect is followed; 'redirect'(url, req) fires; headers are kept", async (t) => {
  const { a, seen } = await servers(t);
  const headers = { Authorization: 'Bearer t', Cookie: 'c=1', 'X-Keep': 'k' };
  const { ws, log } = await run(a.url + '/same', { followRedirects: true, headers, origin: 'http://o.example' });
  assert.deepEqual(eventNames(log), ['redirect', 'upgrade', 'open', 'close']);
  assert.equal(log[0][1], `${a.url}/final`);
  assert.ok(log[0][2] instanceof ClientRequest);
  assert.equal(ws.url, `${a.url}/final`);
  assert.deepEqual(
    seen.map(([who, r]) => [who, r.path, r.headers.authorization, r.headers.cookie, r.headers['x-keep'], r.headers.origin]),
    [
      ['a', '/same', 'Bearer t', 'c=1', 'k', 'http://o.example'],
      ['a', '/final', 'Bearer t', 'c=1', 'k', 'http://o.example']
    ]
  );
});

test('same-host redirect without a redirect listener also keeps credentials', async (t) => {
  const { a, seen } = await servers(t);
  const headers = { Authorization: 'Bearer t', Cookie: 'c=1' };
  const { log } = await run(a.url + '/same', { followRedirects: true, headers }, ['upgrade', 'open', 'error', 'close']);
  assert.deepEqual(eventNames(log), ['upgrade', 'open', 'close']);
  assert.equal(seen[1][1].headers.authorization, 'Bearer t');
  assert.equal(seen[1][1].headers.cookie, 'c=1');
});

test('http: Location is followed as ws:', async (t) => {
  const { a, seen } = await servers(t);
  const { ws, log } = await run(a.url + '/http', { followRedirects: true });
  assert.deepEqual(eventNames(log), ['redirect', 'upgrade', 'open', 'close']);
  // The event carries the URL as the client will use it (http: mapped to ws:).
  assert.equal(log[0][1], `ws://127.0.0.1:${a.port}/final`);
  assert.equal(ws.url, `ws://127.0.0.1:${a.port}/final`);
  assert.equal(seen[1][1].path, '/final');
});

test('cross-host redirect drops Authorization, Cookie, custom Host and URL credentials', async (t) => {
  const { a, b, seen } = await servers(t);
  const headers = { Authorization: 'Bearer t', Cookie: 'c=1', 'X-Keep': 'k', Host: 'virtual.example' };
  const { ws, log } = await run(a.url + '/cross', { followRedirects: true, headers }, ['upgrade', 'open', 'error', 'close']);
  assert.deepEqual(eventNames(log), ['upgrade', 'open', 'close']);
  assert.equal(ws.url, `ws://localhost:${b.port}/there`);
  const [, first] = seen[0];
  const [who, second] = seen[1];
  assert.equal(first.headers.authorization, 'Bearer t');
  assert.equal(first.headers.host, 'virtual.example');
  assert.equal(who, 'b');
  assert.equal(second.path, '/there');
  assert.equal(second.headers.authorization, undefined);
  assert.equal(second.headers.cookie, undefined);
  assert.equal(second.headers['x-keep'], 'k');
  assert.equal(second.headers.host, `localhost:${b.port}`);

  seen.length = 0;
  await run(`ws://user:pw@127.0.0.1:${a.port}/cross`, { followRedirects: true }, ['open', 'error', 'close']);
  assert.equal(seen[0][1].headers.authorization, 'Basic ' + Buffer.from('user:pw').toString('base64'));
  assert.equal(seen[1][1].headers.authorization, undefined);
});

test("cross-host redirect with a 'redirect' listener leaves the headers to the app", async (t) => {
  const { a, seen } = await servers(t);
  const headers = { Authorization: 'Bearer t', Cookie: 'c=1' };
  const ws = new WebSocket(a.url + '/cross', { followRedirects: true, headers });
  ws.on('redirect', (url, req) => {
    assert.equal(req.getHeader('authorization'), 'Bearer t');
    req.removeHeader('cookie');
    req.setHeader('X-Chosen', 'by-app');
  });
  ws.on('open', () => ws.terminate());
  const { log, done } = record(ws, ['redirect', 'open', 'error', 'close']);
  await done;
  assert.deepEqual(eventNames(log), ['redirect', 'open', 'close']);
  const second = seen[1][1].headers;
  assert.equal(second.authorization, 'Bearer t');
  assert.equal(second.cookie, undefined);
  assert.equal(second['x-chosen'], 'by-app');
});

test('maxRedirects: one redirect too many → "Maximum redirects exceeded", close 1006', async (t) => {
  const { a, seen } = await servers(t);
  const { log } = await run(a.url + '/loop', { followRedirects: true, maxRedirects: 2 });
  assert.deepEqual(eventNames(log), ['redirect', 'redirect', 'error', 'close']);
  assert.equal(log[2][1].message, 'Maximum redirects exceeded');
  assert.equal(log[3][1], 1006);
  assert.equal(seen.length, 3);
});

test('maxRedirects 0 with followRedirects → the first redirect already exceeds', async (t) => {
  const { a, seen } = await servers(t);
  const { log } = await run(a.url + '/loop', { followRedirects: true, maxRedirects: 0 });
  assert.deepEqual(eventNames(log), ['error', 'close']);
  assert.equal(log[0][1].message, 'Maximum redirects exceeded');
  assert.equal(seen.length, 1);
});

test('default maxRedirects is 10', async (t) => {
  const { a, seen } = await servers(t);
  const { log } = await run(a.url + '/loop', { followRedirects: true }, ['redirect', 'error', 'close']);
  assert.equal(eventNames(log).filter((name) => name === 'redirect').length, 10);
  assert.deepEqual(eventNames(log).slice(-2), ['error', 'close']);
  assert.equal(log.at(-2)[1].message, 'Maximum redirects exceeded');
  assert.equal(seen.length, 11);
});

test('redirect to an unsupported scheme → SyntaxError emitted, then close 1006', async (t) => {
  const { a } = await servers(t);
  const { log } = await run(a.url + '/bad', { followRedirects: true });
  assert.deepEqual(eventNames(log), ['error', 'close']);
  assert.ok(log[0][1] instanceof SyntaxError);
  assert.equal(
    log[0][1].message,
    'The URL\'s protocol must be one of "ws:", "wss:", "http:", "https:", or "ws+unix:"'
  );
  assert.equal(log[1][1], 1006);
});

test('3xx without Location is an unexpected response even when following', async (t) => {
  const { a } = await servers(t);
  const { log } = await run(a.url + '/none', { followRedirects: true });
  assert.deepEqual(eventNames(log), ['error', 'close']);
  assert.equal(log[0][1].message, 'Unexpected server response: 302');
});
