import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../src/db/project-root.js';
import { generateOpenApiYaml } from './openapi-document.js';

const target = path.join(projectRoot(), 'openapi.yaml');
fs.writeFileSync(target, await generateOpenApiYaml());
console.log(`wrote ${target}`);
