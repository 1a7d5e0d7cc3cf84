/** Built-in targets: the app tells core how to resolve `sandbox` (core and the other capabilities never import it). */
import { getSandboxDir } from '../core/home.js';
import { registerBuiltinTarget, SANDBOX_TARGET } from '../core/target.js';
import { resolveSandboxTarget } from '../sandbox/target.js';

registerBuiltinTarget(SANDBOX_TARGET, ({ sandboxDir, env }) =>
  resolveSandboxTarget(sandboxDir ?? getSandboxDir(env)),
);
