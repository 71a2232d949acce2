// Real proxies for the proxy tests (scripts/peers-table.mjs installs them): each start* function writes a config
// into a fresh temp dir, runs the daemon in the foreground on a free loopback port, waits until it accepts
// connections, and returns { port, url, count(), stop() }. count() reads the proxy's own log: how many tunnels it
// opened, so a test proves which proxy carried a connection. stop() ends the process by its PID.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
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
 * Runs `program args` in `dir`, waits for `port` to accept, and returns the running daemon. Its output goes to
 * `dir/output.log` (read by `output()`).
 */
async function startDaemon(name, program, args, dir, port, readyMs = 15000) {
  const outputPath = join(dir, 'output.log');
  const child = spawn(program, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  let exited = false;
  const exit = new Promise((resolve) => child.once('exit', () => {
    exited = true;
    writeFileSync(outputPath, output);
    resolve();
  }));
  try {
    await waitFor(async () => {
      if (exited) throw new Error(`${name} exited during start: ${output.slice(0, 500)}`);
      return accepts(port);
    }, readyMs, `${name} on port ${port}`);
  } catch (error) {
    child.kill('SIGKILL');
    await exit;
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    pid: child.pid,
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

/** Count the lines of `text` that contain `needle`. */
function countLines(text, needle) {
  return text.split('\n').filter((line) => line.includes(needle)).length;
}

/** tinyproxy 1.11 as an HTTP CONNECT proxy; `auth: { user, password }` turns on BasicAuth. count(): CONNECTs seen. */
export async function startTinyproxy({ auth } = {}) {
  const { path } = peer('tinyproxy');
  const dir = workDir('tinyproxy');
  const port = await freePort();
  const log = join(dir, 'tinyproxy.log');
  writeFileSync(
    join(dir, 'tinyproxy.conf'),
    [
      `Port ${port}`,
      'Listen 127.0.0.1',
      'Timeout 60',
      `LogFile "${log}"`,
      'LogLevel Connect',
      `PidFile "${join(dir, 'tinyproxy.pid')}"`,
      'MaxClients 100',
      'Allow 127.0.0.1',
      auth ? `BasicAuth ${auth.user} ${auth.password}` : ''
    ].join('\n') + '\n'
  );
  const daemon = await startDaemon('tinyproxy', path, ['-d', '-c', join(dir, 'tinyproxy.conf')], dir, port);
  const credentials = auth ? `${encodeURIComponent(auth.user)}:${encodeURIComponent(auth.password)}@` : '';
  return {
    ...daemon,
    port,
    url: `http://${credentials}127.0.0.1:${port}`,
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
  const port = await freePort();
  const passwd = join(dir, 'passwd');
  for (const [index, [user, password]] of Object.entries(users).entries()) {
    const made = spawnSync(htpasswd, [index === 0 ? '-bc' : '-b', passwd, user, password], { encoding: 'utf8' });
    if (made.status !== 0) throw new Error(`htpasswd failed: ${made.stderr}`);
  }
  chmodSync(passwd, 0o644);
  const helper = ['/usr/lib/squid/basic_ncsa_auth', '/usr/lib64/squid/basic_ncsa_auth'].find((p) => existsSync(p));
  const access = join(dir, 'access.log');
  writeFileSync(
    join(dir, 'squid.conf'),
    [
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
    ].join('\n') + '\n'
  );
  const daemon = await startDaemon('squid', path, ['-N', '-f', join(dir, 'squid.conf')], dir, port, 30000);
  return {
    ...daemon,
    port,
    urlFor: (user, password) => `http://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}`,
    /** Tunnels squid logged (written when each tunnel ends), optionally with `status` such as 'TCP_TUNNEL/200'. */
    count: (status = 'TCP_TUNNEL/200') => countLines(readText(access), status),
    log: () => readText(access)
  };
}

/** stunnel4 terminating TLS (the committed localhost certificate) in front of `targetPort`: an HTTPS proxy. */
export async function startStunnel(targetPort) {
  const { path } = peer('stunnel');
  const dir = workDir('stunnel');
  const port = await freePort();
  writeFileSync(join(dir, 'cert.pem'), cert);
  writeFileSync(join(dir, 'key.pem'), key, { mode: 0o600 });
  writeFileSync(
    join(dir, 'stunnel.conf'),
    [
      'foreground = yes',
      `pid = ${join(dir, 'stunnel.pid')}`,
      `output = ${join(dir, 'stunnel.log')}`,
      'debug = 5',
      '[https-proxy]',
      `accept = 127.0.0.1:${port}`,
      `connect = 127.0.0.1:${targetPort}`,
      `cert = ${join(dir, 'cert.pem')}`,
      `key = ${join(dir, 'key.pem')}`
    ].join('\n') + '\n'
  );
  const daemon = await startDaemon('stunnel4', path, [join(dir, 'stunnel.conf')], dir, port);
  return { ...daemon, port, log: () => readText(join(dir, 'stunnel.log')), count: () => countLines(readText(join(dir, 'stunnel.log')), 'connected remote server') };
}

/** microsocks (SOCKS5) with `auth: { user, password }` or none. count(): tunnels opened (optionally to `target`). */
export async function startMicrosocks({ auth } = {}) {
  const { path } = peer('microsocks');
  const dir = workDir('microsocks');
  const port = await freePort();
  const args = ['-i', '127.0.0.1', '-p', String(port), ...(auth ? ['-u', auth.user, '-P', auth.password] : [])];
  const daemon = await startDaemon('microsocks', path, args, dir, port);
  return {
    ...daemon,
    port,
    /** Lines like "client[5] 127.0.0.1: connected to localhost:1234": the target as the client sent it. */
    count: (target = '') => countLines(daemon.output(), `connected to ${target}`),
    log: daemon.output
  };
}

/** dante-server (danted) as a second SOCKS5 implementation, no authentication. count(): tunnels opened. */
export async function startDante() {
  const { path } = peer('danted');
  const dir = workDir('dante');
  const port = await freePort();
  const log = join(dir, 'danted.log');
  writeFileSync(
    join(dir, 'danted.conf'),
    [
      `logoutput: ${log}`,
      `internal: 127.0.0.1 port = ${port}`,
      'external: 127.0.0.1',
      'clientmethod: none',
      'socksmethod: none',
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
    ].join('\n') + '\n'
  );
  const daemon = await startDaemon('danted', path, ['-f', join(dir, 'danted.conf'), '-p', join(dir, 'danted.pid')], dir, port);
  return { ...daemon, port, count: () => countLines(readText(log), 'tcp/connect ['), log: () => readText(log) };
}
