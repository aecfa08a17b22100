// Lint rules: type-aware promise checks everywhere, no Node built-ins in workflow code, since
// workflows run in Temporal's deterministic sandbox, and no SDK internals (paths under a package's
// lib/ change without notice between SDK versions).
import tseslint from 'typescript-eslint';

const SDK_INTERNALS = { group: ['@temporalio/*/lib/*'], message: "The SDK's internal paths change without notice: use its public exports." };

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.temporal/**', '.data/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-restricted-imports': ['error', { patterns: [SDK_INTERNALS] }],
    },
  },
  {
    // Loaded by path by the SDK in every process and the workflow bundle, hence plain CommonJS.
    files: ['src/temporal/failure-converter.js'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['src/workflows/**/*.ts'],
    ignores: ['src/workflows/**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [SDK_INTERNALS, { group: ['node:*', 'undici', 'fs', 'path', 'crypto', 'http', 'https'], message: 'Workflows run in a deterministic sandbox: no I/O.' }] }],
    },
  },
);
