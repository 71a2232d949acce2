// Fails when files under src/ import each other in a circle (type-only imports included): DESIGN.md's rule that
// imports point one way holds between files as well as between layers. Run by `npm run lint`.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

function sourceFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [resolve(path)] : [];
  });
}

const files = new Set(sourceFiles('src'));
const imports = new Map();
for (const file of files) {
  const text = readFileSync(file, 'utf8');
  const targets = [...text.matchAll(/\bfrom\s+'(\.{1,2}\/[^']+)'/g)].map((match) => resolve(dirname(file), `${match[1]}.ts`));
  imports.set(file, targets.filter((target) => files.has(target)));
}

const VISITING = 1;
const DONE = 2;
const state = new Map();
const cycles = [];
function visit(file, stack) {
  state.set(file, VISITING);
  stack.push(file);
  for (const target of imports.get(file)) {
    if (state.get(target) === VISITING) cycles.push([...stack.slice(stack.indexOf(target)), target]);
    else if (state.get(target) === undefined) visit(target, stack);
  }
  stack.pop();
  state.set(file, DONE);
}
for (const file of files) if (state.get(file) === undefined) visit(file, []);

for (const cycle of cycles) console.error(`import cycle: ${cycle.map((file) => relative(process.cwd(), file)).join(' -> ')}`);
process.exit(cycles.length === 0 ? 0 : 1);
