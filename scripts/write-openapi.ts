import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../src/db/project-root.js';
import { generateOpenApiYaml } from './openapi-document.js';
import { apiTypesPath, generateApiTypes } from './openapi-types.js';

const target = path.join(projectRoot(), 'openapi.yaml');
const yaml = await generateOpenApiYaml();
fs.writeFileSync(target, yaml);
console.log(`wrote ${target}`);
// The typed client's types follow the document they are generated from.
fs.writeFileSync(apiTypesPath, await generateApiTypes(yaml));
console.log(`wrote ${apiTypesPath}`);
