import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createDeps } from '../src/deps.js';

/** The OpenAPI document as the route schemas describe it, from an app on a throw-away database. */
export async function generateOpenApiYaml(): Promise<string> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetvault-openapi-'));
  try {
    const config = loadConfig({ FLEETVAULT_DATA_DIR: dataDir, LOG_LEVEL: 'silent', NODE_ENV: 'test' });
    const deps = await createDeps(config, { masterKeys: [{ id: 'openapi', key: randomBytes(32) }] });
    const app = await buildApp(deps, { logger: false });
    const yaml = (app as unknown as { swagger(opts: { yaml: true }): string }).swagger({ yaml: true });
    await app.close();
    await deps.close();
    return yaml;
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
