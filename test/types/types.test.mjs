// The published types, as a ws user's TypeScript code meets them: `import … from 'sockwire'` (ESM) and
// `import WebSocket = require('sockwire')` (CommonJS) must type-check under `strict` with the @types/ws names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

test('ws-style TypeScript code type-checks against the built declarations (ESM and CommonJS)', { timeout: 300000 }, () => {
  const result = spawnSync(process.execPath, [tsc, '-p', join(here, 'fixtures', 'tsconfig.json')], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stdout + result.stderr);
});
