// Runs every test/**/*.test.mjs with node's built-in runner (Node 18/20 have no glob support in --test).
// Extra arguments narrow the run to paths that contain them: `node scripts/run-tests.mjs test/core`.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function findTests(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return findTests(path);
    return name.endsWith('.test.mjs') ? [path] : [];
  });
}

const filters = process.argv.slice(2);
const files = findTests('test')
  .filter((file) => filters.length === 0 || filters.some((f) => file.includes(f)))
  .sort();
// Hang guards, so that a hang fails the run instead of stalling CI: Node 20 applies --test-timeout to each test
// FILE as a whole (not to each test in it), so it bounds the heaviest file (the fuzz file takes 80 s with both cores
// busy, and more on a loaded CI machine) with room to spare; the whole run may take 20 minutes.
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=2', '--test-timeout=360000', ...files], {
  stdio: 'inherit',
  timeout: 20 * 60 * 1000,
  killSignal: 'SIGKILL'
});
if (result.error) console.error(`test run aborted: ${result.error.message}`);
process.exit(result.status ?? 1);
