// Services the README examples may use, each found through an environment variable the example reads (for
// example `process.env.REDIS_URL`). The README test starts a service only when some example mentions its
// variable: on a free loopback port, in a temp dir, from the peer table (scripts/peers-table.mjs), stopped by PID.
// To add one: a row `VARIABLE: { peer, start }` where `start(path)` resolves `{ value, stop }`.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { peer } from '../helpers/peers.mjs';

const START_MS = 10000;

/** A loopback port that was free a moment ago. */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Resolves once `port` answers a Redis PING with PONG; rejects after `ms`. */
async function redisAnswers(port, ms) {
  const deadline = Date.now() + ms;
  for (;;) {
    const answered = await new Promise((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.setTimeout(1000, () => socket.destroy());
      socket.once('connect', () => socket.write('PING\r\n'));
      socket.once('data', (data) => {
        socket.destroy();
        resolve(data.toString().startsWith('+PONG'));
      });
      socket.once('error', () => resolve(false));
      socket.once('close', () => resolve(false));
    });
    if (answered) return;
    if (Date.now() > deadline) throw new Error(`redis-server did not answer on port ${port} within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** redis-server with no persistence, on a free port in its own temp dir. */
async function startRedis(program) {
  const dir = mkdtempSync(join(tmpdir(), 'sockwire-readme-redis-'));
  const port = await freePort();
  const config = join(dir, 'redis.conf');
  writeFileSync(config, [`port ${port}`, 'bind 127.0.0.1', `dir ${dir}`, 'save ""', 'appendonly no', ''].join('\n'));
  const child = spawn(program, [config], { stdio: ['ignore', 'ignore', 'inherit'] });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGTERM');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000).unref())]);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await redisAnswers(port, START_MS);
  } catch (error) {
    await stop();
    throw error;
  }
  return { value: `redis://127.0.0.1:${port}`, stop };
}

/** Environment variable → the peer that provides it and how to start it. */
export const SERVICES = {
  REDIS_URL: { peer: 'redis-server', start: startRedis }
};

/**
 * Starts every service whose variable appears in `code` (all the examples' text). Resolves `{ env, missing, stop }`:
 * `env` holds the variables of the services started, `missing` maps a variable to the install hint of its
 * missing peer (outside CI; under CI=true a missing peer throws).
 */
export async function startServices(code) {
  const env = {};
  const missing = {};
  const stops = [];
  try {
    for (const [variable, service] of Object.entries(SERVICES)) {
      if (!code.includes(`process.env.${variable}`)) continue;
      const found = peer(service.peer);
      if (found.skip) {
        missing[variable] = found.skip;
        continue;
      }
      const started = await service.start(found.path);
      env[variable] = started.value;
      stops.push(started.stop);
    }
  } catch (error) {
    await Promise.all(stops.map((stop) => stop()));
    throw error;
  }
  return { env, missing, stop: () => Promise.all(stops.map((stop) => stop())) };
}
