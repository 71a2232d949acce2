// permessage-deflate negotiation (RFC 7692 §5, §7.1), differential against ws 8's PerMessageDeflate: the same
// options and the same parsed offers go to both; results (or error class + message) must be identical.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { PerMessageDeflate } = require('../../dist/cjs/extensions/permessage-deflate.js');
const ws = require('ws');
const WsPerMessageDeflate = ws.PerMessageDeflate;
const parse = ws.extension.parse;

/** Parse a header and return the permessage-deflate parameter list (fresh objects: ws mutates its input). */
function offersOf(header) {
  return parse(header)['permessage-deflate'];
}

function outcome(Impl, options, header) {
  const ext = new Impl({ ...options });
  try {
    const result = ext.accept(offersOf(header));
    assert.deepEqual({ ...ext.params }, { ...result }, 'params is the returned object');
    return { result: { ...result } };
  } catch (error) {
    return { error: `${error.constructor.name}: ${error.message}` };
  }
}

const P = 'permessage-deflate';

// [server options, offer header, expected outcome]: the expectation is written out so the test also fails if both
// implementations drift the same way.
const serverCases = [
  [{}, P, {}],
  [{}, `${P}; client_max_window_bits`, {}],
  [{}, `${P}; client_max_window_bits=10`, { client_max_window_bits: 10 }],
  [{}, `${P}; server_max_window_bits=11`, { server_max_window_bits: 11 }],
  [{}, `${P}; server_no_context_takeover`, { server_no_context_takeover: true }],
  [{}, `${P}; client_no_context_takeover`, { client_no_context_takeover: true }],
  [{}, `${P}; server_max_window_bits=15; client_max_window_bits=15`, { server_max_window_bits: 15, client_max_window_bits: 15 }],
  [{}, `${P}; server_max_window_bits=8`, { server_max_window_bits: 8 }],
  [{}, `${P}; foo`, 'Error: Unknown parameter "foo"'],
  [{}, `${P}, ${P}; foo`, 'Error: Unknown parameter "foo"'],
  [{}, `${P}; foo=1; foo=2`, 'Error: Parameter "foo" must have only a single value'],
  [{}, `${P}; server_max_window_bits=11; server_max_window_bits=12`, 'Error: Parameter "server_max_window_bits" must have only a single value'],
  [{}, `${P}; client_no_context_takeover; client_no_context_takeover`, 'Error: Parameter "client_no_context_takeover" must have only a single value'],
  [{}, `${P}; server_max_window_bits`, 'TypeError: Invalid value for parameter "server_max_window_bits": true'],
  [{}, `${P}; server_max_window_bits=7`, 'TypeError: Invalid value for parameter "server_max_window_bits": 7'],
  [{}, `${P}; server_max_window_bits=16`, 'TypeError: Invalid value for parameter "server_max_window_bits": 16'],
  [{}, `${P}; client_max_window_bits=7`, 'TypeError: Invalid value for parameter "client_max_window_bits": 7'],
  [{}, `${P}; client_max_window_bits=1a`, 'TypeError: Invalid value for parameter "client_max_window_bits": 1a'],
  [{}, `${P}; client_max_window_bits="x"`, 'TypeError: Invalid value for parameter "client_max_window_bits": x'],
  [{}, `${P}; server_max_window_bits="10"`, { server_max_window_bits: 10 }],
  [{}, `${P}; server_no_context_takeover=1`, 'TypeError: Invalid value for parameter "server_no_context_takeover": 1'],
  [{}, `${P}; client_no_context_takeover="true"`, 'TypeError: Invalid value for parameter "client_no_context_takeover": true'],
  [{}, `${P}; foo; server_max_window_bits=x`, 'Error: Unknown parameter "foo"'],
  [{}, `${P}; server_max_window_bits=x; foo`, 'TypeError: Invalid value for parameter "server_max_window_bits": x'],
  [{}, `${P}, ${P}; server_max_window_bits=x`, 'TypeError: Invalid value for parameter "server_max_window_bits": x'],
  [{ serverMaxWindowBits: 10 }, `${P}; server_max_window_bits=11`, { server_max_window_bits: 10 }],
  [{ serverMaxWindowBits: 10 }, `${P}; server_max_window_bits=10`, { server_max_window_bits: 10 }],
  [{ serverMaxWindowBits: 12 }, `${P}; server_max_window_bits=11`, 'Error: None of the extension offers can be accepted'],
  [{ serverMaxWindowBits: 12 }, `${P}; server_max_window_bits=11, ${P}`, { server_max_window_bits: 12 }],
  [{ serverMaxWindowBits: 9 }, P, { server_max_window_bits: 9 }],
  [{ serverMaxWindowBits: false }, `${P}; server_max_window_bits=9`, 'Error: None of the extension offers can be accepted'],
  [{ serverMaxWindowBits: false }, `${P}; server_max_window_bits=9, ${P}`, {}],
  [{ serverMaxWindowBits: true }, `${P}; server_max_window_bits=9`, { server_max_window_bits: 9 }],
  [{ serverNoContextTakeover: false }, `${P}; server_no_context_takeover`, 'Error: None of the extension offers can be accepted'],
  [{ serverNoContextTakeover: false }, `${P}; server_no_context_takeover, ${P}`, {}],
  [{ serverNoContextTakeover: true }, P, { server_no_context_takeover: true }],
  [{ serverNoContextTakeover: true }, `${P}; server_max_window_bits=9`, { server_max_window_bits: 9, server_no_context_takeover: true }],
  [{ clientNoContextTakeover: true }, P, { client_no_context_takeover: true }],
  [{ clientNoContextTakeover: false }, `${P}; client_no_context_takeover`, { client_no_context_takeover: true }],
  [{ clientMaxWindowBits: 10 }, P, 'Error: None of the extension offers can be accepted'],
  [{ clientMaxWindowBits: 10 }, `${P}; client_max_window_bits`, { client_max_window_bits: 10 }],
  [{ clientMaxWindowBits: 10 }, `${P}; client_max_window_bits=12`, { client_max_window_bits: 10 }],
  [{ clientMaxWindowBits: 10 }, `${P}; client_max_window_bits=10`, { client_max_window_bits: 10 }],
  [{ clientMaxWindowBits: 10 }, `${P}; client_max_window_bits=9`, 'Error: None of the extension offers can be accepted'],
  [{ clientMaxWindowBits: 9 }, `${P}, ${P}; client_max_window_bits`, { client_max_window_bits: 9 }],
  [{ clientMaxWindowBits: false }, `${P}; client_max_window_bits=9`, {}],
  [{ clientMaxWindowBits: true }, `${P}; client_max_window_bits=9`, { client_max_window_bits: 9 }],
  [
    { serverNoContextTakeover: true, clientNoContextTakeover: true, clientMaxWindowBits: 10 },
    `${P}; client_max_window_bits=12`,
    { client_max_window_bits: 10, server_no_context_takeover: true, client_no_context_takeover: true }
  ],
  [
    { serverMaxWindowBits: 9, clientMaxWindowBits: 9, serverNoContextTakeover: true, clientNoContextTakeover: true },
    `${P}; client_max_window_bits; server_max_window_bits=9`,
    { client_max_window_bits: 9, server_max_window_bits: 9, server_no_context_takeover: true, client_no_context_takeover: true }
  ],
  [{ serverMaxWindowBits: 9 }, `${P}; server_max_window_bits=8, ${P}; server_max_window_bits=10`, { server_max_window_bits: 9 }]
];

// [client options, response header, expected outcome]
const clientCases = [
  [{}, P, {}],
  [{}, `${P}; client_max_window_bits=10`, { client_max_window_bits: 10 }],
  [{}, `${P}; client_max_window_bits`, 'TypeError: Invalid value for parameter "client_max_window_bits": true'],
  [{}, `${P}; server_max_window_bits=9; client_no_context_takeover; server_no_context_takeover`, { server_max_window_bits: 9, client_no_context_takeover: true, server_no_context_takeover: true }],
  [{}, `${P}; a`, 'Error: Unknown parameter "a"'],
  [{}, `${P}, ${P}; a`, 'Error: Unknown parameter "a"'],
  [{}, `${P}, ${P}`, {}],
  [{ clientMaxWindowBits: false }, `${P}; client_max_window_bits=10`, 'Error: Unexpected or invalid parameter "client_max_window_bits"'],
  [{ clientMaxWindowBits: 12 }, `${P}; client_max_window_bits=13`, 'Error: Unexpected or invalid parameter "client_max_window_bits"'],
  [{ clientMaxWindowBits: 12 }, `${P}; client_max_window_bits=11`, { client_max_window_bits: 11 }],
  [{ clientMaxWindowBits: 12 }, P, { client_max_window_bits: 12 }],
  [{ clientMaxWindowBits: 9 }, `${P}; server_max_window_bits=10; client_no_context_takeover`, { server_max_window_bits: 10, client_no_context_takeover: true, client_max_window_bits: 9 }],
  [{ clientMaxWindowBits: true }, `${P}; client_max_window_bits=9`, { client_max_window_bits: 9 }],
  [{ serverNoContextTakeover: true }, P, {}],
  [{ serverNoContextTakeover: false }, `${P}; server_no_context_takeover`, { server_no_context_takeover: true }],
  [{ serverMaxWindowBits: 10 }, `${P}; server_max_window_bits=11`, { server_max_window_bits: 11 }],
  [{ serverMaxWindowBits: false }, `${P}; server_max_window_bits=9`, { server_max_window_bits: 9 }],
  [{ clientNoContextTakeover: false }, `${P}; client_no_context_takeover`, 'Error: Unexpected parameter "client_no_context_takeover"'],
  [{ clientNoContextTakeover: true }, P, {}],
  [
    { clientNoContextTakeover: false, clientMaxWindowBits: false },
    `${P}; client_max_window_bits=10; client_no_context_takeover`,
    'Error: Unexpected parameter "client_no_context_takeover"'
  ],
  [{}, `${P}; server_max_window_bits=16`, 'TypeError: Invalid value for parameter "server_max_window_bits": 16']
];

function expected(value) {
  return typeof value === 'string' ? { error: value } : { result: value };
}

test(`server accept: ${serverCases.length} option/offer sets match ws`, () => {
  for (const [options, header, want] of serverCases) {
    const label = `${JSON.stringify(options)} ${header}`;
    const ours = outcome(PerMessageDeflate, { ...options, isServer: true }, header);
    const theirs = outcome(WsPerMessageDeflate, { ...options, isServer: true }, header);
    assert.deepEqual(theirs, expected(want), `ws: ${label}`);
    assert.deepEqual(ours, theirs, label);
  }
});

test(`client accept: ${clientCases.length} option/response sets match ws`, () => {
  for (const [options, header, want] of clientCases) {
    const label = `${JSON.stringify(options)} ${header}`;
    const ours = outcome(PerMessageDeflate, options, header);
    const theirs = outcome(WsPerMessageDeflate, options, header);
    assert.deepEqual(theirs, expected(want), `ws: ${label}`);
    assert.deepEqual(ours, theirs, label);
  }
});

test('accepted parameters keep ws key order (it shapes the response header)', () => {
  for (const [options, header] of serverCases) {
    const ours = outcome(PerMessageDeflate, { ...options, isServer: true }, header);
    const theirs = outcome(WsPerMessageDeflate, { ...options, isServer: true }, header);
    if (ours.result) assert.deepEqual(Object.keys(ours.result), Object.keys(theirs.result), header);
  }
  for (const [options, header] of clientCases) {
    const ours = outcome(PerMessageDeflate, options, header);
    const theirs = outcome(WsPerMessageDeflate, options, header);
    if (ours.result) assert.deepEqual(Object.keys(ours.result), Object.keys(theirs.result), header);
  }
});

test('offer() matches ws for every option value, keys in the same order', () => {
  const values = [undefined, null, true, false, 0, 1, 8, 9, 15, 16, ''];
  const names = ['serverNoContextTakeover', 'clientNoContextTakeover', 'serverMaxWindowBits', 'clientMaxWindowBits'];
  let compared = 0;
  for (const name of names) {
    for (const value of values) {
      for (const isServer of [false, true]) {
        const ours = new PerMessageDeflate({ [name]: value, isServer }).offer();
        const theirs = new WsPerMessageDeflate({ [name]: value, isServer }).offer();
        assert.deepEqual(ours, theirs, `${name}=${value}`);
        assert.deepEqual(Object.keys(ours), Object.keys(theirs), `${name}=${value}`);
        compared += 1;
      }
    }
  }
  assert.equal(compared, 88);
  assert.deepEqual(new PerMessageDeflate().offer(), { client_max_window_bits: true });
  const all = new PerMessageDeflate({
    serverNoContextTakeover: true,
    clientNoContextTakeover: true,
    serverMaxWindowBits: 10,
    clientMaxWindowBits: 9
  }).offer();
  assert.deepEqual(Object.entries(all), [
    ['server_no_context_takeover', true],
    ['client_no_context_takeover', true],
    ['server_max_window_bits', 10],
    ['client_max_window_bits', 9]
  ]);
});

test('deliberate divergence: window bits must be plain decimals 8-15 without leading zeros (RFC 7692 §7.1.2)', () => {
  // ws turns these into numbers with Number() and accepts them; RFC 7692 §7.1.2.1/§7.1.2.2 forbids them.
  const forms = ['08', '09', '010', '+9', '9.0', '1e1', '0x9', '0b1001', ' 9'];
  for (const form of forms) {
    for (const name of ['server_max_window_bits', 'client_max_window_bits']) {
      const offers = [{ [name]: [form] }];
      const theirs = new WsPerMessageDeflate({ isServer: true }).accept([{ [name]: [form] }]);
      assert.equal(typeof theirs[name], 'number', `ws accepts ${name}=${form}`);
      assert.throws(
        () => new PerMessageDeflate({ isServer: true }).accept(offers),
        { name: 'TypeError', message: `Invalid value for parameter "${name}": ${form}` },
        `${name}=${form}`
      );
    }
  }
});

test('params is null before accept; accept replaces it; static extensionName', () => {
  assert.equal(PerMessageDeflate.extensionName, 'permessage-deflate');
  const ext = new PerMessageDeflate({ isServer: true });
  assert.equal(ext.params, null);
  assert.deepEqual(ext.accept(offersOf(P)), {});
  assert.deepEqual(ext.accept(offersOf(`${P}; server_no_context_takeover`)), { server_no_context_takeover: true });
  assert.deepEqual(ext.params, { server_no_context_takeover: true });
});

test('accept does not mutate the parsed offers it is given', () => {
  const offers = offersOf(`${P}; server_max_window_bits=10`);
  new PerMessageDeflate({ isServer: true, serverMaxWindowBits: 9 }).accept(offers);
  assert.deepEqual(offers[0].server_max_window_bits, ['10']);
});

test('server/client role: options.isServer (ws 8.23) and the legacy positional arguments', () => {
  assert.equal(new PerMessageDeflate().isServer, false);
  assert.equal(new PerMessageDeflate({ isServer: true }).isServer, true);
  assert.equal(new PerMessageDeflate({}, true).isServer, true);
  assert.equal(new PerMessageDeflate({ maxPayload: 5 }).maxPayload, 5);
  assert.equal(new PerMessageDeflate({}, false, 7).maxPayload, 7);
  assert.equal(new PerMessageDeflate().maxPayload, 0);
  // A client refuses client_max_window_bits without a value; a server takes it.
  assert.throws(() => new PerMessageDeflate({}, false).accept(offersOf(`${P}; client_max_window_bits`)), TypeError);
  assert.deepEqual(new PerMessageDeflate({}, true).accept(offersOf(`${P}; client_max_window_bits`)), {});
});

test('threshold: 1024 by default, the option otherwise (as ws)', () => {
  assert.equal(new PerMessageDeflate().threshold, 1024);
  assert.equal(new PerMessageDeflate(null).threshold, 1024);
  assert.equal(new PerMessageDeflate({ threshold: 0 }).threshold, 0);
  assert.equal(new PerMessageDeflate({ threshold: 10 }).threshold, 10);
});
