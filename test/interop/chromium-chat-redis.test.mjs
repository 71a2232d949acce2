// The demo chat scaled out: two `sockwire serve --redis` processes share one real redis-server; two Chromium pages,
// one on each process, chat and see each other in the online list; when one process is SIGKILLed, the other
// page's online list drops its user (presence expires) while the chat on the surviving process goes on.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { CHROMIUM_SKIP, launchChromium } from './helpers/chromium-browser.mjs';
import { join, say, waitForPage } from './helpers/chat-page.mjs';
import { REDIS_SKIP, startRedis } from '../pubsub/helpers/redis-server.mjs';

const BIN = fileURLToPath(new URL('../../bin/sockwire.js', import.meta.url));

/** Start `sockwire serve --port 0 --redis <url>`; resolves with the process and the page URL it prints. */
function serve(redisUrl) {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--redis', redisUrl], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`sockwire serve printed no URL: ${out}`)), 10000);
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const url = /chat demo at (http:\/\/\S+\/)/.exec(out)?.[1];
      if (url !== undefined) {
        clearTimeout(timer);
        resolve({ child, url, exited });
      }
    });
    exited.then(() => reject(new Error(`sockwire serve exited: ${out}`)));
  });
}

describe('demo chat over Redis in Chromium', { skip: CHROMIUM_SKIP || REDIS_SKIP }, () => {
  let browser;
  let redis;
  const servers = [];

  before(async () => {
    redis = await startRedis();
    servers.push(await serve(redis.url), await serve(redis.url));
    browser = await launchChromium({ viewport: { width: 900, height: 540 } });
  });

  after(async () => {
    await browser?.close();
    for (const server of servers) {
      if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGTERM');
      await server.exited;
    }
    await redis?.stop();
  });

  test('two processes, one room: messages cross, the online list is everyone, a dead process drops out', async () => {
    const [one, two] = servers;
    const alice = await browser.newPage();
    const bob = await browser.newPage();
    await join(alice, one.url, 'alice');
    await join(bob, two.url, 'bob');
    await waitForPage(alice, (s) => s.online.join() === 'alice,bob', 'both online on alice (process 1)');
    await waitForPage(bob, (s) => s.online.join() === 'alice,bob', 'both online on bob (process 2)');

    await say(alice, 'Hi Bob, from process one');
    await waitForPage(bob, (s) => s.messages.includes('alice: Hi Bob, from process one'), "alice's line on bob's page");
    await say(bob, 'Hello Alice, from process two');
    const aliceView = await waitForPage(alice, (s) => s.messages.includes('bob: Hello Alice, from process two'), "bob's line on alice's page");
    assert.deepEqual(aliceView.messages, ['* bob joined', 'alice: Hi Bob, from process one', 'bob: Hello Alice, from process two']);

    // Process two dies without a word: its user leaves alice's list once its presence expires.
    two.child.kill('SIGKILL');
    assert.equal((await two.exited).signal, 'SIGKILL');
    await waitForPage(bob, (s) => s.status.startsWith('offline'), "bob's page noticed");
    await waitForPage(alice, (s) => s.online.join() === 'alice', 'bob gone from the online list', 15000);

    // A newcomer on process one still chats with alice.
    const carol = await browser.newPage();
    await join(carol, one.url, 'carol');
    await waitForPage(alice, (s) => s.online.join() === 'alice,carol', 'carol online');
    await say(carol, 'still here');
    await waitForPage(alice, (s) => s.messages.includes('carol: still here'), "carol's line");
  });
});
