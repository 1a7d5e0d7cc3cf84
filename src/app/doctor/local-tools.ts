/** Checks of what is installed here: Node, the PostgreSQL binaries, optional tools. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { findPgBinaries, findPgClientTool, readToolVersion } from '../../core/pg/binaries.js';
import { findTool, installHints, runTool } from '../../core/process.js';
import { type DoctorCheck, readMajor } from './checks.js';

/** PostgreSQL binaries doctor lists; all come with the server package and are required. */
export const pgTools = [
  'initdb',
  'pg_ctl',
  'postgres',
  'pg_dump',
  'pg_restore',
  'pg_basebackup',
  'pgbench',
  'psql',
];

export function checkNode(version = process.versions.node): DoctorCheck {
  const major = readMajor(version) ?? 0;
  const ok = major >= 20;
  return {
    id: 'node',
    group: 'runtime',
    name: 'Node.js >= 20',
    status: ok ? 'ok' : 'fail',
    required: true,
    version,
    detail: ok ? process.execPath : `Node ${version} is too old`,
    hint: ok ? null : 'install Node 20 or newer (https://nodejs.org, or `nvm install 20`)',
  };
}

/** The server binaries as one check, then every tool with its version. */
export function checkPgBinaries(bindir?: string): DoctorCheck[] {
  const checks: DoctorCheck[] = [];
  try {
    const found = findPgBinaries(bindir);
    checks.push({
      id: 'postgresql',
      group: 'postgresql',
      name: 'PostgreSQL binaries',
      status: 'ok',
      required: true,
      version: String(found.major),
      detail: found.bindir,
      hint: null,
    });
  } catch (error) {
    const e = error as Error & { hint?: string; details?: { searched?: string[] } };
    const searched = e.details?.searched ?? [];
    checks.push({
      id: 'postgresql',
      group: 'postgresql',
      name: 'PostgreSQL binaries',
      status: 'missing',
      required: true,
      version: null,
      detail: `PostgreSQL binaries not found: no initdb, pg_ctl and postgres${searched.length ? ` in ${searched.join(', ')}` : ' anywhere'}`,
      hint: e.hint ?? installHints.initdb ?? null,
    });
  }
  for (const tool of pgTools) {
    const path = findPgClientTool(tool, bindir);
    const version = path ? (readToolVersion(path) ?? null) : null;
    checks.push({
      id: tool,
      group: 'postgresql',
      name: tool,
      status: path ? (version ? 'ok' : 'warn') : 'missing',
      required: true,
      version,
      detail: path ? (version ? path : `${path} (\`--version\` gave no version)`) : 'not found',
      hint: path
        ? version
          ? null
          : `check that ${path} runs`
        : (installHints[tool] ?? 'apt-get install postgresql'),
    });
  }
  return checks;
}

interface OptionalTool {
  id: string;
  name: string;
  /** Candidate executables, first found wins. */
  candidates: (env: NodeJS.ProcessEnv, cwd: string) => string[];
  versionArgs: string[];
  why: string;
  hint: string;
}

const optionalTools: OptionalTool[] = [
  {
    id: 'k6',
    name: 'k6',
    candidates: (env) => [...(env.K6_BIN ? [env.K6_BIN] : []), 'k6'],
    versionArgs: ['version'],
    why: 'load tests run on the native engine without it',
    hint: installHints.k6!,
  },
  {
    id: 'promtool',
    name: 'promtool',
    candidates: () => ['promtool'],
    versionArgs: ['--version'],
    why: 'alert rule tests',
    hint: installHints.promtool!,
  },
  {
    id: 'prometheus',
    name: 'prometheus',
    candidates: () => ['prometheus'],
    versionArgs: ['--version'],
    why: 'local monitoring stack',
    hint: installHints.prometheus!,
  },
  {
    id: 'pushgateway',
    name: 'prometheus-pushgateway',
    candidates: () => ['prometheus-pushgateway', 'pushgateway'],
    versionArgs: ['--version'],
    why: 'backup metrics without node-exporter',
    hint: installHints.pushgateway!,
  },
  {
    id: 'pgbouncer',
    name: 'pgbouncer',
    candidates: () => ['pgbouncer'],
    versionArgs: ['--version'],
    why: 'transaction-pooler checks',
    hint: installHints.pgbouncer!,
  },
  {
    id: 'chromium',
    name: 'chromium',
    candidates: (env) => [
      ...(env.CHROMIUM_BIN ? [env.CHROMIUM_BIN] : []),
      'chromium',
      'chromium-browser',
      'google-chrome',
    ],
    versionArgs: ['--version'],
    why: 'browser-based security probes',
    hint: installHints.chromium!,
  },
  {
    id: 'age',
    name: 'age',
    candidates: () => ['age'],
    versionArgs: ['--version'],
    why: 'backup encryption CLI (preflight also encrypts in-process)',
    hint: installHints.age!,
  },
  {
    id: 'terraform',
    name: 'terraform / tofu',
    candidates: (env) => [...(env.TERRAFORM_BIN ? [env.TERRAFORM_BIN] : []), 'terraform', 'tofu'],
    versionArgs: ['version'],
    why: 'deploying the monitoring stack',
    hint: installHints.terraform!,
  },
  {
    id: 'cdktn',
    name: 'cdktn',
    candidates: (_env, cwd) => [join(cwd, 'node_modules', '.bin', 'cdktn'), 'cdktn'],
    versionArgs: ['--version'],
    why: 'synthesizing the monitoring stack',
    hint: installHints.cdktn!,
  },
];

/** Optional tools: found with a version is ok, absent is `missing` (a warning, never a failure). */
export async function checkOptionalTools(
  env: NodeJS.ProcessEnv = process.env,
  cwd = process.cwd(),
): Promise<DoctorCheck[]> {
  return Promise.all(optionalTools.map((tool) => checkOptionalTool(tool, env, cwd)));
}

async function checkOptionalTool(
  tool: OptionalTool,
  env: NodeJS.ProcessEnv,
  cwd: string,
): Promise<DoctorCheck> {
  const base = { id: tool.id, group: 'optional' as const, name: tool.name, required: false };
  const path = tool
    .candidates(env, cwd)
    .map((c) => (c.includes('/') ? (existsSync(c) ? findTool(c) : undefined) : findTool(c)))
    .find(Boolean);
  if (!path)
    return { ...base, status: 'missing', version: null, detail: `not found (${tool.why})`, hint: tool.hint };
  const version = await readVersion(path, tool.versionArgs);
  return {
    ...base,
    status: version ? 'ok' : 'warn',
    version,
    detail: version ? path : `${path} did not report a version`,
    hint: version ? null : `check that \`${path} ${tool.versionArgs.join(' ')}\` runs`,
  };
}

/** Runs `<tool> --version` (through the process helper) and picks the first version number printed. */
export async function readVersion(path: string, args: string[]): Promise<string | null> {
  try {
    const result = await runTool(path, args, { timeoutMs: 15_000, allowExitCodes: [1, 2] });
    return /v?(\d+\.\d+(?:\.\d+)?(?:[-+][\w.]+)?)/.exec(`${result.stdout}\n${result.stderr}`)?.[1] ?? null;
  } catch {
    return null;
  }
}
