// Simple, obviously-correct reference implementations for the hostile fuzz tests: a whole-buffer RFC 6455 frame
// checker (server side, no extensions) with ws's check order and sockwire's early UTF-8 rule (SPEC §10), and the
// Sec-WebSocket-Protocol / Sec-WebSocket-Extensions grammars (RFC 6455 §4.3 and §9.1 over RFC 7230 tokens).
// Slow on purpose: clarity over speed.

const VALID_CLOSE = (code) => (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);

/**
 * The stream ends inside a frame. Strict UTF-8 (README: differences): when it is text, the payload bytes that did
 * arrive must still be able to start valid UTF-8, or the reader fails without waiting for the rest.
 */
function partialText(bytes, pos, decoder, opcode, events) {
  const text = opcode === 0x1 || (opcode === 0x0 && decoder !== null);
  if (!text || pos + 4 > bytes.length) return events;
  const key = bytes.subarray(pos, pos + 4);
  const arrived = Buffer.from(bytes.subarray(pos + 4));
  for (let i = 0; i < arrived.length; i++) arrived[i] ^= key[i & 3];
  try {
    (decoder ?? new TextDecoder('utf-8', { fatal: true })).decode(arrived, { stream: true });
  } catch {
    events.push('error:WS_ERR_INVALID_UTF8');
  }
  return events;
}

/**
 * Events a server-side receiver must report for `bytes` (fed whole): 'message:text|binary:hex', 'ping:hex',
 * 'pong:hex', 'close:code:hex', or a final 'error:WS_ERR_*'. A trailing partial frame reports nothing, unless it
 * is text whose received part already cannot be valid UTF-8.
 * `maxPayload` 0 means no limit; fragment and chunk counts are not limited here.
 */
export function referenceEvents(bytes, { maxPayload = 0 } = {}) {
  const events = [];
  let at = 0;
  let messageOpcode = 0; // 0: no fragmented message in progress
  let parts = [];
  let total = 0;
  let decoder = null;
  const error = (code) => {
    events.push(`error:${code}`);
    return events;
  };
  for (;;) {
    if (at + 2 > bytes.length) return events;
    const b0 = bytes[at];
    const b1 = bytes[at + 1];
    if (b0 & 0x30) return error('WS_ERR_UNEXPECTED_RSV_2_3');
    if (b0 & 0x40) return error('WS_ERR_UNEXPECTED_RSV_1');
    const fin = (b0 & 0x80) !== 0;
    const opcode = b0 & 0x0f;
    let length = b1 & 0x7f;
    const isControl = opcode >= 0x8 && opcode <= 0xa;
    if (opcode === 0x0) {
      if (messageOpcode === 0) return error('WS_ERR_INVALID_OPCODE');
    } else if (opcode === 0x1 || opcode === 0x2) {
      if (messageOpcode !== 0) return error('WS_ERR_INVALID_OPCODE');
    } else if (isControl) {
      if (!fin) return error('WS_ERR_EXPECTED_FIN');
      if (length > 125 || (opcode === 0x8 && length === 1)) return error('WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH');
    } else return error('WS_ERR_INVALID_OPCODE');
    if ((b1 & 0x80) === 0) return error('WS_ERR_EXPECTED_MASK');
    let pos = at + 2;
    if (length === 126) {
      if (pos + 2 > bytes.length) return events;
      length = bytes.readUInt16BE(pos);
      pos += 2;
    } else if (length === 127) {
      if (pos + 8 > bytes.length) return events;
      const high = bytes.readUInt32BE(pos);
      if (high > 0x1fffff) return error('WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH');
      length = high * 2 ** 32 + bytes.readUInt32BE(pos + 4);
      pos += 8;
    }
    if (!isControl && length > 0 && maxPayload > 0 && total + length > maxPayload) return error('WS_ERR_UNSUPPORTED_MESSAGE_LENGTH');
    if (pos + 4 + length > bytes.length) return partialText(bytes, pos, opcode === 0x1 ? null : decoder, opcode, events);
    const key = bytes.subarray(pos, pos + 4);
    const payload = Buffer.alloc(length);
    for (let i = 0; i < length; i++) payload[i] = bytes[pos + 4 + i] ^ key[i & 3];
    at = pos + 4 + length;
    if (isControl) {
      if (opcode === 0x9) events.push(`ping:${payload.toString('hex')}`);
      else if (opcode === 0xa) events.push(`pong:${payload.toString('hex')}`);
      else {
        if (length === 0) {
          events.push('close:1005:');
          return events;
        }
        const code = payload.readUInt16BE(0);
        if (!VALID_CLOSE(code)) return error('WS_ERR_INVALID_CLOSE_CODE');
        const reason = payload.subarray(2);
        if (!isUtf8(reason)) return error('WS_ERR_INVALID_UTF8');
        events.push(`close:${code}:${reason.toString('hex')}`);
        return events;
      }
      continue;
    }
    if (opcode !== 0x0) {
      messageOpcode = opcode;
      parts = [];
      total = 0;
      decoder = opcode === 0x1 ? new TextDecoder('utf-8', { fatal: true }) : null;
    }
    parts.push(payload);
    total += length;
    if (decoder !== null) {
      // SPEC §10: fragmented text fails at the first fragment that cannot start valid UTF-8.
      try {
        decoder.decode(payload, { stream: !fin });
      } catch {
        return error('WS_ERR_INVALID_UTF8');
      }
    }
    if (fin) {
      const data = Buffer.concat(parts);
      events.push(`message:${messageOpcode === 0x1 ? 'text' : 'binary'}:${data.toString('hex')}`);
      messageOpcode = 0;
      parts = [];
      total = 0;
      decoder = null;
    }
  }
}

function isUtf8(bytes) {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** RFC 7230 §3.2.6 tchar. */
export function isTokenChar(ch) {
  return /^[!#$%&'*+\-.^_`|~0-9A-Za-z]$/.test(ch);
}
const isToken = (text) => text.length > 0 && [...text].every(isTokenChar);
const isOws = (ch) => ch === ' ' || ch === '\t';

/** RFC 6455 §4.3 Sec-WebSocket-Protocol: 1#token. Returns the Set, or 'SyntaxError'. Duplicates are errors. */
export function referenceSubprotocols(header) {
  // HTTP parsers strip OWS around a field value (RFC 7230 §3.2.4), so ws treats it as malformed when present.
  if (hasOuterOws(header)) return 'SyntaxError';
  const out = new Set();
  for (const item of header.split(',')) {
    const trimmed = trimOws(item);
    if (!isToken(trimmed) || out.has(trimmed)) return 'SyntaxError';
    out.add(trimmed);
  }
  return out;
}

function hasOuterOws(text) {
  return text.length > 0 && (isOws(text[0]) || isOws(text[text.length - 1]));
}

function trimOws(text) {
  let start = 0;
  let end = text.length;
  while (start < end && isOws(text[start])) start++;
  while (end > start && isOws(text[end - 1])) end--;
  return text.slice(start, end);
}

/**
 * RFC 6455 §9.1 Sec-WebSocket-Extensions: 1#( token *( ";" token [ "=" ( token / quoted-string ) ] ) ), where a
 * quoted value must unescape to a token. OWS is allowed around "," and ";" but not "=", nor at either end. Returns a null-prototype-free
 * plain description `[[name, [[param, value|true], ...]], ...]` grouped per name as ws does, or 'SyntaxError'.
 */
export function referenceExtensions(header) {
  if (hasOuterOws(header)) return 'SyntaxError';
  const result = new Map();
  let i = 0;
  const n = header.length;
  const skipOws = () => {
    while (i < n && isOws(header[i])) i++;
  };
  const readToken = () => {
    const start = i;
    while (i < n && isTokenChar(header[i])) i++;
    return header.slice(start, i);
  };
  for (;;) {
    skipOws();
    const name = readToken();
    if (name === '') return 'SyntaxError';
    const params = [];
    skipOws();
    while (i < n && header[i] === ';') {
      i++;
      skipOws();
      const key = readToken();
      if (key === '') return 'SyntaxError';
      let value = true;
      // No whitespace around "=" (the §9.1 ABNF has none).
      if (i < n && header[i] === '=') {
        i++;
        if (header[i] === '"') {
          i++;
          let text = '';
          while (i < n && header[i] !== '"') {
            if (header[i] === '\\') i++;
            if (i >= n) return 'SyntaxError';
            text += header[i++];
          }
          if (i >= n) return 'SyntaxError';
          i++;
          if (!isToken(text)) return 'SyntaxError';
          value = text;
        } else {
          value = readToken();
          if (value === '') return 'SyntaxError';
        }
      }
      skipOws();
      params.push([key, value]);
    }
    if (!result.has(name)) result.set(name, []);
    result.get(name).push(byParam(params));
    if (i >= n) break;
    if (header[i] !== ',') return 'SyntaxError';
    i++;
  }
  return result;
}

/** Turn `extension.parse` output into the reference's shape: Map name → list of [param, value] lists. */
export function normaliseExtensions(parsed) {
  const out = new Map();
  for (const name of Object.keys(parsed)) {
    out.set(
      name,
      parsed[name].map((offer) => byParam(Object.keys(offer).flatMap((key) => offer[key].map((value) => [key, value]))))
    );
  }
  return out;
}

/**
 * An offer's [param, value] pairs ordered by param name, each param's values kept in their order. ws's parse result
 * is an object, which cannot keep the order of different params (integer-like names such as "1" even come first),
 * so both sides are compared in this form.
 */
export function byParam(pairs) {
  return [...pairs].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}
