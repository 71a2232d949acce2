// `sockwire bench` against `sockwire serve --echo` (both as child processes): a short run prints progress and the
// result table; failures (unreachable URL, a server that drops connections, bad flags) exit non-zero with one line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli, startCli, startServer, closeServer, freePort, urlOf } from './run-cli.mjs';

/** The `name  value` rows of the result table. */
function tableOf(stdout) {
  const rows = new Map();
  for (const line of stdout.trimEnd().split('\n')) {
    const match = /^(\S+(?: \S+)?)\s{2,}(.*)$/.exec(line);
    assert.ok(match, `not a table row: ${JSON.stringify(line)}`);
    rows.set(match[1], match[2]);
  }
  return rows;
}

test('bench -d 1 against serve --echo: progress on stderr, a full table on stdout, exit 0', async () => {
  const server = startCli(['serve', '--echo', '--port', '0']);
  try {
    const [, url] = await server.waitFor(/echo server at (\S+)/);
    const result = await runCli(['bench', url, '-c', '3', '-s', '100', '-d', '1']);
    assert.equal(result.code, 0, result.stderr);
    const rows = tableOf(result.stdout);
    assert.deepEqual([...rows.keys()], [
      'url', 'connections', 'message size', 'duration', 'messages', 'msgs/s', 'throughput',
      'latency p50', 'latency p90', 'latency p99', 'latency max', 'errors'
    ]);
    assert.equal(rows.get('url'), url);
    assert.equal(rows.get('connections'), '3');
    assert.equal(rows.get('message size'), '100 B');
    assert.match(rows.get('duration'), /^1\.\d\d s$/);
    assert.ok(Number(rows.get('messages')) > 0);
    assert.ok(Number(rows.get('msgs/s')) > 0);
    assert.equal(rows.get('errors'), '0');
    const [p50, p90, p99, max] = ['p50', 'p90', 'p99', 'max'].map((p) => Number(/^([\d.]+) ms$/.exec(rows.get(`latency ${p}`))[1]));
    assert.ok(p50 > 0 && p50 <= p90 && p90 <= p99 && p99 <= max, `${p50} ${p90} ${p99} ${max}`);
    assert.match(result.stderr, /^sockwire bench: 3 connection\(s\), 100 B binary messages, 1 s\n/);
    assert.match(result.stderr, /\n1\.0 s  \d+ msgs\/s  \d+ total  0 errors\n/);
  } finally {
    await server.stop('SIGKILL');
  }
});

test('bench --text checks text echoes', async () => {
  const wss = await startServer();
  const kinds = new Set();
  wss.on('connection', (ws) => ws.on('message', (data, isBinary) => {
    kinds.add(isBinary);
    ws.send(data, { binary: isBinary });
  }));
  try {
    const result = await runCli(['bench', urlOf(wss), '-c', '1', '-s', '10', '-d', '0.3', '--text']);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual([...kinds], [false]);
    assert.equal(tableOf(result.stdout).get('message size'), '10 B');
  } finally {
    await closeServer(wss);
  }
});

test('a server that echoes the wrong size or drops connections makes bench report errors and exit 1', async () => {
  const wss = await startServer();
  let connections = 0;
  wss.on('connection', (ws) => {
    const n = connections++;
    ws.on('message', (data) => {
      if (n === 0) ws.send(Buffer.alloc(data.length + 1)); // wrong size
      else ws.terminate(); // gone mid-run
    });
  });
  try {
    const result = await runCli(['bench', urlOf(wss), '-c', '2', '-d', '0.5']);
    assert.equal(result.code, 1);
    const errors = Number(tableOf(result.stdout).get('errors'));
    assert.ok(errors >= 2, `errors: ${errors}`);
  } finally {
    await closeServer(wss);
  }
});

test('bench: unreachable URL and bad flags give one line and a non-zero exit', async () => {
  const port = await freePort();
  const unreachable = await runCli(['bench', `ws://127.0.0.1:${port}`, '-d', '1']);
  assert.equal(unreachable.code, 1);
  assert.equal(unreachable.stdout, '');
  assert.equal(
    unreachable.stderr,
    `sockwire bench: could not connect to ws://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}\n`
  );
  const cases = [
    [['bench', 'ws://x', '-c', '0'], 'sockwire bench: --connections must be an integer from 1 to 10000, got "0"\n'],
    [['bench', 'ws://x', '-s', '1.5'], 'sockwire bench: --size must be an integer from 0 to 67108864, got "1.5"\n'],
    [['bench', 'ws://x', '-d', '0'], 'sockwire bench: --duration must be a number from 0.1 to 3600, got "0"\n'],
    [['bench', 'ws://x', '--rate', '5'], `sockwire bench: Unknown option '--rate' (see "sockwire bench --help")\n`],
    [['bench'], 'sockwire bench: missing <url> (see "sockwire bench --help")\n']
  ];
  for (const [args, stderr] of cases) {
    const result = await runCli(args);
    assert.equal(result.stderr, stderr, args.join(' '));
    assert.equal(result.code, 2);
  }
});
