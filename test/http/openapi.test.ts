import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/db/project-root.js';
import { generateOpenApiYaml } from '../../scripts/openapi-document.js';
import { apiTypesPath, generateApiTypes } from '../../scripts/openapi-types.js';

describe('openapi.yaml', () => {
  it('is exactly what the route schemas generate (run `npm run openapi` after changing a route)', async () => {
    const committed = fs.readFileSync(path.join(projectRoot(), 'openapi.yaml'), 'utf8');
    expect(committed).toBe(await generateOpenApiYaml());
  });

  it('has its typed-client types (web/src/api-types.ts, also the console\u2019s) generated from it (run `npm run openapi`)', async () => {
    const committed = fs.readFileSync(path.join(projectRoot(), 'openapi.yaml'), 'utf8');
    expect(fs.readFileSync(apiTypesPath, 'utf8')).toBe(await generateApiTypes(committed));
  });
});
