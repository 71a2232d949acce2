// The demo chat in a real browser: `sockwire serve`'s server (started in process) serves demo/, two Chromium pages
// join, chat, see each other's messages and the online list, and reconnect by themselves after the server restarts.
// It takes a screenshot; with SOCKWIRE_UPDATE_SCREENSHOT=1 it saves it as the README's docs/demo.png (otherwise a
// test run would rewrite a tracked file).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { CHROMIUM_SKIP, launchChromium } from './helpers/chromium-browser.mjs';
import { join, say, waitForPage } from './helpers/chat-page.mjs';

const require = createRequire(import.meta.url);
const { startServer } = require('../../dist/cjs/cli/serve.js');
const SCREENSHOT = fileURLToPath(new URL('../../docs/demo.png', import.meta.url));
const UPDATE_SCREENSHOT = process.env.SOCKWIRE_UPDATE_SCREENSHOT === '1';

describe('demo chat in Chromium', { skip: CHROMIUM_SKIP }, () => {
  let browser;
  let server;
  let port;

  before(async () => {
    server = await startServer({ port: 0, host: '127.0.0.1', echo: false, compress: false });
    port = Number(new URL(server.url).port);
    browser = await launchChromium({ viewport: { width: 900, height: 540 } });
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('two pages chat, see each other and the online list, and survive a server restart', async () => {
    const alice = await browser.newPage();
    const bob = await browser.newPage();
    await join(alice, server.url, 'alice');
    await join(bob, server.url, 'bob');

    await waitForPage(alice, (s) => s.online.join() === 'alice,bob', 'both online (alice)');
    await waitForPage(bob, (s) => s.online.join() === 'alice,bob', 'both online (bob)');

    await say(alice, 'Hi Bob! This page talks to a sockwire server.');
    await waitForPage(bob, (s) => s.messages.includes('alice: Hi Bob! This page talks to a sockwire server.'), "alice's message on bob's page");
    await say(bob, 'Hello Alice, <b>no HTML</b> here');
    await say(alice, 'Reconnects by itself, too.');
    const aliceView = await waitForPage(alice, (s) => s.messages.length === 4, "four lines on alice's page");
    assert.deepEqual(aliceView, {
      status: 'online',
      online: ['alice', 'bob'],
      messages: ['* bob joined', 'alice: Hi Bob! This page talks to a sockwire server.', 'bob: Hello Alice, <b>no HTML</b> here', 'alice: Reconnects by itself, too.']
    });
    const bobView = await waitForPage(bob, (s) => s.messages.length === 3, "three lines on bob's page");
    assert.deepEqual(bobView.messages, aliceView.messages.slice(1)); // bob joined second: no "bob joined" line
    assert.equal(await alice.locator('#messages b').count(), 0); // text stays text
    const shot = await alice.screenshot(UPDATE_SCREENSHOT ? { path: SCREENSHOT } : {});
    assert.deepEqual([...shot.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]); // a PNG

    // Restart the server on the same port: both pages notice, back off, reconnect and rejoin on their own.
    await server.stop();
    await waitForPage(alice, (s) => s.status.startsWith('offline'), 'the offline status');
    server = await startServer({ port, host: '127.0.0.1', echo: false, compress: false });
    // Whoever reconnects first is listed first, so compare as sets.
    const bothBack = (s) => s.status === 'online' && [...s.online].sort().join() === 'alice,bob';
    await waitForPage(alice, bothBack, 'alice rejoined with bob', 15000);
    await waitForPage(bob, bothBack, 'bob rejoined with alice', 15000);
    await say(bob, 'back again');
    const afterRestart = await waitForPage(alice, (s) => s.messages.includes('bob: back again'), 'a message after the restart');
    assert.ok(afterRestart.messages.includes('* connection lost'));
  });
});
