// Real proxies for the proxy tests (scripts/peers-table.mjs installs them): each start* function writes a config
// into a fresh temp dir, runs the daemon in the foreground on a free loopback port, waits until it accepts
// connections, and returns { port, url, count(), stop() }. count() reads the proxy's own log: how many tunnels it
// opened, so a test proves which proxy carried a connection. stop() ends the process by its PID.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { peer } from './peers.mjs';
import { cert, key } from './tls-fixture.mjs';

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/** A port that was free a moment ago on 127.0.0.1 (daemons cannot take port 0 and report it back). */
export async function freePort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Polls `check` every 25 ms until it returns a truthy value; rejects after `ms`. */
export async function waitFor(check, ms, label) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${label}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function accepts(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** A temp dir the daemon can use even after dropping root to its own user (squid, dante). */
function workDir(name) {
  const dir = mkdtempSync(join(tmpdir(), `sockwire-${name}-`));
  chmodSync(dir, 0o777);
  return dir;
}

function readText(path) {
  return existsSync(path) ? readFileSync(path, 'latin1') : '';
}

/**
 * Picks a free port, lets `prepare(port)` write the config and return the arguments, runs `program` in `dir` and
 * waits for the port to accept. A daemon that exits while starting (another process took the port in between)
 * is retried on a new port, twice at most. Output goes to `output()`.
 */
async function startDaemon(name, program, dir, prepare, readyMs = 15000) {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const child = spawn(program, prepare(port), { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    let exited = false;
    const exit = new Promise((resolve) =>
      child.once('exit', () => {
        exited = true;
        resolve();
      })
    );
    try {
      await waitFor(async () => {
        if (exited) throw new Error(`${name} exited during start: ${output.slice(0, 500)}`);
        return accepts(port);
      }, readyMs, `${name} on port ${port}`);
    } catch (error) {
      child.kill('SIGKILL');
      await exit;
      if (exited && attempt < 3 && /exited during start/.test(error.message)) continue;
      rmSync(dir, { recursive: true, force: true });
      throw error;
    }
    return {
      pid: child.pid,
      port,
      output: () => output,
      async stop() {
        if (!exited) {
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
          await exit;
          clearTimeout(timer);
        }
        rmSync(dir, { recursive: true, force: true });
      }
    };
  }
}

/** Write a config file, one entry a line. */
function writeLines(path, lines) {
  writeFileSync(path, lines.join('\n') + '\n');
}

/** Count the lines of `text` that contain `needle`. */
function countLines(text, needle) {
  return text.split('\n').filter((line) => line.includes(needle)).length;
}

/** tinyproxy 1.11 as an HTTP CONNECT proxy; `auth: { user, password }` turns on BasicAuth. count(): CONNECTs seen. */
export async function startTinyproxy({ auth } = {}) {
  const { path } = peer('tinyproxy');
  const dir = workDir('tinyproxy');
  const log = join(dir, 'tinyproxy.log');
  const config = join(dir, 'tinyproxy.conf');
  const daemon = await startDaemon('tinyproxy', path, dir, (port) => {
    writeLines(config, [
      `Port ${port}`,
      'Listen 127.0.0.1',
      'Timeout 60',
      `LogFile "${log}"`,
      'LogLevel Connect',
      `PidFile "${join(dir, 'tinyproxy.pid')}"`,
      'MaxClients 100',
      'Allow 127.0.0.1',
      auth ? `BasicAuth ${auth.user} ${auth.password}` : ''
    ]);
    return ['-d', '-c', config];
  });
  const credentials = auth ? `${encodeURIComponent(auth.user)}:${encodeURIComponent(auth.password)}@` : '';
  return {
    ...daemon,
    url: `http://${credentials}127.0.0.1:${daemon.port}`,
    /** CONNECT requests seen (optionally only those to `authority`). */
    count: (authority = '') => countLines(readText(log), `: CONNECT ${authority}`),
    log: () => readText(log)
  };
}

/** squid 5 with Basic auth through basic_ncsa_auth over an htpasswd file of `users` ({ name: password }). */
export async function startSquid({ users }) {
  const { path } = peer('squid');
  const htpasswd = peer('htpasswd').path;
  const dir = workDir('squid');
  const passwd = join(dir, 'passwd');
  for (const [index, [user, password]] of Object.entries(users).entries()) {
    const made = spawnSync(htpasswd, [index === 0 ? '-bc' : '-b', passwd, user, password], { encoding: 'utf8' });
    if (made.status !== 0) throw new Error(`htpasswd failed: ${made.stderr}`);
  }
  chmodSync(passwd, 0o644);
  const helper = ['/usr/lib/squid/basic_ncsa_auth', '/usr/lib64/squid/basic_ncsa_auth'].find((file) => existsSync(file));
  const access = join(dir, 'access.log');
  const config = join(dir, 'squid.conf');
  const daemon = await startDaemon(
    'squid',
    path,
    dir,
    (port) => {
      writeLines(config, [
        `http_port 127.0.0.1:${port}`,
        `pid_filename ${join(dir, 'squid.pid')}`,
        `cache_log ${join(dir, 'cache.log')}`,
        `access_log stdio:${access}`,
        'cache deny all',
        'cache_mem 8 MB',
        `coredump_dir ${dir}`,
        'shutdown_lifetime 0 seconds',
        'pinger_enable off',
        `auth_param basic program ${helper} ${passwd}`,
        'auth_param basic children 1 startup=1',
        'acl authed proxy_auth REQUIRED',
        'http_access allow authed',
        'http_access deny all'
      ]);
      return ['-N', '-f', config];
    },
    30000
  );
  return {
    ...daemon,
    urlFor: (user, password) => `http://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${daemon.port}`,
    url: `http://127.0.0.1:${daemon.port}`,
    /** Tunnels squid logged (written when each tunnel ends), optionally with `status` such as 'TCP_TUNNEL/200'. */
    count: (status = 'TCP_TUNNEL/200') => countLines(readText(access), status),
    log: () => readText(access)
  };
}

/** stunnel4 terminating TLS (the committed localhost certificate) in front of `targetPort`: an HTTPS proxy. */
export async function startStunnel(targetPort) {
  const { path } = peer('stunnel');
  const dir = workDir('stunnel');
  writeFileSync(join(dir, 'cert.pem'), cert);
  writeFileSync(join(dir, 'key.pem'), key, { mode: 0o600 });
  const log = join(dir, 'stunnel.log');
  const config = join(dir, 'stunnel.conf');
  const daemon = await startDaemon('stunnel4', path, dir, (port) => {
    writeLines(config, [
      'foreground = yes',
      `pid = ${join(dir, 'stunnel.pid')}`,
      `output = ${log}`,
      'debug = 5',
      '[https-proxy]',
      `accept = 127.0.0.1:${port}`,
      `connect = 127.0.0.1:${targetPort}`,
      `cert = ${join(dir, 'cert.pem')}`,
      `key = ${join(dir, 'key.pem')}`
    ]);
    return [config];
  });
  /** Connections stunnel forwarded to the proxy behind it. */
  return { ...daemon, count: () => countLines(readText(log), 'connected remote server'), log: () => readText(log) };
}

/** microsocks (SOCKS5) with `auth: { user, password }` or none. count(): tunnels opened (optionally to `target`). */
export async function startMicrosocks({ auth } = {}) {
  const { path } = peer('microsocks');
  const dir = workDir('microsocks');
  const credentials = auth ? ['-u', auth.user, '-P', auth.password] : [];
  const daemon = await startDaemon('microsocks', path, dir, (port) => ['-i', '127.0.0.1', '-p', String(port), ...credentials]);
  return {
    ...daemon,
    /** Lines like "client[5] 127.0.0.1: connected to localhost:1234": the target as the client sent it. */
    count: (target = '') => countLines(daemon.output(), `connected to ${target}`),
    log: daemon.output
  };
}

/** dante-server (danted) as a second SOCKS5 implementation, no authentication. count(): tunnels opened. */
export async function startDante() {
  const { path } = peer('danted');
  const dir = workDir('dante');
  const log = join(dir, 'danted.log');
  const config = join(dir, 'danted.conf');
  const daemon = await startDaemon('danted', path, dir, (port) => {
    writeLines(config, [
      `logoutput: ${log}`,
      `internal: 127.0.0.1 port = ${port}`,
      'external: 127.0.0.1',
      'clientmethod: none',
      'socksmethod: none',
      // As root, dante wants users to switch to; unprivileged it runs as itself.
      ...(isRoot ? ['user.privileged: root', 'user.unprivileged: nobody'] : []),
      'client pass {',
      '  from: 127.0.0.0/8 to: 0.0.0.0/0',
      '  log: connect disconnect error',
      '}',
      'socks pass {',
      '  from: 127.0.0.0/8 to: 0.0.0.0/0',
      '  command: connect',
      '  log: connect disconnect error',
      '}'
    ]);
    return ['-f', config, '-p', join(dir, 'danted.pid')];
  });
  return { ...daemon, count: () => countLines(readText(log), 'tcp/connect ['), log: () => readText(log) };
}
