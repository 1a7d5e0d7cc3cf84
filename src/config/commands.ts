/** Handlers of `preflight config`. */
import type { Handler } from '../cli/define.js';
import { ExitCode } from '../errors.js';
import { redactValue } from '../redact.js';
import { getConfigJsonSchema } from './load.js';

export const configCommand: Handler<{ action: 'check' | 'schema' }> = async (argv, context) => {
  if (argv.action === 'schema') {
    process.stdout.write(`${JSON.stringify(getConfigJsonSchema(), null, 2)}\n`);
    return ExitCode.ok;
  }
  const { config, path } = context.loadConfig();
  const targets = ['sandbox', ...Object.keys(config.targets).filter((t) => t !== 'sandbox')];
  const summary = { ok: true, file: path ?? null, defaultTarget: config.defaultTarget, targets };
  if (argv.target) {
    const target = context.resolveTarget();
    const shown = {
      ...target,
      sandbox: target.sandbox ? { pid: target.sandbox.pid, baseUrl: target.sandbox.baseUrl } : undefined,
    };
    context.out.result({ ...summary, target: redactValue(shown) });
    context.out.print(
      `${path ?? '(no config file: built-in defaults)'} is valid.\n${JSON.stringify(redactValue(shown), null, 2)}`,
    );
    return ExitCode.ok;
  }
  context.out.result(summary);
  context.out.print(
    `${path ?? '(no config file: built-in defaults)'} is valid. Targets: ${targets.join(', ')}`,
  );
  return ExitCode.ok;
};
