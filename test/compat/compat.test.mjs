// Differential compat suite: every scenario runs against ws (the reference, pinned devDependency) and against the
// candidate (sockwire by default; `COMPAT_IMPL=ws` runs ws against itself to validate the harness), and the two
// normalised logs must be deepStrictEqual. `COMPAT_REPEAT=n` runs the candidate n times (flakiness check);
// `COMPAT_ONLY=text` keeps scenarios whose name contains `text`.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { candidateName, runScenario } from './harness.mjs';
import { groups } from './scenarios/index.mjs';

const repeat = Math.max(1, Math.min(10, Number(process.env.COMPAT_REPEAT ?? 1)));
const only = process.env.COMPAT_ONLY;

for (const [group, scenarios] of Object.entries(groups)) {
  describe(`compat ${group}: ws vs ${candidateName}`, () => {
    for (const scenario of scenarios) {
      if (only && !scenario.name.includes(only)) continue;
      test(scenario.name, async () => {
        const expected = await runScenario(scenario, 'ws');
        assert.equal(expected.harness, undefined, `reference run failed: ${JSON.stringify(expected.harness)}`);
        assert.ok(Object.keys(expected).length > 0, 'reference run recorded nothing');
        for (let i = 0; i < repeat; i++) {
          const actual = await runScenario(scenario, candidateName);
          assert.deepStrictEqual(actual, expected, `run ${i + 1} of ${candidateName} differs from ws`);
        }
      });
    }
  });
}
