// SOCKS through real servers: microsocks with RFC 1929 username/password (socks5: resolves the target name here,
// socks5h: sends the name; microsocks' log shows which), and dante-server as a second SOCKS5 implementation
// (plus SOCKS 4A with an IPv4 literal: dante speaks SOCKS 4 but refuses 4A names). Reply codes map to
// WS_ERR_PROXY_* codes; credentials never reach a message.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { peer } from '../helpers/peers.mjs';
import { startDante, startMicrosocks } from '../helpers/proxies.mjs';
import { checkDataPath, echoOnce, failOnce, startEchoServer, trustFixture } from '../helpers/proxy-targets.mjs';

const skipMicrosocks = peer('microsocks').skip;
const skipDante = peer('danted').skip;
const USER = 'carol';
const PASSWORD = 'p:w@rd';
let microsocks;
let dante;
let plain;
let secure;

before(async () => {
  [microsocks, dante, plain, secure] = await Promise.all([
    skipMicrosocks ? undefined : startMicrosocks({ auth: { user: USER, password: PASSWORD } }),
    skipDante ? undefined : startDante(),
    startEchoServer(),
    startEchoServer({ secure: true })
  ]);
});

after(async () => {
  await Promise.all([microsocks?.stop(), dante?.stop(), plain?.close(), secure?.close()]);
});

const withAuth = (scheme) => `${scheme}://${USER}:${encodeURIComponent(PASSWORD)}@127.0.0.1:${microsocks.port}`;

test('microsocks socks5h://: the proxy resolves the name (its log shows "localhost"), ws:// and wss://', { skip: skipMicrosocks }, async () => {
  const named = microsocks.count(`localhost:${plain.port}`);
  const { data } = await echoOnce(plain.url('localhost'), { proxy: withAuth('socks5h') });
  assert.equal(data.toString(), 'hello through the proxy');
  assert.equal(microsocks.count(`localhost:${plain.port}`), named + 1);
  const { data: overTls } = await echoOnce(secure.url('localhost'), { proxy: withAuth('socks5h'), ...trustFixture });
  assert.equal(overTls.toString(), 'hello through the proxy');
  assert.equal(secure.servernames.at(-1), 'localhost');
  assert.equal(microsocks.count(`localhost:${secure.port}`), 1);
});

test('microsocks socks5://: the client resolves the name, the proxy sees an address', { skip: skipMicrosocks }, async () => {
  const named = microsocks.count(`localhost:${plain.port}`);
  const { data } = await echoOnce(plain.url('localhost'), { proxy: withAuth('socks5'), family: 4 });
  assert.equal(data.toString(), 'hello through the proxy');
  assert.equal(microsocks.count(`localhost:${plain.port}`), named);
  assert.equal(microsocks.count(`127.0.0.1:${plain.port}`) >= 1, true);
  // wss:// still verifies the certificate against the URL's name, not the resolved address.
  const { data: overTls } = await echoOnce(secure.url('localhost'), { proxy: withAuth('socks5'), family: 4, ...trustFixture });
  assert.equal(overTls.toString(), 'hello through the proxy');
  assert.equal(secure.servernames.at(-1), 'localhost');
});

test('microsocks: no credentials, wrong password → WS_ERR_PROXY_AUTH_REQUIRED; target down → UNREACHABLE (reply 5)', { skip: skipMicrosocks }, async () => {
  const none = await failOnce(plain.url(), { proxy: `socks5://127.0.0.1:${microsocks.port}` });
  assert.deepEqual(none.names, ['error', 'close']);
  assert.equal(none.code, 1006);
  assert.equal(none.error.code, 'WS_ERR_PROXY_AUTH_REQUIRED');
  assert.equal(none.error.message, 'the SOCKS5 proxy requires authentication');
  const wrong = await failOnce(plain.url(), { proxy: `socks5h://${USER}:hunter2-nope@127.0.0.1:${microsocks.port}` });
  assert.equal(wrong.error.code, 'WS_ERR_PROXY_AUTH_REQUIRED');
  assert.equal(wrong.error.message, 'the SOCKS5 proxy rejected the user name and password');
  assert.ok(!`${wrong.error.message}${wrong.error.stack}`.includes('hunter2-nope'));
  const down = await failOnce('ws://127.0.0.1:1/', { proxy: withAuth('socks5h') });
  assert.equal(down.error.code, 'WS_ERR_PROXY_UNREACHABLE');
  assert.equal(down.error.socksReply, 5);
  assert.equal(down.error.message, 'SOCKS5 proxy: connection refused (reply 5)');
});

test('microsocks data path (ws:// and wss://), byte-exact', { skip: skipMicrosocks }, async () => {
  for (const [url, options] of [
    [plain.url(), { proxy: withAuth('socks5h') }],
    [secure.url('localhost'), { proxy: withAuth('socks5'), ...trustFixture }]
  ]) {
    const result = await checkDataPath(url, options);
    assert.deepEqual(result, { extensions: 'permessage-deflate', largeExact: true, textExact: true, streamExact: true, code: 1000 }, url);
  }
});

test('dante socks5h:// and socks5://, ws:// and wss://, each tunnel in its log', { skip: skipDante }, async () => {
  const before = dante.count();
  for (const scheme of ['socks5h', 'socks5']) {
    const proxy = `${scheme}://127.0.0.1:${dante.port}`;
    assert.equal((await echoOnce(plain.url('localhost'), { proxy })).data.toString(), 'hello through the proxy');
    assert.equal((await echoOnce(secure.url('localhost'), { proxy, ...trustFixture })).data.toString(), 'hello through the proxy');
  }
  assert.equal(dante.count(), before + 4);
});

test('dante SOCKS 4A: an IPv4 literal target opens; a name is refused (reply 91) as dante does not do 4A names', { skip: skipDante }, async () => {
  const proxy = `socks4a://127.0.0.1:${dante.port}`;
  const { data } = await echoOnce(plain.url('127.0.0.1'), { proxy });
  assert.equal(data.toString(), 'hello through the proxy');
  const named = await failOnce(plain.url('localhost'), { proxy });
  assert.equal(named.error.code, 'WS_ERR_PROXY_REFUSED');
  assert.equal(named.error.socksReply, 91);
});

test('dante: target down → WS_ERR_PROXY_UNREACHABLE (reply 5); data path byte-exact', { skip: skipDante }, async () => {
  const down = await failOnce('ws://127.0.0.1:1/', { proxy: `socks5h://127.0.0.1:${dante.port}` });
  assert.equal(down.error.code, 'WS_ERR_PROXY_UNREACHABLE');
  assert.equal(down.error.socksReply, 5);
  for (const [url, options] of [
    [plain.url(), { proxy: `socks5h://127.0.0.1:${dante.port}` }],
    [secure.url('localhost'), { proxy: `socks5h://127.0.0.1:${dante.port}`, ...trustFixture }]
  ]) {
    const result = await checkDataPath(url, options);
    assert.deepEqual(result, { extensions: 'permessage-deflate', largeExact: true, textExact: true, streamExact: true, code: 1000 }, url);
  }
});
