// For tests that need a real third-party peer: `peer(name)` gives its location (program path or Python interpreter)
// and a `skip` value for node:test. A missing peer is a skip with the one-line install hint, but under CI=true it is
// a failure: CI must have installed it (scripts/peers.mjs).
import { locatePeer, missingPeerMessage } from '../../scripts/peers-table.mjs';

/** `{ path, skip }`: `path` is undefined and `skip` a reason when the peer is missing outside CI. */
export function peer(name) {
  const path = locatePeer(name);
  if (path !== undefined) return { path, skip: false };
  const message = missingPeerMessage(name);
  if (process.env.CI === 'true') throw new Error(`CI=true: ${message}`);
  return { path: undefined, skip: message };
}
