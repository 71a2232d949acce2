// `sockwire connect` end to end: the real launcher against loopback servers, asserting exact output and exit codes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { runCli, startServer, closeServer, freePort, urlOf, sockwire } from './run-cli.mjs';

/** An echo server that also records what it saw. */
async function echoServer(options = {}) {
  const wss = await startServer(options);
  const seen = { requests: [], messages: [], pings: [], closes: [], protocols: [] };
  wss.on('connection', (ws, req) => {
    seen.requests.push(req);
    seen.protocols.push(ws.protocol);
    ws.on('ping', (data) => seen.pings.push(data.toString()));
    ws.on('message', (data, isBinary) => {
      seen.messages.push({ data: Buffer.from(data), isBinary });
      ws.send(data, { binary: isBinary });
    });
    ws.on('close', (code, reason) => seen.closes.push([code, reason.toString()]));
  });
  return { wss, seen };
}

test('connect -x sends one message, prints it and the echo, closes with 1000 and exits 0', async () => {
  const { wss, seen } = await echoServer();
  try {
    const result = await runCli(['connect', urlOf(wss), '-x', 'hello wörld']);
    assert.equal(result.stdout, '> hello wörld\n< hello wörld\n');
    assert.equal(result.code, 0);
    assert.match(result.stderr, /^Connected to ws:\/\/127\.0\.0\.1:\d+\/\nDisconnected \(code: 1000\)\n$/);
    assert.doesNotMatch(result.stdout, /\x1b\[/); // no colours when stdout is not a TTY
    assert.deepEqual(seen.messages, [{ data: Buffer.from('hello wörld'), isBinary: false }]);
    assert.deepEqual(seen.closes, [[1000, '']]);
  } finally {
    await closeServer(wss);
  }
});

test('connect -x repeated waits for one reply per message; "host:port" without a scheme means ws://', async () => {
  const { wss } = await echoServer();
  try {
    const result = await runCli(['connect', `127.0.0.1:${wss.address().port}`, '-x', 'a', '-x', 'b']);
    assert.equal(result.stdout, '> a\n> b\n< a\n< b\n');
    assert.equal(result.code, 0);
  } finally {
    await closeServer(wss);
  }
});

test('headers, subprotocols and origin reach the server; the chosen subprotocol is reported', async () => {
  const { wss, seen } = await echoServer({ handleProtocols: (protocols) => (protocols.has('chat.v2') ? 'chat.v2' : false) });
  try {
    const result = await runCli([
      'connect', urlOf(wss, '/path?q=1'),
      '-H', 'X-Trace: abc 123', '--header', 'Authorization: Bearer t0k',
      '-s', 'chat.v1', '--subprotocol', 'chat.v2',
      '--origin', 'http://example.test',
      '-x', 'hi'
    ]);
    assert.equal(result.code, 0, result.stderr);
    const req = seen.requests[0];
    assert.equal(req.url, '/path?q=1');
    assert.equal(req.headers['x-trace'], 'abc 123');
    assert.equal(req.headers.authorization, 'Bearer t0k');
    assert.equal(req.headers['sec-websocket-protocol'], 'chat.v1,chat.v2');
    assert.equal(req.headers.origin, 'http://example.test');
    assert.deepEqual(seen.protocols, ['chat.v2']);
    assert.match(result.stderr, /^Connected to ws:\/\/127\.0\.0\.1:\d+\/path\?q=1 \(subprotocol: chat\.v2\)\n/);
  } finally {
    await closeServer(wss);
  }
});

test('piped input: lines are sent in order, /ping /pong /binary // and /close work, binary shows as hex', async () => {
  const { wss, seen } = await echoServer();
  const pongs = [];
  wss.on('connection', (ws) => ws.on('pong', (data) => pongs.push(data.toString())));
  try {
    const input = 'first line\n/ping abc\n/pong xyz\n/binary 00 ff 10\n//not a command\n/close 4001 bye now\n';
    const result = await runCli(['connect', urlOf(wss), '--show-ping-pong'], { stdin: input });
    assert.equal(
      result.stdout,
      [
        '> first line', '> ping abc', '> pong xyz', '> <binary 3 B> 00 ff 10', '> /not a command',
        '< first line', '< pong abc', '< <binary 3 B> 00 ff 10', '< /not a command', ''
      ].join('\n')
    );
    assert.deepEqual(seen.pings, ['abc']);
    assert.deepEqual(pongs, ['xyz']);
    assert.deepEqual(
      seen.messages.map((m) => [m.data.toString('hex'), m.isBinary]),
      [
        [Buffer.from('first line').toString('hex'), false],
        ['00ff10', true],
        [Buffer.from('/not a command').toString('hex'), false]
      ]
    );
    assert.deepEqual(seen.closes, [[4001, 'bye now']]);
    assert.equal(result.code, 4); // 4000–4999 → 4
    assert.match(result.stderr, /Disconnected \(code: 4001, reason: "bye now"\)\n$/);
  } finally {
    await closeServer(wss);
  }
});

test('pings from the server are shown only with --show-ping-pong', async () => {
  const wss = await startServer();
  wss.on('connection', (ws) => {
    ws.on('message', (data) => {
      ws.ping('are you there'); // on the wire before the reply, so the order is fixed
      ws.send(data.toString());
    });
  });
  try {
    const quiet = await runCli(['connect', urlOf(wss), '-x', 'm']);
    assert.equal(quiet.stdout, '> m\n< m\n');
    const loud = await runCli(['connect', urlOf(wss), '-P', '-x', 'm']);
    assert.equal(loud.stdout, '> m\n< ping are you there\n< m\n');
  } finally {
    await closeServer(wss);
  }
});

test('a binary message from the server is printed as hex with its size', async () => {
  const wss = await startServer();
  wss.on('connection', (ws) => ws.on('message', () => ws.send(Buffer.from([0x00, 0x01, 0xab, 0xff]))));
  try {
    const result = await runCli(['connect', urlOf(wss), '-x', 'give me bytes']);
    assert.equal(result.stdout, '> give me bytes\n< <binary 4 B> 00 01 ab ff\n');
    assert.equal(result.code, 0);
  } finally {
    await closeServer(wss);
  }
});

for (const [code, reason, exitCode] of [
  [1000, 'done', 0],
  [1001, 'going away', 101],
  [1011, '', 111],
  [3001, 'app', 3],
  [4999, 'private', 4]
]) {
  test(`server closing with ${code} makes connect exit ${exitCode}`, async () => {
    const wss = await startServer();
    wss.on('connection', (ws) => ws.on('message', () => ws.close(code, reason)));
    try {
      const result = await runCli(['connect', urlOf(wss), '-x', 'x']);
      assert.equal(result.code, exitCode);
      const expectedReason = reason === '' ? '' : `, reason: "${reason}"`;
      assert.match(result.stderr, new RegExp(`Disconnected \\(code: ${code}${expectedReason}\\)\\n$`));
    } finally {
      await closeServer(wss);
    }
  });
}

test('server closing without a status code (1005) exits 0', async () => {
  const wss = await startServer();
  wss.on('connection', (ws) => ws.on('message', () => ws.close()));
  try {
    const result = await runCli(['connect', urlOf(wss), '-x', 'x']);
    assert.equal(result.code, 0);
    assert.match(result.stderr, /Disconnected \(code: 1005\)\n$/);
  } finally {
    await closeServer(wss);
  }
});

test('a dropped connection (1006) exits 106', async () => {
  const wss = await startServer();
  wss.on('connection', (ws) => ws.on('message', () => ws.terminate()));
  try {
    const result = await runCli(['connect', urlOf(wss), '-x', 'x']);
    assert.equal(result.code, 106);
    assert.match(result.stderr, /Disconnected \(code: 1006\)\n$/);
  } finally {
    await closeServer(wss);
  }
});

test('an unreachable URL gives one line on stderr and exit 1', async () => {
  const port = await freePort();
  const result = await runCli(['connect', `ws://127.0.0.1:${port}`]);
  assert.equal(result.code, 1);
  assert.equal(result.stdout, '');
  assert.equal(result.stderr, `sockwire connect: could not connect to ws://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}\n`);
});

test('a refused handshake gives one line with the HTTP status and exit 1', async () => {
  const wss = await startServer({ verifyClient: () => false });
  try {
    const result = await runCli(['connect', urlOf(wss), '-x', 'x']);
    assert.equal(result.code, 1);
    assert.equal(result.stderr, `sockwire connect: could not connect to ${urlOf(wss)}: Unexpected server response: 401\n`);
  } finally {
    await closeServer(wss);
  }
});

test('bad command lines: one line on stderr, exit 2, never a stack trace', async () => {
  const cases = [
    [['connect', 'ws://127.0.0.1:1', '--bogus'], `sockwire connect: Unknown option '--bogus' (see "sockwire connect --help")\n`],
    [['connect'], 'sockwire connect: missing <url> (see "sockwire connect --help")\n'],
    [['connect', 'a', 'b'], 'sockwire connect: expected one <url>, got 2 (see "sockwire connect --help")\n'],
    [['connect', 'ftp://127.0.0.1/'], 'sockwire connect: The URL\'s protocol must be one of "ws:", "wss:", "http:", "https:", or "ws+unix:"\n'],
    [['connect', 'ws://127.0.0.1:1', '-H', 'no colon here'], 'sockwire connect: invalid header "no colon here" (expected "Name: value")\n'],
    [['connect', 'ws://127.0.0.1:1', '-w', 'soon'], 'sockwire connect: --wait must be a number from 0 to 3600, got "soon"\n'],
    [['connect', 'ws://127.0.0.1:1', '-x'], `sockwire connect: Option '-x, --execute <value>' argument missing (see "sockwire connect --help")\n`],
    [['frobnicate'], 'sockwire: unknown command "frobnicate" (commands: connect, serve, bench; see "sockwire --help")\n']
  ];
  for (const [args, stderr] of cases) {
    const result = await runCli(args);
    assert.equal(result.stderr, stderr, args.join(' '));
    assert.equal(result.code, 2, args.join(' '));
    assert.equal(result.stdout, '');
  }
});

test('--help prints usage on stdout and exits 0', async () => {
  const result = await runCli(['connect', '--help']);
  assert.equal(result.code, 0);
  assert.match(result.stdout, /^Usage: sockwire connect <url> \[options\]\n/);
  assert.match(result.stdout, /--no-check/);
  assert.equal(result.stderr, '');
  const top = await runCli(['--help']);
  assert.equal(top.code, 0);
  assert.match(top.stdout, /^Usage: sockwire <command> \[options\]\n/);
});

test('wss with a self-signed certificate fails without --no-check and works with it', async () => {
  const dir = new URL('../fixtures/tls/', import.meta.url);
  const https = createHttpsServer({ cert: readFileSync(new URL('cert.pem', dir)), key: readFileSync(new URL('key.pem', dir)) });
  const wss = new sockwire.WebSocketServer({ server: https });
  wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
  await new Promise((resolve) => https.listen(0, '127.0.0.1', resolve));
  const url = `wss://127.0.0.1:${https.address().port}/`;
  try {
    const refused = await runCli(['connect', url, '-x', 'x']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^sockwire connect: could not connect to wss:\/\/127\.0\.0\.1:\d+\/: .*(self[- ]signed|certificate)/i);
    assert.equal(refused.stderr.split('\n').length, 2); // exactly one line
    const accepted = await runCli(['connect', url, '--no-check', '-x', 'over tls']);
    assert.equal(accepted.stdout, '> over tls\n< over tls\n');
    assert.equal(accepted.code, 0);
  } finally {
    for (const ws of wss.clients) ws.terminate();
    https.closeAllConnections();
    await new Promise((resolve) => https.close(resolve));
  }
});
