// A silent dead peer: a real socat relay (scripts/peers-table.mjs) whose per-connection child is stopped with
// SIGSTOP. The TCP connection stays up but nothing comes back, so only the heartbeat can tell; ReconnectingWebSocket
// then reconnects through a fresh socat child.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { peer } from '../helpers/peers.mjs';
import { ReconnectingWebSocket, FAST, closeFully, nextEvent, poll, record, startServer, unusedPort, until } from './helpers.mjs';

const socat = peer('socat');

/** PIDs of the children of `pid` (Linux /proc). */
function childrenOf(pid) {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/**
 * True once something listens on 127.0.0.1:port, read from /proc/net/tcp (state 0A is LISTEN). Not a probe
 * connection: socat would fork a child for it, and on a busy machine that child could still be alive (or not yet
 * forked) when the test picks "the" child to stop.
 */
function listens(port) {
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  return readFileSync('/proc/net/tcp', 'utf8')
    .split('\n')
    .some((line) => {
      const fields = line.trim().split(/\s+/);
      return fields[1] === local && fields[3] === '0A';
    });
}

test('heartbeat catches a socat relay whose child was stopped (SIGSTOP) and the client reconnects', { skip: socat.skip, timeout: 30000 }, async (t) => {
  const wss = await startServer(t);
  const connections = [];
  wss.on('connection', (ws) => connections.push(ws));
  const port = await unusedPort();
  const relay = spawn(socat.path, [`TCP-LISTEN:${port},bind=127.0.0.1,reuseaddr,fork`, `TCP:127.0.0.1:${wss.address().port}`], { stdio: 'ignore' });
  const stopped = new Set();
  t.after(() => {
    for (const pid of [...stopped, ...childrenOf(relay.pid)]) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    relay.kill('SIGKILL');
  });
  await poll(() => listens(port), 'socat listening');
  assert.deepEqual(childrenOf(relay.pid), []);

  // A timeout far above any loaded-machine pong delay, so only the stopped peer can trip it.
  const heartbeat = { interval: 200, timeout: 1500 };
  const rws = new ReconnectingWebSocket(`ws://127.0.0.1:${port}`, { ...FAST, heartbeat });
  t.after(() => closeFully(rws));
  const start = performance.now();
  const log = record(rws, ['open', 'error', 'close', 'reconnect'], start);
  await nextEvent(rws, 'open');
  const children = childrenOf(relay.pid);
  assert.equal(children.length, 1, 'one socat child per connection');
  const [child] = children;
  process.kill(child, 'SIGSTOP');
  stopped.add(child);
  const stoppedAt = performance.now();
  await until(rws, 'open', () => log.filter((e) => e.name === 'open').length === 2);
  const close = log.find((e) => e.name === 'close');
  const detected = close.at - (stoppedAt - start);
  assert.equal(close.args[0], 1006);
  const [attempt, , reason] = log.find((e) => e.name === 'reconnect').args;
  // The connection had lasted less than minUptime: attempt 2 of the streak, not a fresh start.
  assert.equal(attempt, 2);
  assert.equal(reason.type, 'close');
  assert.equal(reason.code, 1006);
  assert.equal(reason.error.code, 'WS_ERR_HEARTBEAT_TIMEOUT');
  assert.deepEqual(log.map((e) => e.name), ['open', 'error', 'close', 'reconnect', 'open']);
  assert.equal(connections.length, 2);
  // Nothing can be detected before the peer was quiet for `interval` and then silent for `timeout` after the ping.
  assert.ok(detected >= heartbeat.timeout, `detected after ${detected} ms`);
  assert.equal(log.find((e) => e.name === 'error').args[0].code, 'WS_ERR_HEARTBEAT_TIMEOUT');
  t.diagnostic(`stopped peer detected ${Math.round(detected)} ms after SIGSTOP (interval ${heartbeat.interval}, timeout ${heartbeat.timeout}); reconnected through a new socat child`);
});
