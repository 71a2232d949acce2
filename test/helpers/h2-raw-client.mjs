// A raw HTTP/2 client on node:http2 for wire checks: open a session, wait for the server's SETTINGS, send an
// extended CONNECT (RFC 8441 §5) with exactly the headers a test gives, and report the answer: `:status` and
// headers, the body of a refusal, or the RST_STREAM code when the stream is reset instead.
import http2 from 'node:http2';
import { once } from 'node:events';
import { ca } from './h2-fixture.mjs';

/** Connect to `origin` ('https://…' trusts the test CA) and resolve after the server's first SETTINGS. */
export async function rawSession(origin, options = {}) {
  const session = http2.connect(origin, { ca, ...options });
  session.on('error', () => {});
  const [settings] = await once(session, 'remoteSettings', { signal: AbortSignal.timeout(8000) });
  return { session, settings };
}

/** The headers of a valid WebSocket extended CONNECT for `path`, with `extra` merged over them (null drops one). */
export function connectHeaders(path = '/', extra = {}) {
  const headers = { ':method': 'CONNECT', ':protocol': 'websocket', ':path': path, 'sec-websocket-version': '13', ...extra };
  for (const [name, value] of Object.entries(headers)) if (value === null) delete headers[name];
  return headers;
}

/**
 * Send `headers` on a new stream; resolve `{ status, headers, body, stream }` when a response ends (or, for a 200,
 * as soon as it arrives), or `{ rstCode }` when the stream closes without a response.
 */
export function rawRequest(session, headers) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('raw HTTP/2 request timed out')), 8000);
    const stream = session.request(headers, { endStream: false });
    const chunks = [];
    let response = null;
    stream.on('error', () => {});
    stream.on('response', (h) => {
      response = { status: h[':status'], headers: h, stream };
      if (h[':status'] === 200) {
        clearTimeout(timer);
        resolve(response);
      }
    });
    stream.on('data', (chunk) => chunks.push(chunk));
    // A refusal ends the response (END_STREAM); the stream itself may stay half-open until the server resets it.
    stream.on('end', () => {
      clearTimeout(timer);
      if (response !== null) resolve({ ...response, body: Buffer.concat(chunks).toString() });
    });
    stream.on('close', () => {
      clearTimeout(timer);
      if (response === null) resolve({ rstCode: stream.rstCode });
    });
  });
}
