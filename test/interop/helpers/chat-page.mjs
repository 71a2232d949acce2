// The demo chat page as a Chromium test drives it: read what it shows, wait (bounded) for a state, join, say.
import assert from 'node:assert/strict';

/** What a page shows: status, online list, and each message line as "from: text" or "* system text". */
export function readPage(page) {
  return page.evaluate(() => ({
    status: document.getElementById('status').textContent,
    online: Array.from(document.querySelectorAll('#online li'), (li) => li.textContent),
    messages: Array.from(document.querySelectorAll('#messages li'), (li) =>
      li.classList.contains('system') ? `* ${li.textContent}` : `${li.querySelector('.from').textContent}: ${li.querySelector('.text').textContent}`
    )
  }));
}

/** Wait (bounded) until `readPage(page)` satisfies `check`; fails with what the page last showed. */
export async function waitForPage(page, check, what, timeoutMs = 10000) {
  const deadline = Date.now() + timeoutMs;
  let seen;
  for (let i = 0; i < 1000 && Date.now() < deadline; i++) {
    seen = await readPage(page);
    if (check(seen)) return seen;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.fail(`page never showed ${what}; last seen: ${JSON.stringify(seen)}`);
}

export async function join(page, url, nick) {
  await page.goto(url);
  await page.waitForSelector('#status.online');
  await page.fill('#nick', nick);
  await page.click('#join');
  await page.waitForSelector('#room:not([hidden])');
}

export async function say(page, text) {
  await page.fill('#text', text);
  await page.click('#send');
}
