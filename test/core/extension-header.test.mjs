// Sec-WebSocket-Extensions grammar (RFC 6455 §9.1, RFC 7692 §5): exact results, ws's exact SyntaxError messages,
// a differential table against ws's own parser/formatter, prototype safety and a 1 MB header.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const {
  parseExtensionHeader,
  formatExtensionHeader,
  isTokenChar
} = require('../../dist/cjs/core/extension-header.js');
const ws = require('ws');

/** Run `fn(input)` and describe the outcome as plain data: a JSON-clean value or the error's class and message. */
function outcome(fn, input) {
  try {
    return { value: JSON.parse(JSON.stringify(fn(input))) };
  } catch (error) {
    return { error: `${error.constructor.name}: ${error.message}` };
  }
}

// Valid and invalid headers covering tokens, quoting, escapes, whitespace, empty elements, bad characters and
// unexpected ends. Each row is checked against ws's parser.
const TABLE = [
  '', ' ', '\t', 'foo', 'foo;bar', 'foo; bar=1', 'foo;bar="baz"', 'foo, bar', 'foo,bar', 'foo ,bar', 'foo , bar',
  'foo;', 'foo,', ',foo', ';foo', 'foo;;bar', 'foo,,bar', 'foo; bar=', 'foo;bar=1;bar=2', 'foo, foo',
  'foo; bar = 1', 'foo ; bar', 'foo\t;\tbar', 'foo;bar="a b"', 'foo;bar="a\\"b"', 'foo;bar="a\\b"', 'foo;bar=""',
  'foo;bar="', 'foo;bar="a', 'foo;bar="a"b', 'foo;bar="a" ;c', 'foo;bar=a"', 'foo;"bar"', '"foo"', 'fo o',
  'foo;ba r', 'foo;bar=a b', 'foo@', 'foo;bar@', 'foo;bar=@', 'foo;bar="@"', 'foo;bar="\\', 'foo;bar="\\"',
  'foo;bar=\\a', '__proto__', 'constructor; hasOwnProperty=1', 'foo;__proto__', 'é', 'foo;bar=é', 'foo;bar="é"',
  'foo\r\n', 'foo ;', 'foo; ', 'foo;bar ', 'foo;bar= 1', 'foo;bar=1 ', 'foo;bar="1" ', 'foo;bar="1",baz',
  'foo;bar="1"baz', 'foo;bar="1";', 'foo;bar="1",', 'a;b=1, a;c', 'foo;bar=1=2', 'foo=1', 'foo bar', 'foo ',
  '\tfoo', 'foo;bar="a""b"', 'foo;bar="\\\\"', 'foo;bar="a,b"', 'foo;bar="a;b"', 'foo;bar=" a"', 'a, ,b',
  'a;b, ,c', 'a; ;b', 'a;b=1;;c', 'a;b="1"=', 'a;b=1 =', 'a;b==1', 'a;b="\\11"', 'a;b=1"2"', 'a;b  =1',
  'foo;bar;bar=1', 'foo;bar="1";bar', 'a, b ,c ;d=1 ; e="2" , f', '😀', 'a;b="1"\t,\tc',
  'permessage-deflate; client_max_window_bits',
  'permessage-deflate; client_max_window_bits=10; server_no_context_takeover, permessage-deflate',
  'permessage-deflate; server_max_window_bits="10"'
];

test('the differential table has at least 40 rows, valid and invalid', () => {
  assert.ok(TABLE.length >= 40);
  const valid = TABLE.filter((header) => outcome(ws.extension.parse, header).value !== undefined);
  assert.ok(valid.length >= 15, `valid rows: ${valid.length}`);
  assert.ok(TABLE.length - valid.length >= 25);
});

for (const header of TABLE) {
  test(`parse matches ws: ${JSON.stringify(header)}`, () => {
    assert.deepEqual(outcome(parseExtensionHeader, header), outcome(ws.extension.parse, header));
  });
}

test('parse gives exact structures and messages', () => {
  const plain = (header) => JSON.parse(JSON.stringify(parseExtensionHeader(header)));
  assert.deepEqual(plain('foo'), { foo: [{}] });
  assert.deepEqual(plain('a;b=1;b;c="q", d, a'), { a: [{ b: ['1', true], c: ['q'] }, {}], d: [{}] });
  assert.deepEqual(plain('x;y="\\a\\b"'), { x: [{ y: ['ab'] }] });
  assert.deepEqual(plain('foo , bar ;  baz'), { foo: [{}], bar: [{ baz: [true] }] });
  assert.throws(() => parseExtensionHeader(''), { name: 'SyntaxError', message: 'Unexpected end of input' });
  assert.throws(() => parseExtensionHeader('foo '), { name: 'SyntaxError', message: 'Unexpected end of input' });
  assert.throws(() => parseExtensionHeader('foo;bar=""'), {
    name: 'SyntaxError',
    message: 'Unexpected character at index 9'
  });
  assert.throws(() => parseExtensionHeader(' foo'), {
    name: 'SyntaxError',
    message: 'Unexpected character at index 0'
  });
});

test('a seeded random differential against ws (bounded count)', () => {
  const alphabet = ['a', 'b', 'a', ' ', '\t', ';', ',', '=', '"', '\\', '@', 'é'];
  let seed = 0x5eed;
  const next = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  let valid = 0;
  for (let round = 0; round < 20000; round++) {
    const length = Math.floor(next() * 14);
    let header = '';
    for (let i = 0; i < length; i++) header += alphabet[Math.floor(next() * alphabet.length)];
    const expected = outcome(ws.extension.parse, header);
    if (expected.value !== undefined) valid++;
    assert.deepEqual(outcome(parseExtensionHeader, header), expected, JSON.stringify(header));
  }
  assert.ok(valid > 100, `valid inputs generated: ${valid}`);
});

test('results have null prototypes; dangerous names are plain keys and pollute nothing', () => {
  const result = parseExtensionHeader(
    '__proto__; __proto__=1; constructor, constructor; hasOwnProperty="x", toString; prototype=2; valueOf'
  );
  assert.equal(Object.getPrototypeOf(result), null);
  assert.deepEqual(Object.keys(result), ['__proto__', 'constructor', 'toString']);
  assert.equal(Array.isArray(result.__proto__), true);
  const [first] = result.__proto__;
  assert.equal(Object.getPrototypeOf(first), null);
  assert.deepEqual(Object.keys(first), ['__proto__', 'constructor']);
  assert.deepEqual(first.__proto__, ['1']);
  assert.deepEqual(first.constructor, [true]);
  assert.deepEqual(result.constructor[0].hasOwnProperty, ['x']);
  assert.deepEqual(result.toString[0].prototype, ['2']);
  assert.deepEqual(result.toString[0].valueOf, [true]);
  // Nothing leaked onto shared prototypes.
  assert.equal({}.hasOwnProperty, Object.prototype.hasOwnProperty);
  assert.equal(Object.prototype.__proto__, null);
  assert.equal(Object.keys(Object.prototype).length, 0);
  // A name that only exists on Object.prototype is absent, not inherited.
  assert.equal(parseExtensionHeader('foo').hasOwnProperty, undefined);
  assert.equal(parseExtensionHeader('foo').foo[0].toString, undefined);
});

test('isTokenChar accepts exactly the RFC 7230 tchar set', () => {
  let accepted = '';
  for (let code = 0; code < 0x10000; code++) if (isTokenChar(code)) accepted += String.fromCharCode(code);
  assert.equal(accepted, "!#$%&'*+-.0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ^_`abcdefghijklmnopqrstuvwxyz|~");
});

test('a 1 MB header parses in one pass (checked by size, not time)', () => {
  const unit = 'permessage-deflate; client_max_window_bits=10; a="b\\c", ';
  const count = Math.ceil((1 << 20) / unit.length);
  const header = unit.repeat(count) + 'last';
  assert.ok(header.length >= 1 << 20);
  const result = parseExtensionHeader(header);
  assert.equal(result['permessage-deflate'].length, count);
  assert.deepEqual(result['permessage-deflate'][count - 1].a, ['bc']);
  assert.deepEqual(result.last, [Object.assign(Object.create(null), {})]);

  // One extension with one parameter repeated ~100k times; and a 1 MB token.
  const params = parseExtensionHeader('x' + '; p=1'.repeat(200000));
  assert.equal(params.x[0].p.length, 200000);
  const long = 'a'.repeat(1 << 20);
  assert.deepEqual(Object.keys(parseExtensionHeader(long)), [long]);

  // The failure is found at the first bad character even far into a long header.
  assert.throws(() => parseExtensionHeader(long + ' x'), {
    name: 'SyntaxError',
    message: `Unexpected character at index ${(1 << 20) + 1}`
  });
  assert.throws(() => parseExtensionHeader(`a;b="${'c'.repeat(1 << 20)}`), {
    name: 'SyntaxError',
    message: 'Unexpected end of input'
  });
});

// format: inputs of every shape ws accepts, compared with ws's output.
const FORMAT_TABLE = [
  {},
  { foo: {} },
  { foo: [{}] },
  { foo: [{}, {}] },
  { foo: { bar: true } },
  { foo: { bar: [true] } },
  { foo: { bar: 1 } },
  { foo: { bar: 'x' } },
  { foo: { bar: [1, 2] } },
  { foo: { bar: [1, true, 'x'] } },
  { foo: [{ bar: 1 }, { baz: true }], q: {} },
  { foo: { bar: [] } },
  { foo: [] },
  { foo: [], q: {} },
  { foo: { bar: 0 } },
  { foo: { bar: '' } },
  { foo: { a: 1, b: 2 } },
  { 'permessage-deflate': { client_max_window_bits: true, server_no_context_takeover: true } },
  { 'permessage-deflate': [{ server_max_window_bits: 10 }, { client_max_window_bits: [true] }] },
  { foo: { bar: [1, []] } },
  { foo: { bar: null } },
  { foo: 'str' },
  { foo: 5 },
  JSON.parse('{"__proto__": {"__proto__": 1, "constructor": true}}')
];

for (const input of FORMAT_TABLE) {
  test(`format matches ws: ${JSON.stringify(input)}`, () => {
    assert.equal(formatExtensionHeader(input), ws.extension.format(input));
  });
}

test('format gives exact strings and throws like ws on null offers', () => {
  assert.equal(formatExtensionHeader({ a: [{ b: [1, true] }, {}], c: { d: 'e' } }), 'a; b=1; b, a, c; d=e');
  assert.equal(
    formatExtensionHeader({ 'permessage-deflate': { client_max_window_bits: true } }),
    'permessage-deflate; client_max_window_bits'
  );
  assert.throws(() => formatExtensionHeader({ foo: null }), {
    name: 'TypeError',
    message: 'Cannot convert undefined or null to object'
  });
  assert.throws(() => ws.extension.format({ foo: null }), { name: 'TypeError' });
});

test('format is the inverse of parse for valid headers in the table', () => {
  for (const header of TABLE) {
    let parsed;
    try {
      parsed = parseExtensionHeader(header);
    } catch {
      continue;
    }
    const formatted = formatExtensionHeader(parsed);
    assert.equal(formatted, ws.extension.format(ws.extension.parse(header)));
    assert.deepEqual(
      JSON.parse(JSON.stringify(parseExtensionHeader(formatted))),
      JSON.parse(JSON.stringify(parsed)),
      header
    );
  }
});
