// A sniffing TCP proxy for the permessage-deflate API tests: it forwards bytes between a client and a server on
// 127.0.0.1 unchanged and records, per connection and direction, the HTTP head and the header of every frame
// (RFC 6455 §5.2) without buffering payloads, so RSV1 placement (RFC 7692 §6) can be checked on the wire.
import net from 'node:net';

/**
 * Streaming frame tap: pushes `{ fin, rsv, opcode, length }` to `out` for each frame header it sees in the
 * chunks it is fed, skipping payloads without keeping them.
 */
export function frameTap(out) {
  let head = Buffer.alloc(0);
  let skip = 0;
  return (chunk) => {
    while (chunk.length > 0) {
      if (skip > 0) {
        const take = Math.min(skip, chunk.length);
        skip -= take;
        chunk = chunk.subarray(take);
        continue;
      }
      head = Buffer.concat([head, chunk]);
      chunk = Buffer.alloc(0);
      if (head.length < 2) return;
      const b1 = head[1];
      let length = b1 & 0x7f;
      let at = 2;
      if (length === 126) {
        if (head.length < 4) return;
        length = head.readUInt16BE(2);
        at = 4;
      } else if (length === 127) {
        if (head.length < 10) return;
        length = Number(head.readBigUInt64BE(2));
        at = 10;
      }
      if (b1 & 0x80) at += 4;
      if (head.length < at) return;
      out.push({ fin: (head[0] & 0x80) !== 0, rsv: (head[0] >> 4) & 7, opcode: head[0] & 0x0f, length });
      chunk = head.subarray(at);
      head = Buffer.alloc(0);
      skip = length;
    }
  };
}

/** Tap for one direction: the HTTP head first (handed to `onHead` as latin1 text), then frames into `out`. */
function directionTap(onHead, out) {
  let head = Buffer.alloc(0);
  let frames = null;
  return (chunk) => {
    if (frames !== null) return frames(chunk);
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf('\r\n\r\n');
    if (end === -1) return undefined;
    onHead(head.subarray(0, end).toString('latin1'));
    frames = frameTap(out);
    return frames(head.subarray(end + 4));
  };
}

/**
 * A TCP proxy to `port` on 127.0.0.1. `connections[i]` is `{ request, response, c2s, s2c }` for the i-th
 * connection: the two HTTP heads and the frame headers of each direction. Forwarding honours backpressure.
 */
export async function startSniffProxy(port) {
  const connections = [];
  const sockets = [];
  const server = net.createServer((down) => {
    const up = net.connect(port, '127.0.0.1');
    const record = { request: '', response: '', c2s: [], s2c: [] };
    connections.push(record);
    sockets.push(down, up);
    // Without this, Nagle plus delayed ACKs add 40 ms stalls to every small frame the proxy forwards.
    down.setNoDelay(true);
    up.setNoDelay(true);
    const toServer = directionTap((head) => (record.request = head), record.c2s);
    const toClient = directionTap((head) => (record.response = head), record.s2c);
    for (const [from, to, tap] of [[down, up, toServer], [up, down, toClient]]) {
      from.on('data', (chunk) => {
        tap(chunk);
        if (!to.write(chunk)) {
          from.pause();
          to.once('drain', () => from.resume());
        }
      });
      from.on('end', () => to.end());
      from.on('error', () => to.destroy());
      from.on('close', () => to.destroy());
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: server.address().port,
    connections,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(resolve));
    }
  };
}
