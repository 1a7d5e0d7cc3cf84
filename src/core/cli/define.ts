/** How capability folders add commands: a light `register` function whose handlers lazy-import the work. */
import type { Argv } from 'yargs';
import type { Context, GlobalArgs } from './context.js';

/** A command handler: plain async function, returns the exit code. */
export type Handler<A = Record<string, unknown>> = (
  argv: A & GlobalArgs,
  context: Context,
) => Promise<number>;

/** Wraps a lazily imported handler into a yargs handler that records the exit code. */
export type Run = <A>(load: () => Promise<Handler<A>>) => (argv: unknown) => Promise<void>;

export type RegisterCommands = (yargs: Argv<GlobalArgs>, run: Run) => Argv<GlobalArgs>;
