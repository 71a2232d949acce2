// The small pure pieces of the CLI: exit codes for close codes, hex formatting and parsing, percentiles, the
// static file path guard, and the colour decision.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { exitCodeForClose } = require('../../dist/cjs/cli/close-exit-code.js');
const { formatHex, parseHex, describeBinary, wantsColour, Painter, toBuffer } = require('../../dist/cjs/cli/format.js');
const { LatencySamples, formatBytes } = require('../../dist/cjs/cli/bench-stats.js');
const { resolveRequestPath } = require('../../dist/cjs/cli/static-files.js');

test('exitCodeForClose follows the documented table', () => {
  const table = [
    [1000, 0], [1005, 0], [1001, 101], [1002, 102], [1006, 106], [1011, 111], [1015, 115],
    [3000, 3], [3999, 3], [4000, 4], [4999, 4], [1004, 104], [1016, 1], [2999, 1], [5000, 1], [0, 1]
  ];
  assert.deepEqual(table.map(([code]) => [code, exitCodeForClose(code)]), table);
});

test('hex formatting and parsing', () => {
  assert.equal(formatHex(Buffer.from([0, 15, 16, 255])), '00 0f 10 ff');
  assert.equal(formatHex(Buffer.from([1, 2, 3, 4, 5]), 2), '01 02 … (+3 bytes)');
  assert.equal(describeBinary(Buffer.alloc(0)), '<binary 0 B>');
  assert.equal(describeBinary(Buffer.from([0xab])), '<binary 1 B> ab');
  assert.deepEqual(parseHex('01 02 ff'), Buffer.from([1, 2, 255]));
  assert.deepEqual(parseHex('0x01,0xAB'), Buffer.from([1, 0xab]));
  assert.deepEqual(parseHex(''), Buffer.alloc(0));
  assert.equal(parseHex('123'), undefined);
  assert.equal(parseHex('zz'), undefined);
  assert.deepEqual(toBuffer([Buffer.from('a'), Buffer.from('b')]), Buffer.from('ab'));
  assert.deepEqual(toBuffer(new Uint8Array([1, 2]).buffer), Buffer.from([1, 2]));
});

test('colour only on a TTY, never with --no-color or NO_COLOR', () => {
  assert.equal(wantsColour({ isTTY: true }, false, {}), true);
  assert.equal(wantsColour({ isTTY: false }, false, {}), false);
  assert.equal(wantsColour({}, false, {}), false);
  assert.equal(wantsColour({ isTTY: true }, true, {}), false);
  assert.equal(wantsColour({ isTTY: true }, false, { NO_COLOR: '1' }), false);
  assert.equal(wantsColour({ isTTY: true }, false, { NO_COLOR: '' }), true);
  assert.equal(new Painter(true).paint('received', '< x'), '\x1b[32m< x\x1b[0m');
  assert.equal(new Painter(false).paint('received', '< x'), '< x');
});

test('nearest-rank percentiles', () => {
  const samples = new LatencySamples();
  assert.ok(samples.percentiles([50]).every(Number.isNaN));
  for (let i = 2000; i >= 1; i--) samples.add(i); // more than the initial capacity, inserted backwards
  assert.equal(samples.count, 2000);
  assert.deepEqual(samples.percentiles([50, 90, 99, 100]), [1000, 1800, 1980, 2000]);
  assert.equal(formatBytes(64), '64 B');
  assert.equal(formatBytes(1536), '1.5 KiB');
  assert.equal(formatBytes(4 * 1024 * 1024), '4 MiB');
});

test('static files never escape the root', () => {
  const root = '/srv/demo';
  assert.equal(resolveRequestPath(root, '/'), '/srv/demo/index.html');
  assert.equal(resolveRequestPath(root, '/chat.js?v=1#x'), '/srv/demo/chat.js');
  assert.equal(resolveRequestPath(root, '/sub/'), '/srv/demo/sub/index.html');
  assert.equal(resolveRequestPath(root, '/a%20b.txt'), '/srv/demo/a b.txt');
  for (const bad of ['/../etc/passwd', '/%2e%2e/etc/passwd', '/..%2fetc', '/.env', '/a/../../b', '/%00', '/a\\..\\b', '/%E0%A4%A']) {
    assert.equal(resolveRequestPath(root, bad), undefined, bad);
  }
});
