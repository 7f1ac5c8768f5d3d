import path from 'node:path';
import { build } from 'vite';
import { projectRoot } from '../../src/db/project-root.js';

/** Vitest global setup of the `console` project: the tests serve what `npm run build` would ship. */
export default async function buildConsole() {
  await build({ configFile: path.join(projectRoot(), 'vite.config.ts'), logLevel: 'warn' });
}
