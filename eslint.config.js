// @ts-check
import js from '@eslint/js';
import nx from '@nx/eslint-plugin';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** Dependency direction (DESIGN.md): core ← plugins ← nothing; the server loads plugins only dynamically. */
const depConstraints = [
  { sourceTag: 'scope:core', onlyDependOnLibsWithTags: [] },
  { sourceTag: 'scope:plugin', onlyDependOnLibsWithTags: ['scope:core'] },
  { sourceTag: 'scope:server', onlyDependOnLibsWithTags: ['scope:core'] },
  { sourceTag: 'scope:tools', onlyDependOnLibsWithTags: ['scope:core', 'scope:plugin', 'scope:server'] },
];
/** Tests may also use the dev tooling (fixture model server, MLflow launcher), which in turn drives the packages. */
const testDepConstraints = depConstraints.map((c) =>
  c.sourceTag === 'scope:tools'
    ? c
    : { ...c, onlyDependOnLibsWithTags: [...c.onlyDependOnLibsWithTags, 'scope:tools'] },
);
const boundaries = (constraints) => [
  'error',
  {
    enforceBuildableLibDependency: false,
    allow: [],
    depConstraints: constraints,
    ignoredCircularDependencies: [
      ['@evalhub/tools', '@evalhub/tracker-mlflow'],
      ['@evalhub/tools', '@evalhub/provider-ragas'],
      ['@evalhub/tools', '@evalhub/provider-lmeval'],
      ['@evalhub/tools', '@evalhub/server'],
      ['@evalhub/tools', '@evalhub/store-postgres'],
      ['@evalhub/tools', '@evalhub/runtime-kubernetes'],
    ],
  },
];

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/node_modules/**',
      '.venv*/**',
      '.evalhub*/**',
      '.schemathesis/**',
      'deploy/.tools/**',
      '.nx/**',
      'packages/core/src/generated/**',
      '**/*.py',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: globals.node,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@nx': nx },
    rules: {
      '@nx/enforce-module-boundaries': boundaries(depConstraints),
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/restrict-template-expressions': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/no-redundant-type-constituents': 'off',
      '@typescript-eslint/only-throw-error': 'off',
      '@typescript-eslint/no-base-to-string': 'off',
      '@typescript-eslint/prefer-promise-reject-errors': 'off',
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
    },
  },
  {
    // Library code logs through pino; CLIs, tools and tests may print.
    files: ['packages/*/src/**/*.ts'],
    ignores: ['packages/*/src/**/*.test.ts', 'packages/server/src/cli*.ts', 'packages/server/src/cli/**'],
    rules: { 'no-console': 'error' },
  },
  {
    files: ['**/*.test.ts', '**/test/**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': boundaries(testDepConstraints),
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-floating-promises': 'off',
    },
  },
  { files: ['**/*.js', '**/*.cjs', '**/*.mjs'], ...tseslint.configs.disableTypeChecked },
);
