// Writes docs/configuration.md from the config schema.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderConfigDocs } from '../src/core/config/docs.js';

writeFileSync(join(import.meta.dirname, '..', 'docs', 'configuration.md'), renderConfigDocs());
console.log('wrote docs/configuration.md');
