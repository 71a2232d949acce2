// Real redis-server processes for the pub/sub tests: each one on a free loopback port, in its own temp dir, with a
// config written here, stopped by PID. Never a Redis that was already running.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { peer } from '../../helpers/peers.mjs';

export const REDIS = peer('redis-server');
export const REDIS_CLI = peer('redis-cli');

/** A free loopback TCP port (and, with `plus`, port + plus free too: Redis Cluster's bus port). */
export async function freePort(plus = 0) {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await listenAndClose(plus === 0 ? 0 : 20000 + Math.floor(Math.random() * 20000));
    if (port === null) continue;
    if (plus === 0 || (await listenAndClose(port + plus)) !== null) return port;
  }
  throw new Error('no free port pair found');
}

function listenAndClose(port) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(null));
    server.listen(port, '127.0.0.1', () => {
      const { port: bound } = server.address();
      server.close(() => resolve(bound));
    });
  });
}

/** Resolve once something on `port` answers a RESP PING (PONG, or an auth error: it is up either way). */
async function waitForRedis(port, ms = 10000) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const answered = await new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.setTimeout(500);
      socket.once('data', (chunk) => {
        socket.destroy();
        resolve(/^(\+PONG|-NOAUTH|-LOADING)/.test(chunk.toString()) && !chunk.toString().startsWith('-LOADING'));
      });
      socket.once('connect', () => socket.write('PING\r\n'));
      socket.once('error', () => resolve(false));
      socket.once('timeout', () => {
        socket.destroy();
        resolve(false);
      });
    });
    if (answered) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`redis-server on port ${port} did not answer within ${ms} ms`);
}

/**
 * Start a redis-server. `config` adds lines (e.g. `['requirepass s3cret']`). Returns a handle that can kill
 * (SIGKILL), restart on the same port, run redis-cli commands and stop.
 */
export async function startRedis({ config = [], port } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'sockwire-redis-'));
  port ??= await freePort(config.some((line) => line.startsWith('cluster-enabled')) ? 10000 : 0);
  const configPath = join(dir, 'redis.conf');
  const lines = [`port ${port}`, 'bind 127.0.0.1', `dir ${dir}`, 'save ""', 'appendonly no', 'daemonize no', `logfile ${join(dir, 'redis.log')}`, ...config];
  writeFileSync(configPath, `${lines.join('\n')}\n`);
  const handle = {
    port,
    dir,
    url: `redis://127.0.0.1:${port}`,
    child: null,
    async start() {
      const child = spawn(REDIS.path, [configPath], { stdio: 'ignore' });
      handle.child = child;
      child.once('error', () => undefined);
      await waitForRedis(port);
      return handle;
    },
    /** SIGKILL the server and wait for it to be gone. */
    async kill() {
      const child = handle.child;
      handle.child = null;
      if (child === null || child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      process.kill(child.pid, 'SIGKILL');
      await exited;
    },
    /** Run one command with redis-cli; returns its stdout. */
    cli(...args) {
      const result = spawnSync(REDIS_CLI.path, ['-h', '127.0.0.1', '-p', String(port), ...args], { encoding: 'utf8', timeout: 30000 });
      if (result.status !== 0) throw new Error(`redis-cli ${args.join(' ')} failed: ${result.stderr}`);
      return result.stdout;
    },
    async stop() {
      await handle.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  };
  return handle.start();
}

/** The skip value for tests that need redis-server (and redis-cli for the cluster). */
export const REDIS_SKIP = REDIS.skip || REDIS_CLI.skip;
