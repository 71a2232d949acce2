// Debug aid: prints the normalised log of scenarios for one implementation.
// Usage: node test/compat/dump.mjs <ws|sockwire> [name substring]
import { runScenario } from './harness.mjs';
import { allScenarios } from './scenarios/index.mjs';

const [implName = 'ws', filter = ''] = process.argv.slice(2);
for (const scenario of allScenarios()) {
  if (!scenario.name.includes(filter)) continue;
  const log = await runScenario(scenario, implName);
  console.log(`=== ${scenario.name} [${implName}]`);
  console.log(JSON.stringify(log, null, 1));
}
