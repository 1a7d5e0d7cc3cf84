// Transpiles the TypeScript sources to dist/ (no bundling, no type check: `npm run typecheck` does that).
import { copyFileSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
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
// Build into a staging directory and swap it in, so a CLI started while another build runs never finds dist/ half gone.
const dist = join(root, 'dist');
const staging = join(root, `dist.build-${process.pid}`);
rmSync(staging, { recursive: true, force: true });
await build({
  entryPoints,
  outdir: staging,
  outbase: root,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  bundle: false,
  sourcemap: 'linked',
  logLevel: 'warning',
});
for (const file of files.filter((f) => assetExtensions.some((e) => f.endsWith(e)))) {
  const target = join(staging, relative(root, file));
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(file, target);
}
const retired = join(root, `dist.old-${process.pid}`);
try {
  renameSync(dist, retired);
} catch (error) {
  if (error.code !== 'ENOENT') throw error;
}
try {
  renameSync(staging, dist);
} catch (error) {
  // a concurrent build swapped its (identical) output in first
  if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error;
  rmSync(staging, { recursive: true, force: true });
}
rmSync(retired, { recursive: true, force: true });
