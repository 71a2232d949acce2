// Opens one client against a raw accepting peer and registers cleanup with the test context, so a failing
// assertion cannot leave sockets open and keep the process alive.
import { once } from './client-events.mjs';
import { startAcceptingServer } from './client-raw-server.mjs';

/**
 * Starts a raw peer, connects `new WebSocket(url, protocols, options)` to it and waits for 'open'. `responseLines`
 * are extra header lines for the 101 (e.g. an accepted extension). Resolves with `{ ws, peer, server }` where
 * `peer` is `{ socket, request, frames }` from the raw server.
 */
export async function connectClient(t, WebSocket, { protocols, options, responseLines = [], path = '/' } = {}) {
  let resolvePeer;
  const peerReady = new Promise((resolve) => (resolvePeer = resolve));
  const server = await startAcceptingServer(resolvePeer, () => responseLines);
  const ws = new WebSocket(server.url + path, protocols, options);
  t.after(async () => {
    ws.terminate();
    await server.close();
  });
  await once(ws, 'open');
  const peer = await peerReady;
  return { ws, peer, server };
}
