/** Runs the CLI's `main` in process with captured stdout and stderr (the scan tests' CLI runs). */
import { PassThrough } from 'node:stream';
import { main } from '../../src/app/cli.js';

export async function runMain(
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => {
    out += d;
  });
  stderr.on('data', (d) => {
    err += d;
  });
  const code = await main(args, { ...options, stdout, stderr });
  return { code, stdout: out, stderr: err };
}
