/** Handlers of `preflight config`. */
import type { Handler } from '../../core/cli/define.js';
import { getConfigJsonSchema } from '../../core/config/load.js';
import {
  findMissingSecrets,
  formatExportHint,
  listSecretReferences,
  type MissingSecret,
} from '../../core/config/secret-env.js';
import { ExitCode } from '../../core/errors.js';
import { redactValue } from '../../core/redact.js';

export const configCommand: Handler<{ action: 'check' | 'schema' }> = async (argv, context) => {
  if (argv.action === 'schema') {
    const schema = getConfigJsonSchema();
    context.out.artifact(JSON.stringify(schema, null, 2), { json: schema });
    return ExitCode.ok;
  }
  const { config, path } = context.loadConfig();
  const file = path ?? '(no config file: built-in defaults)';
  const targets = ['sandbox', ...Object.keys(config.targets).filter((t) => t !== 'sandbox')];
  // --target checks that target's secrets; without it, every configured target's
  const checked = argv.target ? [argv.target] : Object.keys(config.targets);
  const target = argv.target ? context.resolveTarget() : undefined;
  const missing = findMissingSecrets(config, checked, context.env);
  const summary = {
    ok: missing.length === 0,
    file: path ?? null,
    defaultTarget: config.defaultTarget,
    targets,
  };
  const missingSecrets = missing.map(({ key, variable, targets, state, message, hint }) => ({
    key,
    variable,
    targets,
    state,
    message,
    hint,
  }));
  if (missing.length > 0) {
    const error = describeMissingSecrets(missing, checked, Boolean(argv.target));
    context.out.result({ ...summary, missingSecrets, error: { code: 'E_CONFIG', ...error, exitCode: 2 } });
    context.out.warn(`error[E_CONFIG]: ${error.message}`);
    context.out.warn(`  hint: ${error.hint}`);
    return ExitCode.usage;
  }
  const secretCount = listSecretReferences(config, checked).length;
  const secrets = secretCount ? ` Every secret variable it names is set (${secretCount}).` : '';
  if (target) {
    const shown = {
      ...target,
      sandbox: target.sandbox ? { pid: target.sandbox.pid, baseUrl: target.baseUrl } : undefined,
    };
    context.out.result({ ...summary, missingSecrets, target: redactValue(shown) });
    context.out.print(`${file} is valid.${secrets}\n${JSON.stringify(redactValue(shown), null, 2)}`);
    return ExitCode.ok;
  }
  context.out.result({ ...summary, missingSecrets });
  context.out.print(`${file} is valid. Targets: ${targets.join(', ')}.${secrets}`);
  return ExitCode.ok;
};

function describeMissingSecrets(
  missing: MissingSecret[],
  checked: string[],
  explicit: boolean,
): { message: string; hint: string } {
  const count = missing.length === 1 ? 'variable is' : 'variables are';
  const scope = checked.length === 1 ? `target "${checked[0]}"` : `targets ${checked.join(', ')}`;
  return {
    message: `${missing.length} secret ${count} not set for ${scope}:\n${missing.map((m) => `  ${m.message}`).join('\n')}`,
    hint: `${formatExportHint(missing)}${explicit || checked.length < 2 ? '' : ' (or check one target with --target)'}`,
  };
}
