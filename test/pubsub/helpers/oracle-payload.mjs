// Oracle messages: each names its origin server, topic and number k (1, 2, ... per origin and topic, which is also
// the envelope's sequence number), and its body is derived from them, so the receiver can check every byte. Odd k
// are text, even k binary; every 7th is 2 KiB (over the deflate threshold), the rest small.

const BINARY_MARK = 0xb1;

function bodyLength(k) {
  return k % 7 === 0 ? 2048 : 24 + (k % 13);
}

/** The message origin `o` publishes as number `k` on topic index `t`. */
export function payloadFor(o, t, k) {
  const length = bodyLength(k);
  if (k % 2 === 1) {
    const head = `${o}|${t}|${k}|`;
    return head + 'abcdefghijklmnopqrstuvwxyz0123456789'.repeat(Math.ceil(length / 36)).slice(0, length);
  }
  const buffer = Buffer.alloc(8 + length);
  buffer[0] = BINARY_MARK;
  buffer[1] = o;
  buffer.writeUInt16BE(t, 2);
  buffer.writeUInt32BE(k, 4);
  for (let i = 8; i < buffer.length; i++) buffer[i] = (i * 31 + k) & 0xff;
  return buffer;
}

/** `{ o, t, k }` of a received message, after checking all its bytes; throws on any difference. */
export function parsePayload(data, isBinary) {
  let o;
  let t;
  let k;
  if (isBinary) {
    o = data[1];
    t = data.readUInt16BE(2);
    k = data.readUInt32BE(4);
  } else {
    [o, t, k] = data.toString().split('|', 3).map(Number);
  }
  const expected = payloadFor(o, t, k);
  const same = isBinary ? Buffer.isBuffer(expected) && expected.equals(data) : expected === data.toString();
  if (!same) throw new Error(`corrupted message o=${o} t=${t} k=${k} (${isBinary ? 'binary' : 'text'}, ${data.length} bytes)`);
  return { o, t, k };
}
