// Process helpers for the benchmark runner: start a pinned server and read its port, run a pinned load
// generator with a hard time limit, parse `key=value` output lines, stop what we started (by pid only), and
// read CPU time from /proc (to spot runs that other processes disturbed).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * Parses one `key=value key=value` line into an object; numeric values become numbers.
 * @param {string} text output whose last `key=value` line is used
 * @returns {Record<string, string | number>}
 */
export function parseKv(text) {
  const lines = text.split('\n').filter((l) => /\w+=\S/.test(l));
  const out = {};
  if (lines.length === 0) return out;
  for (const pair of lines[lines.length - 1].trim().split(/\s+/)) {
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    const v = pair.slice(eq + 1);
    out[pair.slice(0, eq)] = /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v;
  }
  return out;
}

/**
 * Starts a server pinned to `cpu` and resolves once it printed its port (a JSON line or `port=N`).
 * @param {string} cpu taskset CPU list
 * @param {string} cmd executable
 * @param {string[]} args
 * @param {Record<string, string>} [env]
 * @returns {Promise<{ child: import('node:child_process').ChildProcess, port: number, pid: number }>}
 */
export function startServer(cpu, cmd, args, env = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn('taskset', ['-c', cpu, cmd, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env }
    });
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      stopProcess(child);
      reject(new Error(`server ${args.join(' ')} did not report a port in 15 s: ${err.trim()}`));
    }, 15000);
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const line = out.split('\n').find((l) => /port/.test(l));
      if (!line) return;
      clearTimeout(timer);
      child.stdout.removeAllListeners('data');
      child.stdout.resume();
      let port;
      try {
        port = JSON.parse(line).port;
      } catch {
        port = Number(/port=(\d+)/.exec(line)?.[1]);
      }
      // taskset execs the command, so the child's pid is the server's own pid.
      resolve({ child, port, pid: child.pid });
    });
    child.stderr.on('data', (chunk) => {
      err += chunk;
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited early (${code}): ${err.trim()}`));
    });
  });
}

/**
 * Stops one process we started: SIGTERM, then SIGKILL after 3 s.
 * @param {import('node:child_process').ChildProcess} child
 * @returns {Promise<void>}
 */
export function stopProcess(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const kill = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/**
 * Runs a command pinned to `cpu`, killed after `limitS` seconds; resolves with its output and exit code.
 * @param {string} cpu
 * @param {string} cmd
 * @param {string[]} args
 * @param {number} limitS
 * @param {Record<string, string>} [env] added to this process's environment
 * @returns {Promise<{ code: number | null, stdout: string, stderr: string }>}
 */
export function runPinned(cpu, cmd, args, limitS, env = {}) {
  return new Promise((resolve) => {
    const child = spawn('taskset', ['-c', cpu, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), limitS * 1000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * Runs a command to completion without pinning (builds, installs).
 * @param {string} cmd
 * @param {string[]} args
 * @param {import('node:child_process').SpawnOptions} [opts]
 * @returns {Promise<{ code: number | null, output: string }>}
 */
export function run(cmd, args, opts = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    let output = '';
    child.stdout.on('data', (c) => (output += c));
    child.stderr.on('data', (c) => (output += c));
    child.on('error', (e) => resolve({ code: -1, output: String(e) }));
    child.on('exit', (code) => resolve({ code, output }));
  });
}

/** @param {number} ms */
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** USER_HZ on Linux: the unit of the jiffies below, per second. */
export const HZ = 100;

/**
 * Busy and total jiffies summed over all CPUs, from the first line of /proc/stat (idle and iowait are not busy).
 * @returns {{ busy: number, total: number }}
 */
export function cpuJiffies() {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: total - f[3] - (f[4] || 0), total };
}

/**
 * User + system jiffies of one process (fields 14 and 15 of /proc/PID/stat; counted after the `comm` field,
 * which may itself hold spaces or parentheses).
 * @param {number | string} pid
 * @returns {number}
 */
export function processJiffies(pid) {
  const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = st.slice(st.lastIndexOf(')') + 2).split(' ');
  return Number(rest[11]) + Number(rest[12]);
}
