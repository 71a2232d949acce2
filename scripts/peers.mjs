// Makes sure the real test peers of scripts/peers-table.mjs are installed; `npm test` runs it first, so the README's
// test command works on a fresh Debian machine. As root with apt-get, missing packages are installed (daemons are
// kept from starting: tests start their own on free ports). Without root, one line per missing peer says how to get
// it and the tests that need it skip, except under CI=true, where a missing peer fails the run.
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { PEERS, findProgram, locatePeer, missingPeerMessage } from './peers-table.mjs';

const POLICY_RC = '/usr/sbin/policy-rc.d';

function missingPeers() {
  return Object.keys(PEERS).filter((name) => locatePeer(name) === undefined);
}

function run(command, args) {
  const result = spawnSync(command, args, {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${result.status ?? result.signal}`);
}

function installWithApt(names) {
  const packages = [...new Set(names.map((name) => PEERS[name].apt))];
  console.error(`installing test peers: ${packages.join(' ')}`);
  // Debian's policy-rc.d hook: exit 101 means "do not start services" for the packages' maintainer scripts.
  const ownPolicy = !existsSync(POLICY_RC);
  if (ownPolicy) writeFileSync(POLICY_RC, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  try {
    run('apt-get', ['update', '-qq']);
    run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages]);
  } finally {
    if (ownPolicy) rmSync(POLICY_RC, { force: true });
  }
}

let missing = missingPeers();
const canInstall = process.getuid?.() === 0 && findProgram('apt-get') !== undefined && process.env.SOCKWIRE_NO_INSTALL !== '1';
if (missing.length > 0 && canInstall) {
  try {
    installWithApt(missing);
  } catch (error) {
    // No network or no package: say so and go on; the lines below name what is still missing (fatal under CI).
    console.error(`could not install test peers: ${error.message}`);
  }
  missing = missingPeers();
}
for (const name of missing) console.error(missingPeerMessage(name));
if (missing.length > 0 && process.env.CI === 'true') {
  console.error('CI=true: every test peer must be present');
  process.exit(1);
}
