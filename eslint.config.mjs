// Lint: typescript-eslint on src, plus a rule that keeps imports one-way across the layers of DESIGN.md:
// core <- extensions <- io <- features <- pubsub <- api <- client <- cli (pubsub sits beside features: it may use
// their interfaces, features never use pubsub).
import tseslint from 'typescript-eslint';

const layers = ['core', 'extensions', 'io', 'features', 'pubsub', 'api', 'client', 'cli'];

/** For a layer, forbid importing any layer above it. */
function layerRule(layer) {
  const above = layers.slice(layers.indexOf(layer) + 1);
  if (above.length === 0) return [];
  return [
    {
      files: [`src/${layer}/**/*.ts`],
      rules: {
        'no-restricted-imports': [
          'error',
          {
            patterns: above.map((name) => ({
              group: [`../${name}/*`, `../../${name}/*`, `../${name}`, `../../${name}`],
              message: `src/${layer} may not import from src/${name} (layers: ${layers.join(' <- ')})`
            }))
          }
        ]
      }
    }
  ];
}

const coreNodeOnly = {
  files: ['src/core/**/*.ts'],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          { group: ['node:*', '!node:buffer', '!node:crypto'], message: 'src/core may use node:buffer and node:crypto only' },
          ...layers.slice(1).map((name) => ({ group: [`../${name}/*`, `../${name}`], message: `src/core may not import src/${name}` }))
        ]
      }
    ]
  }
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'bench/out/**'] },
  {
    files: ['src/**/*.ts'],
    extends: [...tseslint.configs.recommended],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }]
    }
  },
  ...layers.slice(1).flatMap(layerRule),
  coreNodeOnly
);
