// Headless Chromium for the browser interop tests: the Debian package (installed by `npm test` through
// scripts/peers.mjs), driven by playwright-core, with a throw-away profile. A missing browser skips the tests with an
// install hint, except under CI=true, where it is an error.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { peer } from '../../helpers/peers.mjs';

const found = process.env.SOCKWIRE_CHROMIUM ? { path: process.env.SOCKWIRE_CHROMIUM, skip: false } : peer('chromium');

/** The browser binary; SOCKWIRE_CHROMIUM overrides the one found on PATH. */
export const CHROMIUM_PATH = found.path;

/** `skip` for node:test: false, or why the browser tests cannot run here. */
export const CHROMIUM_SKIP = found.skip;

/**
 * Flags: headless and sandbox-free for containers; the "background" and "component" switches stop Chromium from
 * reaching out to the internet (this machine refuses those connections, which would only slow it down); no QUIC.
 */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync'
];

/**
 * Launch Chromium with a fresh `--user-data-dir` (and `args` after the default flags). Resolves
 * `{ context, newPage(), close() }`; `close()` also deletes the profile. Throws a clear error when the binary is missing.
 */
export async function launchChromium({ viewport = { width: 960, height: 640 }, args = [] } = {}) {
  if (CHROMIUM_PATH === undefined || !existsSync(CHROMIUM_PATH)) {
    throw new Error(`Chromium not found at ${CHROMIUM_PATH}: run \`npm test\` as root, or set SOCKWIRE_CHROMIUM`);
  }
  const profile = mkdtempSync(join(tmpdir(), 'sockwire-chromium-'));
  let context;
  try {
    // launchPersistentContext is how playwright takes a user data dir (it refuses --user-data-dir in args).
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: [...CHROMIUM_FLAGS, ...args],
      viewport,
      timeout: 30000
    });
  } catch (error) {
    rmSync(profile, { recursive: true, force: true });
    throw error;
  }
  context.setDefaultTimeout(15000);
  return {
    context,
    async newPage() {
      const page = await context.newPage();
      // Surface page errors in the test output instead of losing them.
      page.on('pageerror', (error) => console.error(`[page error] ${error.message}`));
      return page;
    },
    async close() {
      try {
        await context.close();
      } finally {
        rmSync(profile, { recursive: true, force: true });
      }
    }
  };
}
