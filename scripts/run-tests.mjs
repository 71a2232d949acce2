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
// Bounds: a single test may take 2 minutes, the whole run 20; a hang fails the run instead of stalling CI.
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=2', '--test-timeout=120000', ...files], {
  stdio: 'inherit',
  timeout: 20 * 60 * 1000,
  killSignal: 'SIGKILL'
});
if (result.error) console.error(`test run aborted: ${result.error.message}`);
process.exit(result.status ?? 1);
