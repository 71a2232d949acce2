// Every JavaScript example in README.md runs, straight from the README (so docs and code cannot drift): each ```js
// (CommonJS) or ```mjs (ES module) block is written to a temp file inside the repository, so `require('sockwire')`
// and `import … from 'sockwire'` resolve to this package by self-reference, and run as its own program. It must
// exit with code 0 within 15 s; a ```text block right after it is its exact stdout. Services an example reads from
// the environment (`process.env.REDIS_URL`) are started first (example-services.mjs).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readmeExamples } from './readme-blocks.mjs';
import { SERVICES, startServices } from './example-services.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const EXIT_MS = 15000;
const examples = readmeExamples(readFileSync(join(root, 'README.md'), 'utf8'));

/** Runs `file` with `env` added; resolves `{ code, signal, stdout, stderr, timedOut }` (killed after EXIT_MS). */
function runProgram(file, env) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [file], {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe']
    });
    const stdout = [];
    const stderr = [];
    child.stdout.on('data', (chunk) => stdout.push(chunk));
    child.stderr.on('data', (chunk) => stderr.push(chunk));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      process.kill(child.pid, 'SIGKILL');
    }, EXIT_MS);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, timedOut, stdout: Buffer.concat(stdout).toString(), stderr: Buffer.concat(stderr).toString() });
    });
  });
}

test('README.md has JavaScript examples, each a ```js or ```mjs block', () => {
  assert.ok(examples.length >= 10, `found ${examples.length}`);
});

describe('README examples', () => {
  let dir;
  let services = { env: {}, missing: {}, stop: async () => {} };
  before(async () => {
    // Inside the repository, so the package resolves itself by name.
    dir = mkdtempSync(join(root, 'test', 'docs', 'tmp-readme-'));
    services = await startServices(examples.map((example) => example.code).join('\n'));
  });
  after(async () => {
    await services.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  for (const example of examples) {
    const firstLine = example.code.split('\n').find((line) => line.trim() !== '' && !line.startsWith('//')) ?? '';
    const name = `README.md:${example.line} (${example.language}): ${firstLine.trim().slice(0, 60)}`;
    test(name, { timeout: EXIT_MS + 5000 }, async (t) => {
      const needs = Object.keys(SERVICES).filter((variable) => example.code.includes(`process.env.${variable}`));
      const missing = needs.find((variable) => services.missing[variable] !== undefined);
      if (missing !== undefined) {
        t.skip(services.missing[missing]);
        return;
      }
      const file = join(dir, `line-${example.line}.${example.language === 'mjs' ? 'mjs' : 'cjs'}`);
      writeFileSync(file, example.code);
      const result = await runProgram(file, services.env);
      const where = `${relative(root, file)} (README.md line ${example.line})`;
      assert.equal(result.timedOut, false, `${where} did not exit within ${EXIT_MS} ms\n${result.stderr}`);
      assert.equal(result.code, 0, `${where} exited with ${result.code ?? result.signal}\n${result.stderr}`);
      if (example.expectedOutput !== undefined) assert.equal(result.stdout, example.expectedOutput, `${where}: stdout`);
    });
  }
});
