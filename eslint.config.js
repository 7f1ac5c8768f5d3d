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
      // Prettier wraps code at 140; this also catches the strings and comments it leaves alone.
      'max-len': ['error', { code: 140, ignoreUrls: true }],
    },
  },
  {
    // Boundaries (docs/architecture.md): the domain does not speak HTTP, and no file imports another's routes.
    // Only route files, the HTTP layer itself and the wiring (app, deps, server) may import from src/http/.
    files: ['src/**/*.ts'],
    ignores: ['src/**/*.routes.ts', 'src/http/**', 'src/app.ts', 'src/deps.ts', 'src/server.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '(^|/)http/', message: 'The domain does not speak HTTP: errors, cursors and validation live in src/core/.' },
            { regex: '\\.routes\\.js$', message: "Import a module's service or schemas, never its routes." },
            {
              regex: '(^|/)repos\\.js$',
              message: 'The list of every repository is wiring (src/deps.ts): a service declares the repositories it uses in its Store<…>.',
            },
          ],
        },
      ],
    },
  },
  {
    // The database layer knows no domain: the store is generic over the repositories src/repos.ts lists.
    files: ['src/db/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '(^|/)http/', message: 'The domain does not speak HTTP: errors, cursors and validation live in src/core/.' },
            {
              regex: '^\\.\\./(audit|backup|brands|clients|console|credentials|crypto|events|exchange|fleets|keys|tokens|vehicles)/',
              message: 'src/db/ is the database layer only: no domain imports (docs/architecture.md).',
            },
            { regex: '^\\.\\./(repos|deps|app)\\.js$', message: 'src/db/ knows no wiring: it is handed the repository factories.' },
          ],
        },
      ],
    },
  },
  {
    // HTTP knows no domain: it reaches the domain only through what routes and app.ts hand it.
    files: ['src/http/**/*.ts'],
    ignores: ['src/http/**/*.routes.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^\\.\\./(audit|backup|brands|clients|console|credentials|crypto|exchange|fleets|keys|tokens|vehicles)/',
              message: 'src/http/ is the HTTP layer only: no domain imports (docs/architecture.md).',
            },
          ],
        },
      ],
    },
  },
  {
    // A route file registers its own routes; request helpers two route files share go in a non-route file.
    files: ['src/**/*.routes.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: '\\.routes\\.js$', message: "Never import another file's routes." }] }],
    },
  },
  {
    files: ['web/src/api-types.ts'],
    rules: { 'max-len': 'off' },
  },
  {
    // The console runs in the browser (web/src/api-types.ts is written by `npm run openapi`, checked by test/http/openapi.test.ts).
    files: ['web/**'],
    languageOptions: { globals: globals.browser },
  },
  {
    files: ['bench/**', 'scripts/**', 'vitest.config.ts'],
    rules: { 'no-console': 'off' },
  },
);
