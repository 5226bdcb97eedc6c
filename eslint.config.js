import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Files under `folder` may not import from the folders above it. */
function layer(folder, above) {
  return [
    {
      files: [`${folder}/**/*.ts`],
      rules: {
        'no-restricted-imports': [
          'error',
          { patterns: [{ regex: `^(\\.\\./)+(${above.join('|')})/`, message: `${folder}/ sits below ${above.join(', ')}: move the shared code down instead.` }] },
        ],
      },
    },
  ];
}

export default tseslint.config(
  { ignores: ['node_modules/', 'data/', 'db/migrations/', 'coverage/', 'bench/results.json', 'web/dist/', 'dist/', 'web/src/api/schema.d.ts', 'web/src/*.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Read settings through server/config.ts.' },
      ],
    },
  },
  // Imports run one way: server → workflows → notifications → db; core/ and storage/ sit below them all.
  ...layer('workflows', ['server']),
  ...layer('notifications', ['server', 'workflows']),
  ...layer('db', ['server', 'workflows', 'notifications']),
  ...layer('storage', ['server', 'workflows', 'notifications', 'db']),
  ...layer('core', ['server', 'workflows', 'notifications', 'db', 'storage']),
  // The workbench shares core/ (labels, dates, the domain's lists) and nothing else of the server's.
  {
    files: ['web/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ regex: '^(\\.\\./)+(server|workflows|notifications|db|storage)/', message: 'web/ may import only core/ from the server side: the bundle must not pull server code.' }] },
      ],
    },
  },
  {
    files: ['server/config.ts', 'test/**/*.ts', 'bench/**/*.ts', 'drizzle.config.ts', 'vitest.config.ts'],
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    files: ['bin/**', '**/*.mjs', '**/*.cjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
);
