// `sockwire serve --stats`: the summary line follows real traffic (an open client, echoes, a refused handshake, a
// 1000 close); through a pipe each summary is a line, on a terminal (a real pty from util-linux `script`) the line
// is redrawn in place and Ctrl+C (SIGINT from the pty's line discipline) ends it with a newline and exit code 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { startCli, runCli, BIN } from './run-cli.mjs';
import { openEchoClient, echoOnce, refusedUpgrade } from '../helpers/echo-peer.mjs';
const READY = /echo server at ws:\/\/127\.0\.0\.1:(\d+)\//;
const T = { timeout: 30000 };

const LINE = /^(\d+) open · (\d+) accepted · (\d+) refused · in \d+ msg\/s \d+(\.\d)? (B|KiB|MiB)\/s · out \d+ msg\/s \d+(\.\d)? (B|KiB|MiB)\/s · closes (\S+( \S+)*) · errors (\S+)$/;

test('serve --stats through a pipe: one summary per line, following connections, refusals and closes', T, async () => {
  const server = startCli(['serve', '--echo', '--port', '0', '--stats', '--stats-interval', '0.1']);
  try {
    const [, port] = await server.waitFor(READY);
    await server.waitFor(/^0 open · 0 accepted · 0 refused · in 0 msg\/s 0 B\/s · out 0 msg\/s 0 B\/s · closes - · errors -$/m);
    const ws = await openEchoClient(Number(port));
    assert.equal(await echoOnce(ws, 'one'), 'one');
    assert.equal(await echoOnce(ws, 'two'), 'two');
    assert.equal(await refusedUpgrade(Number(port)), 'HTTP/1.1 400 Bad Request');
    await server.waitFor(/^1 open · 1 accepted · 1 refused · .* · closes - · errors -$/m);
    const closed = new Promise((resolve) => ws.once('close', resolve));
    ws.close(1000);
    await closed;
    await server.waitFor(/^0 open · 1 accepted · 1 refused · .* · closes 1000×1 · errors -$/m);
    const { code, stdout } = await server.stop('SIGTERM');
    assert.equal(code, 0);
    const lines = stdout.trimEnd().split('\n');
    assert.match(lines[0], READY);
    for (const line of lines.slice(1)) assert.match(line, LINE);
    assert.ok(!stdout.includes('\r'), 'no redraw codes without a terminal');
  } finally {
    await server.stop('SIGKILL');
  }
});

test('serve --stats-interval is checked like every numeric option', async () => {
  const { code, stderr } = await runCli(['serve', '--stats', '--stats-interval', '0']);
  assert.equal(code, 2);
  assert.equal(stderr, 'sockwire serve: --stats-interval must be a number from 0.1 to 3600, got "0"\n');
});

const hasScript = spawnSync('script', ['--version']).status === 0;

test('serve --stats on a terminal: the summary is redrawn in place; Ctrl+C leaves it and exits 0', { ...T, skip: !hasScript && 'util-linux script is not installed' }, async () => {
  // `exec`: script runs the command through $SHELL (dash when SHELL is unset); without it dash stays the pty's
  // foreground process too, takes the SIGINT itself and exits 130 whatever the server does.
  const command = `exec '${process.execPath}' '${BIN}' serve --echo --port 0 --stats --stats-interval 0.1`;
  // -q quiet, -f flush at once, -e exit with the child's code, -c the command; the log file is /dev/null.
  const child = spawn('script', ['-qfec', command, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '' } });
  let output = '';
  const waiters = new Set();
  child.stdout.setEncoding('utf8').on('data', (text) => {
    output += text;
    for (const waiter of waiters) waiter();
  });
  const waitFor = (pattern) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${pattern} in ${JSON.stringify(output)}`)), 10000);
      const check = () => {
        const match = pattern.exec(output);
        if (match === null) return;
        clearTimeout(timer);
        waiters.delete(check);
        resolve(match);
      };
      waiters.add(check);
      check();
    });
  const exited = new Promise((resolve) => child.on('close', (code) => resolve(code)));
  const killer = setTimeout(() => child.kill('SIGKILL'), 25000);
  try {
    const [, port] = await waitFor(READY);
    await waitFor(/\r\x1b\[2K0 open · 0 accepted/);
    const ws = await openEchoClient(Number(port));
    await waitFor(/\r\x1b\[2K1 open · 1 accepted · 0 refused · in 0 msg\/s 0 B\/s/);
    const closed = new Promise((resolve) => ws.once('close', resolve));
    // Ctrl+C typed on the terminal: the pty turns it into SIGINT for the server, which closes clients with 1001.
    child.stdin.write('\x03');
    assert.equal(await closed, 1001);
    assert.equal(await exited, 0);
    // Summaries never start a new line of their own; the last one is ended by one newline at exit.
    const summaries = output.split('\r\x1b[2K').slice(1);
    assert.ok(summaries.length >= 2, JSON.stringify(output));
    for (const summary of summaries.slice(0, -1)) assert.match(summary, LINE);
    assert.match(summaries.at(-1), /^\d+ open · .* · errors \S+\r?\n/);
  } finally {
    clearTimeout(killer);
    child.kill('SIGKILL');
  }
});
