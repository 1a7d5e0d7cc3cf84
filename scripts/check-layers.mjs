// The dependency rules of the three floors, checked on every TypeScript file (npm run lint, CI):
//   core (src/core/) imports nothing outside itself;
//   a capability (loadtests, security, backups, monitoring + infra, src/sandbox, src/search-check) imports only
//   core and itself, never another capability;
//   only the app (src/app/, bin, scripts) imports capabilities;
//   no import cycle anywhere (type-only imports count: they tie the modules together just the same).
// Tests, their fixtures and helpers may import anything (they are integration tests); code outside tests never
// imports them. Prints every violation with the import that causes it; exits 1 on any.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const sourceDirs = ['src', 'loadtests', 'security', 'backups', 'monitoring', 'infra', 'test', 'scripts'];

/** The floor of a repository path: core, app, a capability's name, or test/scripts. */
export function getFloor(path) {
  const p = path.split(sep).join('/');
  if (p.startsWith('src/core/')) return 'core';
  if (p.startsWith('src/app/') || p.startsWith('scripts/') || p.startsWith('bin/')) return 'app';
  if (p.startsWith('src/sandbox/')) return 'sandbox';
  if (p.startsWith('src/search-check/')) return 'search-check';
  if (p.startsWith('src/report/')) return 'report';
  if (p.startsWith('monitoring/') || p.startsWith('infra/')) return 'monitoring';
  for (const capability of ['loadtests', 'security', 'backups'])
    if (p.startsWith(`${capability}/`)) return capability;
  if (p.startsWith('test/')) return 'test';
  return 'unknown';
}

/** Test code: *.test.ts, and anything under a fixtures/, test/ or helpers/ folder. */
export function isTestCode(path) {
  const p = path.split(sep).join('/');
  return /\.test\.ts$/.test(p) || /(^|\/)(fixtures|test|helpers)\//.test(p) || p.startsWith('test/');
}

function walk(dir) {
  const out = [];
  let names;
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of names) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...walk(path));
    else if (/\.(ts|mts|mjs)$/.test(name) && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

const importPattern =
  /(?:^|[\s;])(?:import|export)\s+(?:type\s+)?(?:[\w*{}\s,$]+?\s+from\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

/** Relative imports of a file, resolved to repository paths (.js specifiers map to their .ts source). */
export function readImports(file, text) {
  const found = [];
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  for (const match of code.matchAll(importPattern)) {
    const specifier = match[1] ?? match[2];
    if (!specifier?.startsWith('.')) continue;
    const target = resolve(dirname(file), specifier).replace(/\.(m?)js$/, '.$1ts');
    found.push({ specifier, target: relative(root, target) });
  }
  return found;
}

export function checkRules(files) {
  const violations = [];
  const graph = new Map();
  for (const file of files) {
    const from = relative(root, file);
    const imports = readImports(file, readFileSync(file, 'utf8'));
    graph.set(
      from,
      imports.map((i) => i.target),
    );
    const fromFloor = getFloor(from);
    const fromTest = isTestCode(from);
    for (const { specifier, target } of imports) {
      const toFloor = getFloor(target);
      const problem = findProblem(fromFloor, fromTest, toFloor, isTestCode(target));
      if (problem) violations.push(`${from}: imports ${specifier} (${toFloor}): ${problem}`);
    }
  }
  for (const cycle of findCycles(graph))
    violations.push(`import cycle: ${[...cycle, cycle[0]].join(' -> ')}`);
  return violations;
}

function findProblem(fromFloor, fromTest, toFloor, toTest) {
  // tests are integration tests: they may start a sandbox or run the CLI in process
  if (fromTest) return undefined;
  if (toTest) return 'code outside tests imports a test helper or fixture';
  if (fromFloor === toFloor) return undefined;
  if (fromFloor === 'core') return 'core imports nothing outside src/core';
  if (toFloor === 'app') return 'only the app imports the app';
  if (toFloor === 'core' || fromFloor === 'app') return undefined;
  return 'a capability imports only core, never another capability (the app wires them together)';
}

/** Strongly connected components with more than one module, or a module importing itself (Tarjan). */
export function findCycles(graph) {
  let index = 0;
  const stack = [];
  const onStack = new Set();
  const indices = new Map();
  const lowlinks = new Map();
  const cycles = [];
  const visit = (node) => {
    indices.set(node, index);
    lowlinks.set(node, index);
    index++;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!graph.has(next)) continue;
      if (!indices.has(next)) {
        visit(next);
        lowlinks.set(node, Math.min(lowlinks.get(node), lowlinks.get(next)));
      } else if (onStack.has(next)) lowlinks.set(node, Math.min(lowlinks.get(node), indices.get(next)));
    }
    if (lowlinks.get(node) === indices.get(node)) {
      const component = [];
      let member;
      do {
        member = stack.pop();
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1 || (graph.get(node) ?? []).includes(node)) cycles.push(component.reverse());
    }
  };
  for (const node of graph.keys()) if (!indices.has(node)) visit(node);
  return cycles;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const files = sourceDirs.flatMap((d) => walk(join(root, d)));
  const violations = checkRules(files);
  for (const v of violations) console.error(v);
  if (violations.length > 0) {
    console.error(
      `check-layers: ${violations.length} violation(s) in ${files.length} files (rules: scripts/check-layers.mjs)`,
    );
    process.exit(1);
  }
  console.log(`check-layers: ${files.length} files, floors and cycles ok`);
}
