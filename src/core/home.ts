/** Where preflight keeps local state: PREFLIGHT_HOME, else ./.preflight. */
import { join, resolve } from 'node:path';

export function getPreflightHome(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  return resolve(cwd, env.PREFLIGHT_HOME ?? '.preflight');
}

export function getSandboxDir(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  return join(getPreflightHome(env, cwd), 'sandbox');
}
