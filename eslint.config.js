import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'data/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: globals.node },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
      // Prettier wraps code at 140; this also catches the strings and comments it leaves alone (issue 9).
      'max-len': ['error', { code: 140, ignoreUrls: true }],
    },
  },
  {
    files: ['web/src/api-types.ts'],
    rules: { 'max-len': 'off' },
  },
  {
    // The console runs in the browser (web/src/api-types.ts is written by `npm run openapi`, checked by test/openapi.test.ts).
    files: ['web/**'],
    languageOptions: { globals: globals.browser },
  },
  {
    files: ['bench/**', 'scripts/**', 'vitest.config.ts'],
    rules: { 'no-console': 'off' },
  },
);
