// Build: TypeScript → CommonJS with .d.ts (dist/cjs), then a thin ESM entry (dist/esm) that re-exports the
// CommonJS module, so `require` and `import` share one set of classes (no dual-package hazard).
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
rmSync(join(root, 'dist'), { recursive: true, force: true });
execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.json')], {
  stdio: 'inherit'
});

// The ESM names are read off the built CommonJS module so that the two entries cannot drift apart.
const require = createRequire(import.meta.url);
const cjs = require(join(root, 'dist/cjs/index.js'));
const names = Object.keys(cjs).filter((name) => /^[A-Za-z_$][\w$]*$/.test(name) && !/^[A-Z_]+$/.test(name));
mkdirSync(join(root, 'dist/esm'), { recursive: true });
writeFileSync(
  join(root, 'dist/esm/index.mjs'),
  `import sockwire from '../cjs/index.js';\nexport default sockwire;\nexport const { ${names.join(', ')} } = sockwire;\n`
);
// Class names are also types (`let server: WebSocketServer`); the rest are values only.
const typeNames = new Set(['WebSocket', 'WebSocketServer', 'Server', 'Receiver', 'Sender', 'PerMessageDeflate', 'ReconnectingWebSocket', 'WebSocketStream', 'WebSocketError', 'ClusterPubSub']);
// Types with no value of the same name, importable by name from the ESM entry too.
const typeOnlyNames = ['PubSubAdapter', 'PubSubAdapterEvents', 'PubSubGap', 'PubSubCounters', 'PubSubErrorCode', 'ClusterPubSubOptions', 'ClusterPrimary', 'ClusterPrimaryOptions'];
writeFileSync(
  join(root, 'dist/esm/index.d.mts'),
  `import sockwire = require('../cjs/index.js');\nexport default sockwire;\n` +
    names
      .map(
        (name) =>
          `export declare const ${name}: (typeof sockwire)['${name}'];\n` +
          (typeNames.has(name) ? `export type ${name} = sockwire.${name};\n` : '')
      )
      .join('') +
    typeOnlyNames.map((name) => `export type ${name} = sockwire.${name};\n`).join('')
);

// The `sockwire/redis` subpath: its own CommonJS module (dist/cjs/redis.js, which alone may load the optional
// `redis` peer dependency) and a thin ESM wrapper with the same objects and types.
writeFileSync(join(root, 'dist/esm/redis.mjs'), `import redis from '../cjs/redis.js';\nexport const { RedisPubSub } = redis;\n`);
writeFileSync(join(root, 'dist/esm/redis.d.mts'), `export * from '../cjs/redis.js';\n`);
