/**
 * Bundles a k6 script with esbuild: an ES module for real k6 (k6 modules stay imports) and a CommonJS-style
 * function body for the native engine with its blocking k6 calls awaited (sync-transform.ts), plus what the
 * native engine cannot run.
 */
import { existsSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { basename, dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Message, transform } from 'esbuild';
import { PreflightError } from '../../../src/core/errors.js';
import { supportedModules } from '../native/modules/k6-modules.js';
import { type Locate, transformSyncCalls } from './sync-transform.js';

export interface BundleResult {
  /** ES module for `k6 run`. */
  esm: string;
  /** Function body (require, module, exports) for the native engine. */
  cjs: string;
  path: string;
  /** What the native engine cannot run (unsupported modules, blocking calls it cannot await), found at bundling. */
  nativeProblems: UnsupportedUse[];
  /** Why the native engine could not compile the script (E_K6_SCRIPT), raised by assertNativeSupport(). */
  nativeError?: PreflightError;
}

export interface BundleOptions {
  /** Append a handleSummary that also writes k6's raw end-of-test data to __ENV.PREFLIGHT_SUMMARY_PATH. */
  summaryHook?: boolean;
  /** Add `runner`/`testid` tags from __ENV to options.tags (k6-operator runners). */
  runnerTags?: boolean;
}

// Remote modules stay imports: real k6 fetches them; the native engine refuses them by name.
const k6External = ['k6', 'k6/*', 'https://*', 'http://*'];

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

async function bundleWith(
  path: string,
  options: BundleOptions,
  settings: { format: 'esm' | 'cjs'; target: string; sourcemap?: boolean },
) {
  try {
    return await build({
      stdin: {
        contents: createEntry(path, options),
        resolveDir: dirname(path),
        sourcefile: `preflight-entry-${basename(path)}`,
        loader: 'js',
      },
      bundle: true,
      write: false,
      format: settings.format,
      platform: 'neutral',
      target: settings.target,
      external: k6External,
      mainFields: ['module', 'main'],
      logLevel: 'silent',
      legalComments: 'none',
      charset: 'utf8',
      ...(settings.sourcemap ? { sourcemap: 'external' as const, outdir: dirname(path) } : {}),
    });
  } catch (error) {
    const messages = (error as { errors?: Message[] }).errors;
    throw new PreflightError(
      'E_K6_SCRIPT',
      `Could not bundle ${path}${messages ? `:\n${formatMessages(messages)}` : ''}`,
      { hint: 'fix the script error above', cause: error },
    );
  }
}

/** The bundle for real k6: an ES module (k6 0.48's goja predates some ES2020 syntax; async/await it runs). */
async function bundleForK6(path: string, options: BundleOptions): Promise<string> {
  const result = await bundleWith(path, options, { format: 'esm', target: 'es2017' });
  return result.outputFiles[0]!.text;
}

/** Maps a place in the bundle back to `file:line` (relative to the script's folder) through the source map. */
function createLocator(mapText: string | undefined, dir: string): Locate {
  const map = mapText ? new SourceMap(JSON.parse(mapText)) : undefined;
  return (line, column) => {
    const entry = map?.findEntry(line - 1, column) as
      | { originalSource?: string; originalLine?: number }
      | undefined;
    if (!entry?.originalSource || entry.originalLine === undefined) return `bundle line ${line}`;
    const source = entry.originalSource.startsWith('file://')
      ? fileURLToPath(entry.originalSource)
      : resolve(dir, entry.originalSource);
    return `${relative(dir, source) || source}:${entry.originalLine + 1}`;
  };
}

/** What the native engine gets from bundling; `error` and `problems` are raised only when it runs the script. */
interface NativeBundle {
  cjs: string;
  problems: UnsupportedUse[];
  error?: PreflightError;
}

/**
 * The bundle for the native engine: an ES module with every blocking k6 call awaited (sync-transform.ts), then
 * turned into a function body (require, module, exports). A refused script keeps its untransformed body, so its
 * init context (options, thresholds) can still be read (`load verdict`); run.ts never runs it.
 */
async function bundleForNative(path: string, options: BundleOptions): Promise<NativeBundle> {
  const result = await bundleWith(path, options, { format: 'esm', target: 'es2022', sourcemap: true });
  const esm = result.outputFiles.find((f) => f.path.endsWith('.js'))!.text;
  const mapText = result.outputFiles.find((f) => f.path.endsWith('.map'))?.text;
  let problems = findUnsupportedApis(esm);
  let source = esm;
  try {
    // Scripts that import unsupported modules are refused anyway; their syntax may be beyond the transform.
    if (problems.length === 0) {
      const transformed = transformSyncCalls(esm, createLocator(mapText, dirname(path)));
      problems = transformed.problems;
      if (problems.length === 0) source = transformed.code;
    }
    const cjs = await transform(source, { format: 'cjs', target: 'es2022', loader: 'js' });
    return { cjs: cjs.code, problems };
  } catch (error) {
    const messages = (error as { errors?: Message[] }).errors;
    const detail = messages ? formatMessages(messages) : (error as Error).message;
    const compileError = new PreflightError(
      'E_K6_SCRIPT',
      `Could not compile ${path} for the native engine:\n${detail}`,
      { hint: 'top-level await is not supported in k6 scripts; move it into a function', cause: error },
    );
    return { cjs: '', problems, error: compileError };
  }
}

/** Bundles `path` for both engines; what the native engine cannot run is raised by assertNativeSupport(). */
export async function bundleScenario(path: string, options: BundleOptions = {}): Promise<BundleResult> {
  const absolute = resolve(path);
  if (!existsSync(absolute)) throw new PreflightError('E_USAGE', `Scenario file ${path} does not exist`);
  const [esm, native] = await Promise.all([
    bundleForK6(absolute, options),
    bundleForNative(absolute, options),
  ]);
  return {
    esm,
    cjs: native.cjs,
    path: absolute,
    nativeProblems: native.problems,
    nativeError: native.error,
  };
}

export interface UnsupportedUse {
  api: string;
  message: string;
}

/** Modules the native engine refuses, by prefix, with what they are. */
const knownUnsupported: Array<[prefix: string, what: string]> = [
  ['k6/ws', 'WebSockets'],
  ['k6/experimental/websockets', 'WebSockets'],
  ['k6/browser', 'the browser module'],
  ['k6/experimental/browser', 'the browser module'],
  ['k6/net/grpc', 'gRPC'],
  ['k6/experimental/grpc', 'gRPC'],
  ['k6/experimental/', 'an experimental module'],
];

function describeModule(module: string): string {
  const known = knownUnsupported.find(([prefix]) => module === prefix || module.startsWith(prefix));
  return known ? `${known[1]} (${module})` : `module "${module}"`;
}

/** Finds modules the native engine does not provide, from an ES module bundle (imports are kept there). */
export function findUnsupportedApis(esm: string): UnsupportedUse[] {
  const found: UnsupportedUse[] = [];
  const imports = [...esm.matchAll(/(?:import|export)\s+(?:[^;]*?\s+from\s*)?["']([^"']+)["']/g)];
  for (const [, module = ''] of imports) {
    if (/^https?:\/\//.test(module)) {
      found.push({
        api: module,
        message: `remote module ${module} is not fetched by the native engine; run with --engine k6, or vendor the file next to the script and import it by a relative path`,
      });
      continue;
    }
    if (!module.startsWith('k6')) continue;
    if (!supportedModules.includes(module)) {
      found.push({
        api: module,
        message: `${describeModule(module)} is not available in the native engine; run with --engine k6`,
      });
    }
  }
  if (/\bimport\s*\(/.test(esm)) {
    found.push({
      api: 'dynamic import',
      message: 'dynamic import() is not supported; import the module statically',
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
  const found = dedupe([...findUnsupportedApis(bundle.esm), ...bundle.nativeProblems]);
  if (found.length === 0 && bundle.nativeError) throw bundle.nativeError;
  if (found.length === 0) return;
  throw new PreflightError(
    'E_UNSUPPORTED_API',
    `${bundle.path} uses k6 APIs the native engine cannot run:\n${found.map((f) => `  - ${f.api}: ${f.message}`).join('\n')}`,
    {
      hint: 'apply the fix named for each, or run with --engine k6 where k6 is installed (loadtests/README.md lists what the native engine runs)',
    },
  );
}
