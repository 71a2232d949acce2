// The environment rules of README "Proxies", each case proven by which real proxy carried the connection: three
// tinyproxies (A, B, C) and a microsocks (M) count the tunnels they open; "direct" means none of them saw it while
// the target did. process.env is set per case and restored after it.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { peer } from '../helpers/peers.mjs';
import { startMicrosocks, startTinyproxy } from '../helpers/proxies.mjs';
import { echoOnce, startEchoServer, trustFixture, WebSocket } from '../helpers/proxy-targets.mjs';

const skip = peer('tinyproxy').skip || peer('microsocks').skip;
const NAMES = ['ws_proxy', 'wss_proxy', 'http_proxy', 'https_proxy', 'all_proxy', 'no_proxy', 'NODE_USE_ENV_PROXY'];
const VARIABLES = [...NAMES, ...NAMES.map((name) => name.toUpperCase())];
const proxies = {};
let plain;
let secure;
let v6;

before(async () => {
  if (skip) return;
  [proxies.A, proxies.B, proxies.C, proxies.M, plain, secure, v6] = await Promise.all([
    startTinyproxy(),
    startTinyproxy(),
    startTinyproxy(),
    startMicrosocks(),
    startEchoServer(),
    startEchoServer({ secure: true }),
    startEchoServer({ listen: '::1' })
  ]);
});

after(async () => {
  await Promise.all([...Object.values(proxies).map((proxy) => proxy.stop()), plain?.close(), secure?.close(), v6?.close()]);
});

/** `http://127.0.0.1:port` of A/B/C, `socks5h://...` of M. */
const address = (name) => (name === 'M' ? `socks5h://127.0.0.1:${proxies.M.port}` : proxies[name].url);

/** Run `fn` with exactly `env` as the proxy-related environment, then restore what was there. */
async function withEnv(env, fn) {
  const saved = Object.fromEntries(VARIABLES.map((name) => [name, process.env[name]]));
  for (const name of VARIABLES) delete process.env[name];
  Object.assign(process.env, env);
  try {
    return await fn();
  } finally {
    for (const name of VARIABLES) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
  }
}

/** Tunnels each proxy opened to `authority` so far. */
function counts(authority) {
  return Object.fromEntries(Object.entries(proxies).map(([name, proxy]) => [name, proxy.count(authority)]));
}

/**
 * Which way a connection to `target` went under `env`: 'A' | 'B' | 'C' | 'M' (the one proxy whose count grew) or
 * 'direct' (none grew, and the target server saw the upgrade).
 */
async function route(env, server, host, options = { proxy: 'env' }) {
  const authority = `${host}:${server.port}`;
  const before = counts(authority);
  const seen = server.requests.length;
  const { data } = await withEnv(env, () => echoOnce(server.url(host), { ...options, ...(server === secure ? trustFixture : {}) }));
  assert.equal(data.toString(), 'hello through the proxy');
  assert.equal(server.requests.length, seen + 1);
  const grown = Object.keys(before).filter((name) => counts(authority)[name] > before[name]);
  assert.ok(grown.length <= 1, `more than one proxy carried it: ${grown}`);
  return grown[0] ?? 'direct';
}

test('ws://: ws_proxy, then http_proxy, then all_proxy; each in lower and upper case', { skip }, async () => {
  const ws = (env) => route(env, plain, '127.0.0.1');
  assert.equal(await ws({ ws_proxy: address('A') }), 'A');
  assert.equal(await ws({ WS_PROXY: address('A') }), 'A');
  assert.equal(await ws({ http_proxy: address('B') }), 'B');
  assert.equal(await ws({ HTTP_PROXY: address('B') }), 'B');
  assert.equal(await ws({ all_proxy: address('M') }), 'M');
  assert.equal(await ws({ ALL_PROXY: address('M') }), 'M');
  assert.equal(await ws({ ws_proxy: address('A'), http_proxy: address('B'), all_proxy: address('M') }), 'A');
  assert.equal(await ws({ http_proxy: address('B'), all_proxy: address('M') }), 'B');
  // A value without a scheme is an http:// proxy, as curl reads it.
  assert.equal(await ws({ http_proxy: `127.0.0.1:${proxies.C.port}` }), 'C');
  // https_proxy and wss_proxy are not for ws://.
  assert.equal(await ws({ https_proxy: address('A'), wss_proxy: address('B') }), 'direct');
  assert.equal(await ws({}), 'direct');
});

test('wss://: wss_proxy, then https_proxy, then all_proxy; each in lower and upper case', { skip }, async () => {
  const wss = (env) => route(env, secure, 'localhost');
  assert.equal(await wss({ wss_proxy: address('A') }), 'A');
  assert.equal(await wss({ WSS_PROXY: address('A') }), 'A');
  assert.equal(await wss({ https_proxy: address('B') }), 'B');
  assert.equal(await wss({ HTTPS_PROXY: address('B') }), 'B');
  assert.equal(await wss({ all_proxy: address('M') }), 'M');
  assert.equal(await wss({ ALL_PROXY: address('M') }), 'M');
  assert.equal(await wss({ wss_proxy: address('A'), https_proxy: address('B'), all_proxy: address('M') }), 'A');
  assert.equal(await wss({ https_proxy: address('B'), all_proxy: address('M') }), 'B');
  // http_proxy is never used for wss:// (proxy-agent's wss_proxy-only mistake in reverse).
  assert.equal(await wss({ http_proxy: address('A'), ws_proxy: address('B') }), 'direct');
});

test('lower case wins over upper case; an empty lower-case variable switches that name off', { skip }, async () => {
  const ws = (env) => route(env, plain, '127.0.0.1');
  assert.equal(await ws({ http_proxy: address('A'), HTTP_PROXY: address('B') }), 'A');
  assert.equal(await ws({ WS_PROXY: address('C'), ws_proxy: address('A') }), 'A');
  assert.equal(await ws({ http_proxy: '', HTTP_PROXY: address('B') }), 'direct');
  assert.equal(await ws({ ws_proxy: '', http_proxy: address('B') }), 'B');
  assert.equal(await route({ https_proxy: address('A'), HTTPS_PROXY: address('B') }, secure, 'localhost'), 'A');
});

test('no_proxy forms: *, host, .domain, *.domain, host:port, IPv4, CIDR, IPv6, [IPv6]:port, lists; lower case wins', { skip }, async () => {
  const viaB = (noProxy, server = plain, host = '127.0.0.1', upper = false) =>
    route({ http_proxy: address('B'), https_proxy: address('B'), [upper ? 'NO_PROXY' : 'no_proxy']: noProxy }, server, host);
  assert.equal(await viaB('*'), 'direct');
  assert.equal(await viaB('127.0.0.1'), 'direct');
  assert.equal(await viaB('127.0.0.1', plain, '127.0.0.1', true), 'direct');
  assert.equal(await viaB(`127.0.0.1:${plain.port}`), 'direct');
  assert.equal(await viaB(`127.0.0.1:${plain.port + 1}`), 'B');
  assert.equal(await viaB('127.0.0.0/8'), 'direct');
  assert.equal(await viaB('10.0.0.0/8'), 'B');
  assert.equal(await viaB('127.0.0.2'), 'B');
  assert.equal(await viaB('localhost', plain, 'localhost'), 'direct');
  assert.equal(await viaB('LOCALHOST.', plain, 'localhost'), 'direct');
  assert.equal(await viaB('.localhost', secure, 'localhost'), 'direct');
  assert.equal(await viaB(`localhost:${secure.port}`, secure, 'localhost'), 'direct');
  // Matching is on the URL's host text: no resolution, so localhost is not 127.0.0.1 and vice versa.
  assert.equal(await viaB('localhost', plain, '127.0.0.1'), 'B');
  assert.equal(await viaB('127.0.0.1', secure, 'localhost'), 'B');
  assert.equal(await viaB('example.com other.example,127.0.0.1'), 'direct');
  assert.equal(await viaB('::1', v6, '[::1]'), 'direct');
  assert.equal(await viaB(`[::1]:${v6.port}`, v6, '[::1]'), 'direct');
  assert.equal(await viaB('::/0', v6, '[::1]'), 'direct');
  assert.equal(await viaB(`[::1]:${v6.port + 1}`, v6, '[::1]'), 'B');
  assert.equal(await route({ http_proxy: address('B'), no_proxy: 'other.example', NO_PROXY: '*' }, plain, '127.0.0.1'), 'B');
});

test('no_proxy subdomain forms against names resolved by the client (direct connections use `lookup`)', { skip }, async () => {
  const lookup = (hostname, options, callback) => (options.all ? callback(null, [{ address: '127.0.0.1', family: 4 }]) : callback(null, '127.0.0.1', 4));
  for (const entry of ['internal.test', '.internal.test', '*.internal.test']) {
    const before = counts(`api.internal.test:${plain.port}`);
    const { data } = await withEnv({ http_proxy: address('B'), no_proxy: entry }, () => echoOnce(`ws://api.internal.test:${plain.port}/`, { proxy: 'env', lookup }));
    assert.equal(data.toString(), 'hello through the proxy');
    assert.deepEqual(counts(`api.internal.test:${plain.port}`), before, entry);
  }
});

test('no automatic loopback bypass: with http_proxy set, 127.0.0.1 and [::1] go through the proxy', { skip }, async () => {
  assert.equal(await route({ http_proxy: address('C') }, plain, '127.0.0.1'), 'C');
  assert.equal(await route({ http_proxy: address('C') }, v6, '[::1]'), 'C');
});

test("proxy: true is 'env'; the default is false unless NODE_USE_ENV_PROXY=1; explicit false, agent or createConnection win", { skip }, async () => {
  const env = { http_proxy: address('A') };
  assert.equal(await route(env, plain, '127.0.0.1', { proxy: true }), 'A');
  assert.equal(await route(env, plain, '127.0.0.1', {}), 'direct');
  assert.equal(await route({ ...env, NODE_USE_ENV_PROXY: '1' }, plain, '127.0.0.1', {}), 'A');
  assert.equal(await route({ ...env, NODE_USE_ENV_PROXY: '0' }, plain, '127.0.0.1', {}), 'direct');
  assert.equal(await route({ ...env, NODE_USE_ENV_PROXY: '1' }, plain, '127.0.0.1', { proxy: false }), 'direct');
  // Under NODE_USE_ENV_PROXY an explicit agent keeps working (no TypeError): the proxy is only a default.
  const { Agent } = await import('node:http');
  assert.equal(await route({ ...env, NODE_USE_ENV_PROXY: '1' }, plain, '127.0.0.1', { agent: new Agent() }), 'direct');
  const createConnection = (options) => connect(options.port, options.host);
  assert.equal(await route({ ...env, NODE_USE_ENV_PROXY: '1' }, plain, '127.0.0.1', { createConnection }), 'direct');
});

test('an unusable proxy variable is a TypeError naming the variable, never its value', { skip }, async () => {
  await withEnv({ https_proxy: 'ftp://user:hunter2@proxy.example' }, () => {
    assert.throws(() => new WebSocket(secure.url('localhost'), { proxy: 'env' }), {
      name: 'TypeError',
      message: 'Invalid proxy URL in the https_proxy environment variable: its scheme "ftp:" is not one of http:, https:, socks5:, socks5h:, socks4a:'
    });
  });
});

/**
 * Runs the child fixture (default options) with `args` and `env` (asynchronously: the echo server lives in this
 * process); resolves with how many tunnels proxy A opened for it.
 */
async function runChild(args, env) {
  const script = fileURLToPath(new URL('../fixtures/proxy-env-child.mjs', import.meta.url));
  const before = proxies.A.count(`127.0.0.1:${plain.port}`);
  const child = spawn(process.execPath, [...args, script, plain.url()], { env: { ...process.env, http_proxy: address('A'), ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), 20000);
  await new Promise((resolve) => child.once('close', resolve));
  clearTimeout(timer);
  assert.equal(stdout.trim(), 'hello through the proxy', stderr);
  return proxies.A.count(`127.0.0.1:${plain.port}`) - before;
}

test('a fresh Node process with NODE_USE_ENV_PROXY=1 goes through http_proxy without any option', { skip }, async () => {
  assert.equal(await runChild([], { NODE_USE_ENV_PROXY: '1' }), 1);
  assert.equal(await runChild([], { NODE_USE_ENV_PROXY: '' }), 0);
});

const nodeHasFlag = process.allowedNodeEnvironmentFlags.has('--use-env-proxy');
test('--use-env-proxy (in a child Node) makes the environment the default', { skip: skip || (!nodeHasFlag && `this Node (${process.version}) has no --use-env-proxy flag`) }, async () => {
  assert.equal(await runChild(['--use-env-proxy'], { NODE_USE_ENV_PROXY: '' }), 1);
});
