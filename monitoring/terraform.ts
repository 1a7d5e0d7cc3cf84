/** `monitor diff|deploy`: runs the cdktn CLI or Terraform on the synthesized stacks, when installed. */
import { join, resolve } from 'node:path';
import { PreflightError } from '../src/core/errors.js';
import { findTool, installHints, runTool, ToolError } from '../src/core/process.js';

export interface TerraformTool {
  kind: 'cdktn' | 'terraform';
  path: string;
}

/** Finds cdktn (node_modules/.bin or PATH), else terraform or tofu; an explicit path wins. */
export function findTerraformTool(options: {
  terraform?: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
}): TerraformTool {
  const explicit = options.terraform ?? options.env.TERRAFORM_BIN;
  if (explicit) {
    const path = findTool(explicit);
    if (path) return { kind: 'terraform', path };
    throw new PreflightError('E_TOOL_MISSING', `Terraform was not found at ${explicit}`, {
      hint: `${installHints.terraform}`,
      details: { tool: 'terraform' },
    });
  }
  const cdktn = findTool('cdktn', [join(options.cwd, 'node_modules', '.bin')]);
  const terraform = findTool('terraform') ?? findTool('tofu');
  // the cdktn CLI itself drives terraform, so it needs both
  if (cdktn && terraform) return { kind: 'cdktn', path: cdktn };
  if (terraform) return { kind: 'terraform', path: terraform };
  throw new PreflightError(
    'E_TOOL_MISSING',
    'Neither Terraform (or OpenTofu) nor the cdktn CLI with Terraform was found',
    {
      hint: `${installHints.terraform}; optionally ${installHints.cdktn}. \`preflight monitor synth\` works without them.`,
      details: { tool: 'terraform' },
    },
  );
}

export interface StackRun {
  stack: string;
  ok: boolean;
  changes: boolean;
  output: string;
}

/** Runs plan (diff) or apply (deploy) for each stack directory with Terraform, or `cdktn diff|deploy`. */
export async function runStacks(
  tool: TerraformTool,
  action: 'diff' | 'deploy',
  options: { outdir: string; stacks: string[]; env: Record<string, string | undefined>; cwd: string },
): Promise<StackRun[]> {
  const runs: StackRun[] = [];
  for (const stack of options.stacks) {
    const cwd = resolve(options.outdir, 'stacks', stack);
    try {
      if (tool.kind === 'cdktn') {
        const args =
          action === 'diff'
            ? ['diff', stack, '--skip-synth', '--output', options.outdir]
            : ['deploy', stack, '--skip-synth', '--auto-approve', '--output', options.outdir];
        const result = await runTool(tool.path, args, {
          cwd: options.cwd,
          env: options.env,
          timeoutMs: 30 * 60_000,
        });
        runs.push({ stack, ok: true, changes: !/No changes/i.test(result.stdout), output: result.stdout });
        continue;
      }
      await runTool(tool.path, ['init', '-input=false', '-no-color'], {
        cwd,
        env: options.env,
        timeoutMs: 10 * 60_000,
      });
      const args =
        action === 'diff'
          ? ['plan', '-input=false', '-no-color', '-detailed-exitcode']
          : ['apply', '-input=false', '-no-color', '-auto-approve'];
      const result = await runTool(tool.path, args, {
        cwd,
        env: options.env,
        timeoutMs: 30 * 60_000,
        allowExitCodes: [2],
      });
      runs.push({
        stack,
        ok: true,
        changes: action === 'diff' ? result.exitCode === 2 : true,
        output: result.stdout,
      });
    } catch (error) {
      if (!(error instanceof ToolError)) throw error;
      runs.push({
        stack,
        ok: false,
        changes: false,
        output: `${error.stdoutTail}\n${error.stderrTail}`.trim(),
      });
    }
  }
  return runs;
}
