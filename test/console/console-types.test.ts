import fs from 'node:fs';
import path from 'node:path';
import openapiTS, { astToString } from 'openapi-typescript';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/db/project-root.js';

/** The console is typed by the API it calls: its types must be what the committed openapi.yaml generates. */
describe('web/src/api-types.ts', () => {
  it('is what openapi-typescript generates from openapi.yaml (run `npm run console:types` after `npm run openapi`)', async () => {
    const root = projectRoot();
    const committed = fs.readFileSync(path.join(root, 'web/src/api-types.ts'), 'utf8');
    const generated = astToString(await openapiTS(fs.readFileSync(path.join(root, 'openapi.yaml'), 'utf8')));
    // The CLI adds a "do not edit" banner above the generated declarations.
    expect(committed.replace(/^\/\*\*[\s\S]*?\*\/\n\n/, '')).toBe(generated);
  });
});
