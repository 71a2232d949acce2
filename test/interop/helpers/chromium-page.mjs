// Code that runs inside the browser page (installed with `page.evaluate(installPageHelpers)`): a promise-based
// wrapper around the page's own WebSocket, SHA-256 via WebCrypto, and generators of random bytes and of text with
// an exact UTF-8 length. Every wait inside the page is bounded by `within`.

/** Installs `window.sw` in the page. Serialised by playwright, so it must not close over anything. */
export function installPageHelpers() {
  const within = (promise, ms, what) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`page: timed out waiting for ${what}`)), ms);
      promise.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error) => {
          clearTimeout(timer);
          reject(error);
        }
      );
    });

  /** Open a socket; resolves after 'open' or 'close' with a handle recording every event in order. */
  const connect = (url, protocols) =>
    within(
      new Promise((resolve) => {
        const ws = protocols === undefined ? new WebSocket(url) : new WebSocket(url, protocols);
        const events = [];
        const inbox = [];
        const waiters = [];
        let closeEvent;
        const closeWaiters = [];
        const handle = {
          ws,
          events,
          next: (what = 'a message') =>
            within(inbox.length > 0 ? Promise.resolve(inbox.shift()) : new Promise((r) => waiters.push(r)), 20000, what),
          closed: () =>
            within(closeEvent !== undefined ? Promise.resolve(closeEvent) : new Promise((r) => closeWaiters.push(r)), 10000, 'close')
        };
        ws.addEventListener('message', (event) => {
          const waiter = waiters.shift();
          if (waiter) waiter(event.data);
          else inbox.push(event.data);
        });
        ws.addEventListener('open', () => {
          events.push('open');
          resolve(handle);
        });
        ws.addEventListener('error', () => events.push('error'));
        ws.addEventListener('close', (event) => {
          closeEvent = { code: event.code, reason: event.reason, wasClean: event.wasClean };
          events.push(`close ${event.code}`);
          for (const waiter of closeWaiters.splice(0)) waiter(closeEvent);
          resolve(handle);
        });
      }),
      10000,
      `the connection to ${url}`
    );

  const hex = (buffer) => Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, '0')).join('');
  const sha256 = async (data) => hex(await crypto.subtle.digest('SHA-256', data));

  const randomBytes = (size) => {
    const bytes = new Uint8Array(size);
    // getRandomValues fills at most 65536 bytes per call.
    for (let i = 0; i < size; i += 65536) crypto.getRandomValues(bytes.subarray(i, Math.min(size, i + 65536)));
    return bytes;
  };

  /** Random text whose UTF-8 encoding is exactly `size` bytes, mixing 1- to 4-byte characters. */
  const randomText = (size) => {
    const pieces = ['a', 'Z', ' ', 'é', 'ß', '€', '✓', '😀', '𝄞'];
    const widths = pieces.map((p) => new TextEncoder().encode(p).length);
    const parts = [];
    let left = size;
    const noise = randomBytes(Math.min(size, 1 << 20) + 1);
    let n = 0;
    while (left > 0) {
      let index = noise[n++ % noise.length] % pieces.length;
      if (widths[index] > left) index = 0; // 'a' always fits
      parts.push(pieces[index]);
      left -= widths[index];
    }
    return parts.join('');
  };

  window.sw = { within, connect, sha256, randomBytes, randomText, utf8: (text) => new TextEncoder().encode(text) };
}
