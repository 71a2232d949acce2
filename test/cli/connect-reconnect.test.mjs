// `sockwire connect --reconnect`: a dropped connection is reported and re-established (-x messages are sent again
// on the new connection); a terminal close code ends it with the usual exit code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli, startServer, closeServer, urlOf } from './run-cli.mjs';

test('connect --reconnect -x: the first connection is closed with 1011, the second answers; exit 0', async () => {
  const wss = await startServer();
  let connections = 0;
  wss.on('connection', (ws) => {
    if (++connections === 1) return ws.close(1011, 'restarting');
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  });
  try {
    const result = await runCli(['connect', '--reconnect', urlOf(wss), '-x', 'hello']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, '> hello\n> hello\n< hello\n');
    const url = urlOf(wss).replace(/\/?$/, '/');
    assert.equal(
      result.stderr,
      [`Connected to ${url}`, 'Disconnected (code: 1011)', 'Reconnecting in 0 ms (attempt 2)', `Connected to ${url}`, 'Disconnected (code: 1000)', ''].join('\n')
    );
    assert.equal(connections, 2);
  } finally {
    await closeServer(wss);
  }
});

test('connect --reconnect gives up on a terminal close code (4000) and exits 4', async () => {
  const wss = await startServer();
  wss.on('connection', (ws) => ws.close(4000, 'banned'));
  try {
    const result = await runCli(['connect', '--reconnect', urlOf(wss), '-x', 'hello']);
    assert.equal(result.code, 4);
    assert.match(result.stderr, /Gave up reconnecting \(close code 4000\)\nDisconnected \(code: 4000, reason: "banned"\)\n$/);
  } finally {
    await closeServer(wss);
  }
});
