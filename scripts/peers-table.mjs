// The real third-party peers and services the tests run against, each from one Debian package. One table for the
// installer (scripts/peers.mjs, run by `npm test`) and for the tests (test/helpers/peers.mjs), so a peer is
// declared once. A probe is either a program looked up on PATH and in the sbin directories, or a Python module.
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** name → { apt: Debian package, program | python: what proves it is there, usedBy: the tests that need it } */
export const PEERS = {
  chromium: { apt: 'chromium', program: 'chromium', usedBy: 'test/interop (browser)' },
  'python3-websockets': { apt: 'python3-websockets', python: 'websockets', usedBy: 'test/interop (python)' },
  'redis-server': { apt: 'redis-server', program: 'redis-server', usedBy: 'test/pubsub (Redis)' },
  'redis-cli': { apt: 'redis-tools', program: 'redis-cli', usedBy: 'test/pubsub (Redis Cluster)' },
  tinyproxy: { apt: 'tinyproxy', program: 'tinyproxy', usedBy: 'test/proxy' },
  squid: { apt: 'squid', program: 'squid', usedBy: 'test/proxy' },
  htpasswd: { apt: 'apache2-utils', program: 'htpasswd', usedBy: 'test/proxy (squid auth)' },
  stunnel: { apt: 'stunnel4', program: 'stunnel4', usedBy: 'test/proxy (HTTPS proxy)' },
  microsocks: { apt: 'microsocks', program: 'microsocks', usedBy: 'test/proxy (SOCKS5)' },
  danted: { apt: 'dante-server', program: 'danted', usedBy: 'test/proxy (SOCKS5)' },
  nghttpx: { apt: 'nghttp2-proxy', program: 'nghttpx', usedBy: 'test/http2 (reverse proxy)' },
  haproxy: { apt: 'haproxy', program: 'haproxy', usedBy: 'test/http2 (reverse proxy)' },
  'python3-h2': { apt: 'python3-h2', python: 'h2', usedBy: 'test/http2 (python client)' },
  'python3-wsproto': { apt: 'python3-wsproto', python: 'wsproto', usedBy: 'test/http2 (python client)' },
  socat: { apt: 'socat', program: 'socat', usedBy: 'test/client (silent dead peer)' }
};

const SEARCH_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** Absolute path of a program, or undefined. The sbin directories count even when PATH lacks them. */
export function findProgram(program) {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...SEARCH_DIRS];
  for (const dir of dirs) {
    const path = join(dir, program);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/** The Python interpreter that can import `module`: $SOCKWIRE_PYTHON, python3 on PATH, then Debian's. */
export function findPython(module) {
  const candidates = [process.env.SOCKWIRE_PYTHON, 'python3', '/usr/bin/python3'].filter(Boolean);
  for (const candidate of candidates) {
    const probe = spawnSync(candidate, ['-c', `import ${module}`], { stdio: 'ignore', timeout: 10000 });
    if (probe.status === 0) return candidate;
  }
  return undefined;
}

/** Where the peer is (program path or python interpreter), or undefined when it is missing. */
export function locatePeer(name) {
  const peer = PEERS[name];
  if (peer === undefined) throw new Error(`unknown peer ${name}: add it to scripts/peers-table.mjs`);
  return peer.program !== undefined ? findProgram(peer.program) : findPython(peer.python);
}

/** One line telling how to get a missing peer. */
export function missingPeerMessage(name) {
  const peer = PEERS[name];
  return `missing test peer ${name} (needed by ${peer.usedBy}): run \`npm test\` as root, or \`sudo apt-get install ${peer.apt}\``;
}
