// Where each benchmarked peer's module comes from, in one place, so that servers, clients and the
// parse micro-benchmark load exactly the same code.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);

/** bench/ directory. */
export const benchDir = join(dirname(fileURLToPath(import.meta.url)), '..');
/** Repository root. */
export const rootDir = join(benchDir, '..');
/** Prefix holding ws + bufferutil + utf-8-validate, installed by run.mjs outside the root package.json. */
export const depsDir = join(benchDir, 'out', 'deps');

/** The channels of README "Observability"; each subscriber reads one field, as a real one would. */
export const CHANNELS = ['sockwire:server:upgrade', 'sockwire:websocket:open', 'sockwire:websocket:close',
  'sockwire:websocket:error', 'sockwire:websocket:ping', 'sockwire:websocket:pong', 'sockwire:pubsub:gap',
  'sockwire:pubsub:state', 'undici:websocket:open', 'undici:websocket:close', 'undici:websocket:socket_error',
  'undici:websocket:ping', 'undici:websocket:pong'];
/** Messages seen by the bench subscribers (kept so the work is not optimised away). */
export const observed = { count: 0 };

function subscribeToEveryChannel() {
  const diagnostics = require('node:diagnostics_channel');
  for (const name of CHANNELS) {
    diagnostics.subscribe(name, (message) => {
      if (message !== undefined) observed.count++;
    });
  }
}

/**
 * Loads one peer's module: `ws` (no native addons), `ws-addons` (ws with bufferutil and
 * utf-8-validate), or `sockwire` (the built package; SOCKWIRE_DIST may point at a snapshot of dist/cjs).
 * @param {string} impl
 * @returns {{ WebSocket: Function, WebSocketServer: Function, Receiver: Function, Sender: Function }}
 */
export function loadImpl(impl) {
  if (impl === 'ws') {
    // ws reads these at require time; they keep a stray addon from sneaking into the plain run.
    process.env.WS_NO_BUFFER_UTIL = '1';
    process.env.WS_NO_UTF_8_VALIDATE = '1';
    return require(join(rootDir, 'node_modules', 'ws'));
  }
  if (impl === 'ws-addons') {
    delete process.env.WS_NO_BUFFER_UTIL;
    delete process.env.WS_NO_UTF_8_VALIDATE;
    const wsDir = join(depsDir, 'node_modules', 'ws');
    // Fail loudly rather than silently benchmark the JS fallback.
    const bu = require(require.resolve('bufferutil', { paths: [wsDir] }));
    if (typeof bu.mask !== 'function' || /fallback/.test(require.resolve('bufferutil', { paths: [wsDir] }))) {
      throw new Error('bufferutil did not load its native build');
    }
    return require(wsDir);
  }
  if (impl === 'sockwire') {
    const dist = process.env.SOCKWIRE_DIST || join(rootDir, 'dist', 'cjs');
    // bench/observability.mjs: measure sockwire with a subscriber on every diagnostics channel it publishes on.
    if (process.env.BENCH_DIAGNOSTICS === '1') subscribeToEveryChannel();
    return require(join(dist, 'index.js'));
  }
  throw new Error(`unknown impl ${impl}`);
}
