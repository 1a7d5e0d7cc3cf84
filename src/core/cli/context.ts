/** What every command handler receives: parsed global options, output, and lazy config/target access. */
import { type LoadedConfig, loadConfig } from '../config/load.js';
import { createOutput, type Output, shouldUseColor } from '../output.js';
import { type ResolvedTarget, resolveTarget } from '../target.js';

export interface GlobalArgs {
  config?: string;
  target?: string;
  json: boolean;
  verbose: boolean;
  color: boolean;
}

export interface Context {
  cwd: string;
  env: NodeJS.ProcessEnv;
  args: GlobalArgs;
  out: Output;
  /** Loads and validates the config once. */
  loadConfig(): LoadedConfig;
  /** Resolves --target (or the given name, or the default target). */
  resolveTarget(name?: string): ResolvedTarget;
}

export interface ContextOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
}

export function createContext(args: GlobalArgs, options: ContextOptions = {}): Context {
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  const out = createOutput({
    json: args.json,
    verbose: args.verbose,
    color: args.color && shouldUseColor(true, options.stdout ?? process.stdout),
    stdout: options.stdout,
    stderr: options.stderr,
  });
  let loaded: LoadedConfig | undefined;
  const context: Context = {
    cwd,
    env,
    args,
    out,
    loadConfig() {
      loaded ??= loadConfig({ cwd, path: args.config, env });
      return loaded;
    },
    resolveTarget(name) {
      return resolveTarget(context.loadConfig().config, name ?? args.target, { env });
    },
  };
  return context;
}
