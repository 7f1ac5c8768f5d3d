import path from 'node:path';
import { build } from 'vite';
import { projectRoot } from '../../src/db/project-root.js';

/** Vitest global setup of the `console` project: the tests serve what `npm run build` ships. */
export default async function buildConsole() {
  // Vitest sets NODE_ENV=test, which would make Vite build the development variant (JSX dev runtime,
  // libraries' dev checks): build the production bundle, byte for byte what `vite build` writes.
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({ configFile: path.join(projectRoot(), 'vite.config.ts'), mode: 'production', logLevel: 'warn' });
  } finally {
    process.env.NODE_ENV = nodeEnv;
  }
}
