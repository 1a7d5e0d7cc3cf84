// Transpiles the TypeScript sources to dist/ (no bundling, no type check: `npm run typecheck` does that).
import { copyFileSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const sourceDirs = ['src', 'loadtests', 'security', 'backups', 'monitoring', 'infra'];
const assetExtensions = ['.sql', '.yaml', '.yml', '.json', '.txt', '.md'];

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || (name === 'tests' && dir.endsWith('monitoring'))) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...walk(path));
    else out.push(path);
  }
  return out;
}

const files = sourceDirs.flatMap((d) => {
  try {
    return walk(join(root, d));
  } catch {
    return [];
  }
});
const entryPoints = files.filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.endsWith('.d.ts'));
rmSync(join(root, 'dist'), { recursive: true, force: true });
await build({
  entryPoints,
  outdir: join(root, 'dist'),
  outbase: root,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  bundle: false,
  sourcemap: 'linked',
  logLevel: 'warning',
});
for (const file of files.filter((f) => assetExtensions.some((e) => f.endsWith(e)))) {
  const target = join(root, 'dist', relative(root, file));
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(file, target);
}
