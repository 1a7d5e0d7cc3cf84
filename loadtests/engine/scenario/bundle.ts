/**
 * Bundles a portable scenario with esbuild: an ES module for real k6 (k6 modules stay imports) and a
 * CommonJS-style function body for the native engine, plus a check for APIs the native engine cannot run.
 */
import { existsSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { build, type Message } from 'esbuild';
import { PreflightError } from '../../../src/core/errors.js';
import { describeSyncHttp, syncHttpFunctions } from '../native/modules/k6-http.js';
import { supportedModules } from '../native/modules/k6-modules.js';

export interface BundleResult {
  /** ES module for `k6 run`. */
  esm: string;
  /** Function body (require, module, exports) for the native engine. */
  cjs: string;
  path: string;
}

export interface BundleOptions {
  /** Append a handleSummary that also writes k6's raw end-of-test data to __ENV.PREFLIGHT_SUMMARY_PATH. */
  summaryHook?: boolean;
  /** Add `runner`/`testid` tags from __ENV to options.tags (k6-operator runners). */
  runnerTags?: boolean;
}

const k6External = ['k6', 'k6/*'];

function formatMessages(messages: Message[]): string {
  return messages
    .slice(0, 5)
    .map(
      (m) => `${m.location ? `${m.location.file}:${m.location.line}:${m.location.column}: ` : ''}${m.text}`,
    )
    .join('\n');
}

/** The generated entry: re-exports the scenario, optionally with the summary hook and runner tags. */
function createEntry(path: string, options: BundleOptions): string {
  const spec = JSON.stringify(path);
  const lines = [
    `import * as scenario from ${spec};`,
    `export * from ${spec};`,
    'export default scenario.default;',
  ];
  if (options.runnerTags) {
    lines.push(
      'const baseOptions = scenario.options || {};',
      'const runnerTags = {};',
      'if (__ENV.PREFLIGHT_TESTID) runnerTags.testid = __ENV.PREFLIGHT_TESTID;',
      'if (__ENV.PREFLIGHT_RUNNER) runnerTags.runner = __ENV.PREFLIGHT_RUNNER;',
      'export const options = Object.assign({}, baseOptions, { tags: Object.assign({}, baseOptions.tags || {}, runnerTags) });',
    );
  }
  if (options.summaryHook) {
    lines.push(
      'export function handleSummary(data) {',
      '  const user = typeof scenario.handleSummary === "function" ? scenario.handleSummary(data) : undefined;',
      '  const out = Object.assign({}, user || {});',
      '  if (__ENV.PREFLIGHT_SUMMARY_PATH) out[__ENV.PREFLIGHT_SUMMARY_PATH] = JSON.stringify({ preflight: 1, data: data });',
      '  return out;',
      '}',
    );
  }
  return lines.join('\n');
}

async function bundleOnce(path: string, format: 'esm' | 'cjs', options: BundleOptions): Promise<string> {
  try {
    const result = await build({
      stdin: {
        contents: createEntry(path, options),
        resolveDir: dirname(path),
        sourcefile: `preflight-entry-${basename(path)}`,
        loader: 'js',
      },
      bundle: true,
      write: false,
      format,
      platform: 'neutral',
      // k6 0.48's JS runtime (goja) predates some ES2020 syntax; async/await it runs natively.
      target: format === 'esm' ? 'es2017' : 'es2020',
      external: k6External,
      mainFields: ['module', 'main'],
      logLevel: 'silent',
      legalComments: 'none',
      charset: 'utf8',
    });
    return result.outputFiles[0]!.text;
  } catch (error) {
    const messages = (error as { errors?: Message[] }).errors;
    throw new PreflightError(
      'E_K6_SCRIPT',
      `Could not bundle ${path}${messages ? `:\n${formatMessages(messages)}` : ''}`,
      {
        hint: 'fix the script error above; remote imports (https://...) are not bundled, vendor them into loadtests/',
        cause: error,
      },
    );
  }
}

/** Bundles `path` for both engines. */
export async function bundleScenario(path: string, options: BundleOptions = {}): Promise<BundleResult> {
  const absolute = resolve(path);
  if (!existsSync(absolute)) throw new PreflightError('E_USAGE', `Scenario file ${path} does not exist`);
  const [esm, cjs] = await Promise.all([
    bundleOnce(absolute, 'esm', options),
    bundleOnce(absolute, 'cjs', options),
  ]);
  return { esm, cjs, path: absolute };
}

export interface UnsupportedUse {
  api: string;
  message: string;
}

/** Finds k6 APIs the native engine does not run, from the ESM bundle (imports are kept there). */
export function findUnsupportedApis(esm: string): UnsupportedUse[] {
  const found: UnsupportedUse[] = [];
  const imports = [...esm.matchAll(/import\s+([^;]*?)\s+from\s*["']([^"']+)["']/g)];
  for (const [, clause = '', module = ''] of imports) {
    if (!module.startsWith('k6')) continue;
    if (!supportedModules.includes(module)) {
      found.push({
        api: module,
        message: `module "${module}" is not available in the native engine; run with --engine k6`,
      });
      continue;
    }
    if (module === 'k6/http') {
      const defaultName = /^\s*([A-Za-z_$][\w$]*)/.exec(
        clause.startsWith('{') || clause.startsWith('*') ? '' : clause,
      )?.[1];
      const star = /\*\s+as\s+([A-Za-z_$][\w$]*)/.exec(clause)?.[1];
      for (const local of [defaultName, star].filter(Boolean) as string[]) {
        for (const name of syncHttpFunctions) {
          if (new RegExp(`\\b${local.replace('$', '\\$')}\\.${name}\\s*\\(`).test(esm)) {
            found.push({ api: `http.${name}`, message: describeSyncHttp(name) });
          }
        }
      }
      for (const named of /\{([^}]*)\}/.exec(clause)?.[1]?.split(',') ?? []) {
        const [imported = '', local = imported] = named.trim().split(/\s+as\s+/);
        if (
          syncHttpFunctions.includes(imported.trim()) &&
          new RegExp(`\\b${local.trim()}\\s*\\(`).test(esm)
        ) {
          found.push({ api: `http.${imported.trim()}`, message: describeSyncHttp(imported.trim()) });
        }
      }
    }
    if (module === 'k6') {
      const names = /\{([^}]*)\}/.exec(clause)?.[1]?.split(',') ?? [];
      for (const named of names) {
        const [imported = '', local = imported] = named.trim().split(/\s+as\s+/);
        if (imported.trim() !== 'sleep') continue;
        const calls = [...esm.matchAll(new RegExp(`(\\bawait\\s+)?\\b${local.trim()}\\s*\\(`, 'g'))];
        if (calls.some((c) => !c[1])) {
          found.push({
            api: 'sleep',
            message:
              'sleep() must be awaited in portable scripts: `await sleep(1)` (it is synchronous only in k6)',
          });
        }
      }
      const defaultName = /^\s*([A-Za-z_$][\w$]*)/.exec(clause.startsWith('{') ? '' : clause)?.[1];
      if (defaultName) {
        const calls = [...esm.matchAll(new RegExp(`(\\bawait\\s+)?\\b${defaultName}\\.sleep\\s*\\(`, 'g'))];
        if (calls.some((c) => !c[1])) {
          found.push({
            api: 'sleep',
            message: 'sleep() must be awaited in portable scripts: `await sleep(1)`',
          });
        }
      }
    }
  }
  if (/\bimport\s*\(|from\s*["']https?:\/\//.test(esm)) {
    found.push({
      api: 'remote import',
      message: 'remote or dynamic imports are not supported; vendor the module into loadtests/',
    });
  }
  return dedupe(found);
}

function dedupe(list: UnsupportedUse[]): UnsupportedUse[] {
  const seen = new Set<string>();
  return list.filter((u) => !seen.has(u.api) && seen.add(u.api));
}

/** Throws E_UNSUPPORTED_API naming every unsupported use, before any VU starts. */
export function assertNativeSupport(bundle: BundleResult): void {
  const found = findUnsupportedApis(bundle.esm);
  if (found.length === 0) return;
  throw new PreflightError(
    'E_UNSUPPORTED_API',
    `${bundle.path} uses k6 APIs the native engine cannot run:\n${found.map((f) => `  - ${f.api}: ${f.message}`).join('\n')}`,
    {
      hint: 'rewrite them in the portable style (see loadtests/README.md), or run with --engine k6 where k6 is installed',
    },
  );
}
