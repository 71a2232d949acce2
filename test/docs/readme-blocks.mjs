// The README's runnable examples, read from README.md itself (the convention is in the README's Development
// section): every ```js (CommonJS) and ```mjs (ES module) block is a complete program, optionally followed by a
// ```text block holding its exact stdout.

/** A fenced block: its info string, its text and the 1-based line its opening fence is on. */
function fencedBlocks(markdown) {
  const lines = markdown.split('\n');
  const blocks = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(`{3,})(.*)$/.exec(lines[i]);
    if (open === null) continue;
    const [, fence, info] = open;
    const body = [];
    let end = i + 1;
    while (end < lines.length && !(lines[end].startsWith(fence) && lines[end].slice(fence.length).trim() === '')) {
      body.push(lines[end]);
      end++;
    }
    blocks.push({ info: info.trim(), text: body.join('\n') + '\n', line: i + 1, endLine: end + 1 });
    i = end;
  }
  return blocks;
}

/**
 * The examples: `{ language: 'js' | 'mjs', code, line, expectedOutput }`. `expectedOutput` is the text of a
 * ```text block that follows the example with nothing but blank lines between, else undefined.
 */
export function readmeExamples(markdown) {
  const lines = markdown.split('\n');
  const blocks = fencedBlocks(markdown);
  const examples = [];
  blocks.forEach((block, index) => {
    if (block.info !== 'js' && block.info !== 'mjs') return;
    const next = blocks[index + 1];
    const between = next === undefined ? [] : lines.slice(block.endLine, next.line - 1);
    const adjacent = next !== undefined && next.info === 'text' && between.every((line) => line.trim() === '');
    examples.push({
      language: block.info,
      code: block.text,
      line: block.line,
      expectedOutput: adjacent ? next.text : undefined
    });
  });
  return examples;
}
