// Sec-WebSocket-Protocol grammar (RFC 6455 §4.1, §11.3.4): a list of unique tokens, with ws's exact messages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { parseSubprotocolHeader } = require('../../dist/cjs/core/subprotocol-header.js');
const ws = require('ws');

function outcome(fn, input) {
  try {
    return { value: [...fn(input)] };
  } catch (error) {
    return { error: `${error.constructor.name}: ${error.message}` };
  }
}

const TABLE = [
  '', ' ', '\t', 'a', 'a,b', 'a, b', 'a ,b', 'a , b', 'a,', ',a', 'a,,b', 'a, ,b', 'a,a', 'a, a', 'a b', ' a',
  'a ', 'a\t', '\ta', 'a;b', 'a@b', 'é', 'chat, superchat', '__proto__', 'a,b,a', 'a,  b', 'A,a', 'a\t,\tb',
  'a ,', 'a, ', 'a,a b', 'a,a ,@', 'a,a@', 'a,a ', 'a,a,', 'a,a,,', 'x"y', 'a=b', "!#$%&'*+-.^_`|~",
  'constructor, hasOwnProperty, toString', 'v1.chat.example.com, v2', 'a\r\nb', '😀'
];

test('the differential table has at least 40 rows, valid and invalid', () => {
  assert.ok(TABLE.length >= 40);
  const valid = TABLE.filter((header) => outcome(ws.subprotocol.parse, header).value !== undefined);
  assert.ok(valid.length >= 10 && TABLE.length - valid.length >= 20, `valid rows: ${valid.length}`);
});

for (const header of TABLE) {
  test(`parse matches ws: ${JSON.stringify(header)}`, () => {
    assert.deepEqual(outcome(parseSubprotocolHeader, header), outcome(ws.subprotocol.parse, header));
  });
}

test('exact sets and messages', () => {
  const set = parseSubprotocolHeader('chat ,\tsuperchat, A, a');
  assert.ok(set instanceof Set);
  assert.deepEqual([...set], ['chat', 'superchat', 'A', 'a']);
  assert.throws(() => parseSubprotocolHeader(''), { name: 'SyntaxError', message: 'Unexpected end of input' });
  assert.throws(() => parseSubprotocolHeader('a, '), { name: 'SyntaxError', message: 'Unexpected end of input' });
  assert.throws(() => parseSubprotocolHeader('a,,b'), {
    name: 'SyntaxError',
    message: 'Unexpected character at index 2'
  });
  assert.throws(() => parseSubprotocolHeader('a b'), {
    name: 'SyntaxError',
    message: 'Unexpected character at index 2'
  });
  assert.throws(() => parseSubprotocolHeader('x, y, x'), {
    name: 'SyntaxError',
    message: 'The "x" subprotocol is duplicated'
  });
  // A duplicate is reported when its item ends, before a later bad character.
  assert.throws(() => parseSubprotocolHeader('a,a ,@'), {
    name: 'SyntaxError',
    message: 'The "a" subprotocol is duplicated'
  });
});

test('a seeded random differential against ws (bounded count)', () => {
  const alphabet = ['a', 'b', 'a', 'b', ' ', '\t', ',', ',', '@'];
  let seed = 42;
  const next = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  let valid = 0;
  for (let round = 0; round < 20000; round++) {
    const length = Math.floor(next() * 10);
    let header = '';
    for (let i = 0; i < length; i++) header += alphabet[Math.floor(next() * alphabet.length)];
    const expected = outcome(ws.subprotocol.parse, header);
    if (expected.value !== undefined) valid++;
    assert.deepEqual(outcome(parseSubprotocolHeader, header), expected, JSON.stringify(header));
  }
  assert.ok(valid > 100, `valid inputs generated: ${valid}`);
});

test('names like __proto__ are ordinary entries', () => {
  const set = parseSubprotocolHeader('__proto__, constructor, hasOwnProperty');
  assert.deepEqual([...set], ['__proto__', 'constructor', 'hasOwnProperty']);
  assert.equal(Object.keys(Object.prototype).length, 0);
  assert.throws(() => parseSubprotocolHeader('__proto__, __proto__'), {
    message: 'The "__proto__" subprotocol is duplicated'
  });
});

test('a 1 MB header parses in one pass (checked by size, not time)', () => {
  const names = [];
  let length = 0;
  for (let i = 0; length < 1 << 20; i++) {
    const name = `p${i}`;
    names.push(name);
    length += name.length + 2;
  }
  const header = names.join(', ');
  assert.ok(header.length >= (1 << 20) - 2);
  const set = parseSubprotocolHeader(header);
  assert.equal(set.size, names.length);
  assert.equal([...set].at(-1), names.at(-1));
  assert.throws(() => parseSubprotocolHeader(`${header}, p0`), {
    name: 'SyntaxError',
    message: 'The "p0" subprotocol is duplicated'
  });
  const long = 'a'.repeat(1 << 20);
  assert.deepEqual([...parseSubprotocolHeader(long)], [long]);
  assert.throws(() => parseSubprotocolHeader(`${long};`), {
    name: 'SyntaxError',
    message: `Unexpected character at index ${1 << 20}`
  });
});
