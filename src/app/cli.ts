/** The `preflight` CLI: yargs wiring only; every command lives in its capability folder and is imported lazily. */
import yargs, { type Argv } from 'yargs';
import { type ContextOptions, createContext, type GlobalArgs } from '../core/cli/context.js';
import type { Handler, Run } from '../core/cli/define.js';
import { commandRegistrations } from './commands.js';
import './targets.js';
import './report.js';
import { ExitCode, PreflightError } from '../core/errors.js';
import { createOutput, createPaint } from '../core/output.js';
import { redact } from '../core/redact.js';

/** Runs the CLI with the given arguments and returns the process exit code. */
export async function main(argv: string[], options: ContextOptions = {}): Promise<number> {
  let exitCode: number = ExitCode.ok;
  const stderr = options.stderr ?? process.stderr;
  const stdout = options.stdout ?? process.stdout;

  const run: Run = (load) => async (parsed) => {
    const args = parsed as GlobalArgs;
    const context = createContext(args, options);
    try {
      const handler = (await load()) as Handler<unknown>;
      exitCode = await handler(args, context);
    } catch (error) {
      exitCode = reportError(error, {
        json: args.json,
        verbose: args.verbose,
        color: args.color,
        stdout,
        stderr,
      });
    }
  };

  let parser: Argv<GlobalArgs> = yargs(argv)
    .scriptName('preflight')
    .usage(
      '$0 <command> [options]\n\nTells whether an HTTP API + PostgreSQL platform is ready to launch, and keeps it that way.',
    )
    .option('config', {
      type: 'string',
      describe: 'Config file (default: ./preflight.yaml, or $PREFLIGHT_CONFIG)',
      global: true,
    })
    .option('target', {
      type: 'string',
      describe: 'Target name from the config (default: defaultTarget, "sandbox")',
      global: true,
    })
    .option('json', {
      type: 'boolean',
      default: false,
      describe: 'Print the result as JSON on stdout',
      global: true,
    })
    .option('verbose', {
      type: 'boolean',
      default: false,
      describe: 'Print debug detail on stderr',
      global: true,
    })
    .option('color', {
      type: 'boolean',
      default: true,
      describe: 'Colour output (--no-color to disable)',
      global: true,
    })
    .strict()
    .demandCommand(1, 'Name a command: see `preflight --help`')
    .recommendCommands()
    .help()
    .alias('help', 'h')
    .version(false)
    .wrap(Math.min(110, process.stdout.columns ?? 100))
    .epilogue(
      'Exit codes: 0 ok, 1 a check failed, 2 usage or config error, 3 target unreachable, 4 a required tool missing.',
    )
    .exitProcess(false)
    .fail((message, error) => {
      if (error) throw error;
      throw new PreflightError('E_USAGE', message ?? 'invalid usage', { hint: 'see `preflight --help`' });
    }) as unknown as Argv<GlobalArgs>;

  for (const register of commandRegistrations) parser = register(parser, run);

  try {
    let helpShown = false;
    await parser.parseAsync(argv, {}, (_err, _argv, output) => {
      if (output) {
        helpShown = true;
        stdout.write(`${output}\n`);
      }
    });
    if (helpShown) return ExitCode.ok;
  } catch (error) {
    // yargs failed before any handler saw parsed options (unknown command or option, bad value)
    return reportError(error, { ...scanGlobalFlags(argv), stdout, stderr });
  }
  return exitCode;
}

/**
 * The global flags of a command line that yargs rejected: the ONE pre-scan, used only to report a usage error
 * (as JSON with --json). Parsed by yargs too (without commands or strict mode), so `--json=true`, `--no-color`
 * and `--verbose false` mean what they mean everywhere else; handlers get the flags from the full parse.
 */
export function scanGlobalFlags(argv: string[]): Pick<GlobalArgs, 'json' | 'verbose' | 'color'> {
  try {
    const flags = yargs(argv)
      .help(false)
      .version(false)
      .exitProcess(false)
      .fail(false)
      .options({
        json: { type: 'boolean', default: false },
        verbose: { type: 'boolean', default: false },
        color: { type: 'boolean', default: true },
      })
      .parseSync();
    return { json: flags.json, verbose: flags.verbose, color: flags.color };
  } catch {
    return { json: false, verbose: false, color: true };
  }
}

interface ReportOptions {
  json: boolean;
  verbose: boolean;
  /** False with --no-color; colour also needs a terminal and no NO_COLOR. */
  color?: boolean;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/** Prints an error for people (or as JSON) and returns its exit code. */
export function reportError(error: unknown, options: ReportOptions): number {
  const paint = createPaint(
    options.color !== false && Boolean((options.stderr as NodeJS.WriteStream).isTTY) && !process.env.NO_COLOR,
  );
  if (error instanceof PreflightError) {
    if (options.json) {
      createOutput({ json: true, stdout: options.stdout }).result({
        ok: false,
        error: { code: error.code, message: error.message, hint: error.hint, exitCode: error.exitCode },
      });
    }
    options.stderr.write(`${paint.red(`error[${error.code}]`)}: ${redact(error.message)}\n`);
    if (error.hint) options.stderr.write(`  ${paint.dim('hint:')} ${redact(error.hint)}\n`);
    if (options.verbose && error.cause)
      options.stderr.write(`  cause: ${redact(String((error.cause as Error).stack ?? error.cause))}\n`);
    return error.exitCode;
  }
  const err = error as Error;
  options.stderr.write(
    `${paint.red('internal error')}: ${redact(err?.stack ?? String(error))}\n  This is a bug in preflight; please report it with the command you ran.\n`,
  );
  if (options.json) {
    createOutput({ json: true, stdout: options.stdout }).result({
      ok: false,
      error: { code: 'E_INTERNAL', message: redact(String(err?.message ?? error)) },
    });
  }
  return ExitCode.internal;
}
