// Spawning `node bin/sockwire.js …` for the CLI tests, always bounded in time, always cleaned up.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
/** The built package (tests use dist, never src). */
export const sockwire = require('../../dist/cjs/index.js');

/** Absolute path of the launcher. */
export const BIN = fileURLToPath(new URL('../../bin/sockwire.js', import.meta.url));

/**
 * NO_COLOR unset so the "no colour without a TTY" rule is what is tested; the proxy variables unset because
 * `connect` follows them (tests that want a proxy pass `env`).
 */
const PROXY_VARIABLES = ['ws_proxy', 'wss_proxy', 'http_proxy', 'https_proxy', 'all_proxy', 'no_proxy'];
const ENV = { ...process.env, NO_COLOR: '', SOCKWIRE_DEBUG: '' };
for (const name of [...PROXY_VARIABLES, ...PROXY_VARIABLES.map((variable) => variable.toUpperCase())]) delete ENV[name];

/**
 * Run the CLI to completion. `stdin` (string) is written then closed; without it stdin is closed at once. `env`
 * adds or overrides environment variables.
 * Resolves `{ code, signal, stdout, stderr }`; kills the child and rejects after `timeoutMs`.
 */
export function runCli(args, { stdin, timeoutMs = 15000, env = {} } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...ENV, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text) => (stdout += text));
    child.stderr.setEncoding('utf8').on('data', (text) => (stderr += text));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`sockwire ${args.join(' ')} did not exit within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    child.stdin.on('error', () => {}); // the child may exit before reading everything
    if (stdin !== undefined) child.stdin.end(stdin);
    else child.stdin.end();
  });
}

/**
 * Start a long-running CLI command (serve). `waitFor(regex)` resolves with the first stdout match;
 * `stop(signal)` sends the signal and resolves `{ code, signal, stdout, stderr }` once it exits.
 */
export function startCli(args, { timeoutMs = 15000 } = {}) {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: ENV });
  let stdout = '';
  let stderr = '';
  const exited = new Promise((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  child.stdout.setEncoding('utf8').on('data', (text) => (stdout += text));
  child.stderr.setEncoding('utf8').on('data', (text) => (stderr += text));
  // Never outlive the test: a hard kill after the time budget.
  const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  exited.then(() => clearTimeout(killer));
  return {
    child,
    exited,
    waitFor(pattern, waitMs = 10000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = pattern.exec(stdout);
          if (match) {
            cleanup();
            resolve(match);
          }
        };
        const fail = (why) => {
          cleanup();
          reject(new Error(`${why}; stdout: ${stdout}; stderr: ${stderr}`));
        };
        const onExit = () => fail('process exited before printing ' + pattern);
        const timer = setTimeout(() => fail(`no ${pattern} within ${waitMs} ms`), waitMs);
        const cleanup = () => {
          clearTimeout(timer);
          child.stdout.removeListener('data', check);
          child.removeListener('close', onExit);
        };
        child.stdout.on('data', check);
        child.once('close', onExit);
        check();
      });
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    }
  };
}

/** A WebSocketServer on 127.0.0.1:0 (the built sockwire one); resolves once listening. */
export function startServer(options = {}) {
  return new Promise((resolve, reject) => {
    const wss = new sockwire.WebSocketServer({ port: 0, host: '127.0.0.1', ...options }, () => resolve(wss));
    wss.once('error', reject);
  });
}

/** Close a server and every client it has, resolving when the listener is gone. */
export function closeServer(wss) {
  for (const ws of wss.clients) ws.terminate();
  return new Promise((resolve) => wss.close(() => resolve()));
}

/** A port nothing listens on: bind 0, note the port, close. */
export async function freePort() {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The URL of a listening WebSocketServer. */
export function urlOf(wss, path = '/') {
  return `ws://127.0.0.1:${wss.address().port}${path}`;
}
